# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Damage is found and named: corrupt or missing chunks fail the restore and show up in check."""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from storage_backup.repository import ChunkCorrupt, ChunkMissing, Repository, RetentionLocked
from storage_backup.repository.format import pack_name

from tests.support.repository_images import BLOCK, MiB, backup, read


def _data_chunk_location(repo, restore_point_id, block):
    record = next(r for r in repo.volume_records(restore_point_id, "disk") if r.offset == block * BLOCK)
    pack_id, offset, length = repo._store.index.get(record.chunk_id)
    return record.chunk_id, pack_id, offset, length


@pytest.fixture
def backed_up(repo, tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(4 * MiB))
    restore_point, _ = backup(repo, image)
    return repo, restore_point, image


def test_corrupt_pack_byte_fails_restore_naming_chunk_pack_volume_offset(backed_up, tmp_path):
    repo, restore_point, _image = backed_up
    block = 37
    chunk_id, pack_id, offset, length = _data_chunk_location(repo, restore_point, block)
    path = repo.destination._path(pack_name(pack_id))
    with open(path, "r+b") as handle:
        handle.seek(offset + length // 2)
        byte = handle.read(1)
        handle.seek(offset + length // 2)
        handle.write(bytes([byte[0] ^ 0x40]))
    with pytest.raises(ChunkCorrupt) as failure:
        repo.restore_volume(restore_point, "disk", str(tmp_path / "out.img"))
    message = str(failure.value)
    assert chunk_id.hex() in message and pack_id in message
    assert "volume 'disk'" in message and f"offset {block * BLOCK}" in message
    # The structure is intact, but the failed restore recorded the damaged chunk (damaged.py): even a structure
    # check names it now ...
    assert any(chunk_id.hex() in error for error in repo.check().errors)
    report = repo.check(read_data=True)  # ... and reading every byte finds it again
    assert not report.ok
    assert chunk_id.hex() in report.damaged_chunks
    assert any(chunk_id.hex() in error and f"offset {block * BLOCK}" in error for error in report.errors)


def test_missing_pack_fails_restore_and_check(backed_up, tmp_path):
    repo, restore_point, _image = backed_up
    chunk_id, pack_id, _offset, _length = _data_chunk_location(repo, restore_point, 3)
    os.unlink(repo.destination._path(pack_name(pack_id)))
    with pytest.raises(ChunkMissing) as failure:
        repo.restore_volume(restore_point, "disk", str(tmp_path / "out.img"))
    assert pack_id in str(failure.value) and "volume 'disk'" in str(failure.value)
    report = repo.check()
    assert not report.ok
    assert any(pack_id in error and "missing" in error for error in report.errors)


def test_restore_without_verify_still_round_trips(backed_up, tmp_path):
    repo, restore_point, image = backed_up
    stats = repo.restore_volume(restore_point, "disk", str(tmp_path / "out.img"), verify=False)
    assert stats["chunks_verified"] == 0
    assert read(tmp_path / "out.img") == read(image)


def test_retention_lock_refuses_delete_until_it_expires(repo, tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(MiB))
    until = datetime.now(UTC) + timedelta(days=30)
    with repo.start_restore_point({"name": "locked"}, lock_until=until) as writer:
        writer.backup_volume("disk", str(image))
        locked = writer.commit()
    with pytest.raises(RetentionLocked, match="retention lock until"):
        repo.delete_restore_point(locked)
    with pytest.raises(RetentionLocked, match="extended but not shortened"):
        repo.set_retention_lock(locked, datetime.now(UTC) + timedelta(days=1))
    repo.set_retention_lock(locked, until + timedelta(days=1))
    assert repo.get_restore_point(locked).locked()
    expired, _ = backup(repo, image)
    repo.set_retention_lock(expired, datetime.now(UTC) - timedelta(seconds=1))
    repo.delete_restore_point(expired)
    assert [p.id for p in Repository.open(repo.destination.root).list_restore_points()] == [locked]
