# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Issue 13, air-gapped vault copy, repository side: a vault is a clone of the primary's identity, a copy verifies
every chunk and shows nothing until complete, copies only what the vault lacks, and never needs to write to the
primary."""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from storage_backup.repository import (
    ChunkCorrupt,
    ChunkMissing,
    Destination,
    FilesystemDestination,
    Repository,
    VaultMismatch,
    copy_restore_point,
    open_vault,
)
from storage_backup.repository.format import pack_name

from tests.support.repository_images import BLOCK, MiB, backup, overwrite, read, write_image

PASSWORD = b"primary password"


class ReadOnly(Destination):
    """A filesystem destination that refuses every write: a primary the vault worker may only read."""

    def __init__(self, inner: FilesystemDestination) -> None:
        self.inner = inner
        self.location = inner.location + " (read-only)"

    def _refuse(self, name: str):
        raise PermissionError(f"read-only: {name}")

    def put(self, name, data, exclusive=False):
        self._refuse(name)

    def open_writer(self, name, capacity=None):
        self._refuse(name)

    def delete(self, name):
        self._refuse(name)

    def get(self, name):
        return self.inner.get(name)

    def get_range(self, name, offset, length):
        return self.inner.get_range(name, offset, length)

    def list(self, prefix=""):
        return self.inner.list(prefix)

    def exists(self, name):
        return self.inner.exists(name)


@pytest.fixture
def primary(tmp_path) -> Repository:
    return Repository.init(str(tmp_path / "primary"), PASSWORD, block_size=BLOCK, pack_size=1 * MiB)


def _restore(repository: Repository, point: str, path) -> bytes:
    repository.restore_volume(point, "disk", str(path))
    return read(path)


def _files(root) -> dict[str, int]:
    found = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if "/locks/" not in path:
                found[os.path.relpath(path, root)] = os.path.getsize(path)
    return found


def test_a_copy_restores_byte_for_byte_from_the_vault_with_the_primarys_password(primary, tmp_path):
    image = tmp_path / "disk.img"
    data = write_image(image, 6 * MiB)
    point, _entry = backup(primary, image)
    vault = open_vault(str(tmp_path / "vault"), primary)
    assert vault.config.id == primary.config.id
    calls = []
    report = copy_restore_point(primary, vault, point, progress=lambda *figures: calls.append(figures))
    assert calls and calls[-1] == (report.chunks_total, report.chunks_total, report.bytes_copied)
    assert report.point_id == point
    assert report.chunks_copied == report.chunks_total > 0 and report.chunks_present == 0
    assert report.bytes_copied > 0 and report.objects_written >= 3  # a pack, an index object, the document
    reopened = Repository.open(str(tmp_path / "vault"), PASSWORD)
    assert reopened.restore_point_ids() == [point]
    assert _restore(reopened, point, tmp_path / "restored.img") == data
    assert reopened.check(read_data=True).ok


def test_a_second_copy_copies_nothing(primary, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, 4 * MiB)
    point, _entry = backup(primary, image)
    vault = open_vault(str(tmp_path / "vault"), primary)
    copy_restore_point(primary, vault, point)
    before = _files(tmp_path / "vault")
    again = copy_restore_point(primary, open_vault(str(tmp_path / "vault"), primary), point[:8])
    assert (again.chunks_copied, again.bytes_copied, again.objects_written) == (0, 0, 0)
    assert _files(tmp_path / "vault") == before


def test_a_corrupt_chunk_fails_the_copy_and_leaves_no_document(primary, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, 4 * MiB, pattern="r")
    point, _entry = backup(primary, image)
    victim = next(record.chunk_id for record in primary.volume_records(point, "disk") if record.offset == 3 * BLOCK)
    pack_id, offset, length = primary._store.index.get(victim)
    path = primary.destination._path(pack_name(pack_id))
    with open(path, "r+b") as handle:
        handle.seek(offset + length // 2)
        byte = handle.read(1)
        handle.seek(offset + length // 2)
        handle.write(bytes([byte[0] ^ 0x01]))
    vault = open_vault(str(tmp_path / "vault"), primary)
    with pytest.raises(ChunkCorrupt) as raised:
        copy_restore_point(primary, vault, point)
    assert victim.hex() in str(raised.value) and point in str(raised.value)
    assert "nothing of it is visible in the vault" in str(raised.value)
    assert vault.restore_point_ids() == []
    assert not [name for name in _files(tmp_path / "vault") if name.startswith("restore-points")]
    # A pack gone from the primary: the same, as a missing chunk.
    os.remove(path)
    with pytest.raises(ChunkMissing):
        copy_restore_point(primary, vault, point)
    assert vault.restore_point_ids() == []


def test_a_vault_of_another_repository_is_refused(primary, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, 2 * MiB)
    point, _entry = backup(primary, image)
    other = Repository.init(str(tmp_path / "other"), b"another", block_size=BLOCK)
    with pytest.raises(VaultMismatch, match="holds repository"):
        open_vault(str(tmp_path / "other"), primary)
    with pytest.raises(VaultMismatch):
        copy_restore_point(primary, other, point)
    assert other.restore_point_ids() == []


def test_a_vault_with_the_same_id_but_other_keys_is_refused(primary, tmp_path):
    vault_dir = tmp_path / "vault"
    open_vault(str(vault_dir), primary)
    key_file = next((vault_dir / "keys").iterdir())
    forged = Repository.init(str(tmp_path / "forged"), b"forger", block_size=BLOCK)
    key_file.unlink()
    (vault_dir / "keys" / next((tmp_path / "forged" / "keys").iterdir()).name).write_bytes(
        next((tmp_path / "forged" / "keys").iterdir()).read_bytes())
    assert forged.config.id != primary.config.id
    with pytest.raises(VaultMismatch, match="shares no key file"):
        open_vault(str(vault_dir), primary)


def test_incremental_restore_points_copy_only_their_new_chunks(primary, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, 8 * MiB, pattern="rt")
    first, _entry = backup(primary, image)
    vault = open_vault(str(tmp_path / "vault"), primary)
    full = copy_restore_point(primary, vault, first)
    overwrite(image, 5 * BLOCK, os.urandom(BLOCK))
    overwrite(image, 40 * BLOCK, os.urandom(BLOCK))
    second, _entry = backup(primary, image, previous=first)
    data = read(image)
    report = copy_restore_point(primary, vault, second)
    # Two new blocks, and the maps' changed segments and roots (a manifest and a checksum map: 2 + 2).
    assert 2 <= report.chunks_copied <= 6, report
    assert report.chunks_present >= full.chunks_total - 6
    assert report.chunks_total == report.chunks_copied + report.chunks_present
    assert report.bytes_copied < full.bytes_copied / 10
    assert _restore(Repository.open(str(tmp_path / "vault"), PASSWORD), second, tmp_path / "r.img") == data


def test_a_read_only_primary_is_enough_and_the_lock_date_comes_along(tmp_path):
    Repository.init(str(tmp_path / "primary"), PASSWORD, block_size=BLOCK, pack_size=1 * MiB)
    writable = Repository.open(str(tmp_path / "primary"), PASSWORD)
    image = tmp_path / "disk.img"
    data = write_image(image, 3 * MiB)
    until = datetime.now(UTC) + timedelta(days=3)
    with writable.start_restore_point({"name": "locked"}, lock_until=until, dedup_domain="project:p1") as writer:
        writer.backup_volume("disk", str(image))
        point = writer.commit()
    source = Repository.open(ReadOnly(FilesystemDestination(str(tmp_path / "primary"))), PASSWORD)
    vault = open_vault(str(tmp_path / "vault"), source)
    copy_restore_point(source, vault, point)
    copied = vault.get_restore_point(point)
    original = writable.get_restore_point(point)
    assert copied.lock_until == original.lock_until and copied.locked()
    assert copied.dedup_domain == "project:p1"
    assert _restore(vault, point, tmp_path / "restored.img") == data
    # A lock extended on the primary since is carried over by the next copy; never shortened.
    later = until + timedelta(days=10)
    writable.set_retention_lock(point, later)
    assert copy_restore_point(source, vault, point).chunks_copied == 0
    assert vault.get_restore_point(point).lock_until == writable.get_restore_point(point).lock_until


def test_a_password_added_to_the_primary_opens_the_vault_too(primary, tmp_path):
    open_vault(str(tmp_path / "vault"), primary)
    primary.add_password(b"second password")
    open_vault(str(tmp_path / "vault"), primary)
    assert Repository.open(str(tmp_path / "vault"), b"second password").config.id == primary.config.id


def test_an_unencrypted_primary_gets_an_unencrypted_clone(tmp_path):
    primary = Repository.init(str(tmp_path / "primary"), block_size=BLOCK)
    image = tmp_path / "disk.img"
    data = write_image(image, 2 * MiB)
    point, _entry = backup(primary, image)
    vault = open_vault(str(tmp_path / "vault"), primary)
    copy_restore_point(primary, vault, point)
    assert _restore(Repository.open(str(tmp_path / "vault")), point, tmp_path / "r.img") == data


def test_an_interrupted_copy_shows_nothing_and_the_next_one_copies_the_rest(primary, tmp_path, monkeypatch):
    from storage_backup.repository import vault_copy

    image = tmp_path / "disk.img"
    data = write_image(image, 4 * MiB, pattern="r")
    point, _entry = backup(primary, image)
    vault = open_vault(str(tmp_path / "vault"), primary)
    monkeypatch.setattr(vault_copy, "WINDOW_CHUNKS", 8)
    monkeypatch.setattr(vault_copy, "PROGRESS_INTERVAL", 0)

    class Stop(Exception):
        pass

    def stop_half_way(done, _seen, _copied):
        if done >= 32:
            raise Stop

    with pytest.raises(Stop):
        copy_restore_point(primary, vault, point, progress=stop_half_way)
    assert vault.restore_point_ids() == []
    report = copy_restore_point(primary, vault, point)
    assert report.chunks_present >= 16 and report.chunks_copied >= 1, report
    assert _restore(Repository.open(str(tmp_path / "vault"), PASSWORD), point, tmp_path / "r.img") == data
