# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The one walk of a volume's records, verify, each phase of check and prune on its own, and the consistency
vocabulary of restore-point documents (old words mapped on read)."""
from __future__ import annotations

import dataclasses
import os
import threading

import pytest
from storage_backup.repository import (
    BackupCancelled,
    ChunkCorrupt,
    Consistency,
    InvalidRequest,
    Record,
    Repository,
    RepositoryError,
)
from storage_backup.repository import check as check_phases
from storage_backup.repository import prune as prune_phases
from storage_backup.repository.format import pack_name

from tests.support.repository_images import BLOCK, MiB, backup, write_image


def _image(path, size: int = 3 * MiB + 1000) -> bytes:
    """Random, then 1 MiB of zeros, then random with a short last block."""
    data = bytearray(os.urandom(size))
    data[MiB:2 * MiB] = bytes(MiB)
    path.write_bytes(bytes(data))
    return bytes(data)


def test_records_cover_the_volume_in_order_with_zero_runs_merged(repo, tmp_path):
    data = _image(tmp_path / "disk.img")
    restore_point, entry = backup(repo, tmp_path / "disk.img")
    records = list(repo.volume_records(restore_point, "disk"))
    assert all(isinstance(record, Record) for record in records)
    assert [(r.offset, r.length) for r in records if r.chunk_id is None] == [(MiB, MiB)]  # one run, not 16 blocks
    assert records[0].offset == 0 and records[-1].offset + records[-1].length == entry.size == len(data)
    assert all(a.offset + a.length == b.offset for a, b in zip(records, records[1:], strict=False))
    assert records[-1].length == 1000  # the short last block
    for record in records:
        if record.chunk_id is not None:
            assert repo.chunk_id(data[record.offset:record.offset + record.length]) == record.chunk_id
    point = repo.get_restore_point(restore_point)
    assert list(repo.volume_records(point)) == records  # by document, the only volume


def test_verify_volume_reads_every_chunk_and_names_a_damaged_one(repo, tmp_path):
    _image(tmp_path / "disk.img")
    restore_point, _entry = backup(repo, tmp_path / "disk.img")
    seen = []
    figures = repo.verify_volume(restore_point, "disk", progress=lambda *args: seen.append(args))
    stored = [r for r in repo.volume_records(restore_point, "disk") if r.chunk_id is not None]
    assert figures["chunks"] == len(stored) and figures["bytes"] == sum(r.length for r in stored)
    assert seen[-1][0] == seen[-1][2] == 3 * MiB + 1000
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(BackupCancelled, match="cancelled after 0 chunk"):
        repo.verify_volume(restore_point, "disk", cancel=cancel)
    victim = stored[5]
    pack_id, offset, length = repo._store.index.get(victim.chunk_id)
    with open(repo.destination._path(pack_name(pack_id)), "r+b") as handle:
        handle.seek(offset + length - 1)
        byte = handle.read(1)
        handle.seek(offset + length - 1)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ChunkCorrupt) as failure:
        repo.verify_volume(restore_point, "disk")
    assert victim.chunk_id.hex() in str(failure.value) and f"offset {victim.offset}" in str(failure.value)


def test_check_phases_one_by_one(repo, tmp_path):
    store = repo._store
    _image(tmp_path / "a.img")
    restore_point, _entry = backup(repo, tmp_path / "a.img")
    store.refresh_index(force=True)
    report = check_phases.CheckReport()
    packs = check_phases.check_packs(store, report)
    assert report.ok and packs.present and not packs.missing and set(packs.needed) == set(packs.present)
    lost = next(iter(packs.present))
    os.unlink(repo.destination._path(pack_name(lost)))
    report = check_phases.CheckReport()
    packs = check_phases.check_packs(store, report)
    assert packs.missing == {lost} and any("is missing" in error for error in report.errors)
    report = check_phases.CheckReport()
    points = check_phases.check_restore_points(store, packs, report)
    assert [p.id for p in points] == [restore_point] and report.volumes == 1
    assert report.errors and all(restore_point in error for error in report.errors)
    damaged = {bytes(32): "made up (pack x)"}
    check_phases.report_damage(store, points, damaged, report)
    assert "no restore point (prune removes it)" in report.errors[-1]


def test_read_packs_finds_a_flipped_byte_and_report_damage_names_its_user(repo, tmp_path):
    store = repo._store
    _image(tmp_path / "a.img")
    restore_point, _entry = backup(repo, tmp_path / "a.img")
    record = next(r for r in repo.volume_records(restore_point, "disk") if r.offset == 2 * MiB)
    pack_id, offset, _length = store.index.get(record.chunk_id)
    with open(repo.destination._path(pack_name(pack_id)), "r+b") as handle:
        handle.seek(offset + 20)
        byte = handle.read(1)
        handle.seek(offset + 20)
        handle.write(bytes([byte[0] ^ 0x10]))
    store.refresh_index(force=True)
    report = check_phases.CheckReport()
    packs = check_phases.check_packs(store, report)
    damaged = check_phases.read_packs(store, packs, report)
    assert set(damaged) == {record.chunk_id} and report.chunks_read == len(store.index)
    check_phases.report_damage(store, [repo.get_restore_point(restore_point)], damaged, report)
    assert f"used by restore point {restore_point} (volume 'disk' offset {2 * MiB}) (1 restore point(s) in all)" \
        in report.errors[-1]
    assert report.affected_restore_points == {restore_point: [record.chunk_id.hex()]}


def test_prune_phases_one_by_one(repo, tmp_path):
    store = repo._store
    write_image(tmp_path / "keep.img", 2 * MiB, seed=1, pattern="r")
    write_image(tmp_path / "drop.img", 2 * MiB, seed=2, pattern="r")
    keep, keep_entry = backup(repo, tmp_path / "keep.img", labels={"name": "keep"})
    drop, _ = backup(repo, tmp_path / "drop.img", labels={"name": "drop"})
    repo.delete_restore_point(drop)
    store.refresh_index(force=True)
    report = prune_phases.PruneReport()
    used = prune_phases.mark_used_chunks(store, report)
    # The kept volume's blocks, plus a root and a segment per map.
    assert report.restore_points == 1 and report.chunks_used == used.count == 2 * MiB // BLOCK + 4
    assert all(record.chunk_id in used for record in repo.volume_records(keep, "disk"))
    plan = prune_phases.plan_packs(store, used, 0.25, report)
    assert plan.delete and not plan.orphans and report.chunks_removed == 2 * MiB // BLOCK + 4
    assert set(plan.keep) | set(plan.repack) | plan.delete == set(plan.present)
    prune_phases.carry_out(store, plan, report)
    assert report.packs_deleted == len(plan.delete) + len(plan.repack)
    assert Repository.open(repo.destination.root).check(read_data=True).ok


def test_prune_stops_before_deleting_when_a_volume_cannot_be_read(repo, tmp_path):
    store = repo._store
    write_image(tmp_path / "a.img", MiB, pattern="r")
    restore_point, _ = backup(repo, tmp_path / "a.img")
    document = repo.get_restore_point(restore_point)
    document.volumes[0].manifest = bytes(32).hex()  # a root the index does not know
    store.put_restore_point(document)
    store.refresh_index(force=True)
    with pytest.raises(RepositoryError, match=f"prune stopped, nothing deleted: restore point {restore_point}"):
        prune_phases.mark_used_chunks(store, prune_phases.PruneReport())


@pytest.mark.parametrize(("stored", "read"), [
    ("group-snapshot", Consistency.GROUP), ("back-to-back", Consistency.PER_VOLUME),
    ("crash-consistent", Consistency.CRASH), ("offline-image", Consistency.OFFLINE),
    ("per-volume", Consistency.PER_VOLUME), ("made-up-by-a-newer-release", Consistency.UNKNOWN),
])
def test_documents_with_the_words_of_older_repositories_read_in_the_one_vocabulary(repo, tmp_path, stored, read):
    write_image(tmp_path / "a.img", MiB, pattern="r")
    restore_point, _ = backup(repo, tmp_path / "a.img")
    # A document as an older release wrote it: the same JSON with its own word for the consistency.
    old = dataclasses.replace(repo.get_restore_point(restore_point), consistency=stored)
    repo._store.put_restore_point(old)
    assert repo.get_restore_point(restore_point).consistency is read
    assert Repository.open(repo.destination.root).list_restore_points()[0].consistency is read


def test_a_backup_records_only_words_of_the_vocabulary(repo):
    with pytest.raises(InvalidRequest, match="unknown consistency 'whatever': use one of group, per-volume, crash, "
                                             "offline"):
        repo.start_restore_point({"name": "x"}, consistency="whatever")
    with pytest.raises(InvalidRequest, match="unknown consistency 'unknown'"):
        repo.start_restore_point({"name": "x"}, consistency=Consistency.UNKNOWN)
    assert not list(repo.destination.list("locks/"))  # refused before any lock was taken
