# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Issue 10 item 7: a damaged chunk is named with every restore point it takes down, is recorded so the next backup
stores it again instead of deduplicating against it, and ``repo repair`` stores it again from a source or marks the
restore points whose data is lost."""
from __future__ import annotations

import os

import pytest
from storage_backup import cli
from storage_backup.repository import ChunkCorrupt
from storage_backup.repository.format import pack_name

from tests.support.repository_images import BLOCK, MiB, backup, read

POINTS = 8  # more than the five a check used to name
DAMAGED_BLOCK = 5


def _flip_byte(repo, chunk_id: bytes) -> None:
    pack_id, offset, length = repo._store.index.get(chunk_id)
    with open(repo.destination._path(pack_name(pack_id)), "r+b") as handle:
        handle.seek(offset + length // 2)
        byte = handle.read(1)
        handle.seek(offset + length // 2)
        handle.write(bytes([byte[0] ^ 0x01]))


@pytest.fixture
def series(repo, tmp_path):
    """``POINTS`` restore points of one image, each after one other block changed: all share block 5's chunk."""
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(4 * MiB))
    points, versions = [], []
    for number in range(POINTS):
        with open(image, "r+b") as handle:
            handle.seek((10 + number) * BLOCK)
            handle.write(os.urandom(BLOCK))
        previous = points[-1] if points else None
        points.append(backup(repo, image, previous=previous)[0])
        versions.append(read(image))
    shared = next(r.chunk_id for r in repo.volume_records(points[0], "disk") if r.offset == DAMAGED_BLOCK * BLOCK)
    assert all(next(r.chunk_id for r in repo.volume_records(point, "disk") if r.offset == DAMAGED_BLOCK * BLOCK)
               == shared for point in points)
    _flip_byte(repo, shared)
    repo._store.refresh_index(force=True)
    return repo, image, points, versions, shared


def test_check_names_every_restore_point_the_damaged_chunk_takes_down(series, capsys):
    repo, _image, points, _versions, shared = series
    report = repo.check(read_data=True)
    line = next(error for error in report.errors if shared.hex() in error and "is damaged" in error)
    assert all(point in line for point in points), line
    assert set(report.affected_restore_points) == set(points)
    assert cli.main(["repo", "check", "--read-data", "--repo", repo.location]) == 1
    output = capsys.readouterr().out
    assert f"{POINTS} restore point(s) cannot be fully restored" in output
    assert all(point in output for point in points)


def test_the_next_backup_stores_the_damaged_chunk_again(series, tmp_path):
    repo, image, points, versions, shared = series
    repo.check(read_data=True)  # finds and records the damage
    point, entry = backup(repo, image, previous=points[-1])
    assert entry.stats["blocks_new"] >= 1 and entry.stats["bytes_new"] >= BLOCK, entry.stats
    assert repo.destination.exists(f"damaged/{shared.hex()}") and not repo.damaged_chunks()  # healed, recorded
    repo.restore_volume(point, "disk", str(tmp_path / "new.img"))
    assert read(tmp_path / "new.img") == versions[-1]
    # The good copy now serves the older restore points too: they restore byte-identical.
    for number, old in enumerate(points):
        repo.restore_volume(old, "disk", str(tmp_path / f"old-{number}.img"))
        assert read(tmp_path / f"old-{number}.img") == versions[number]
    assert repo.check(read_data=True).ok and not repo.damaged_chunks()
    pruned = repo.prune(repack_threshold=0.0)
    assert pruned.damage_records_cleared == 1 and not repo.destination.exists(f"damaged/{shared.hex()}")
    assert repo.check(read_data=True).ok


def test_a_verify_records_the_damage_it_meets(series, tmp_path):
    repo, image, points, versions, shared = series
    with pytest.raises(ChunkCorrupt):
        repo.verify_volume(points[0], "disk")
    point, entry = backup(repo, image, previous=points[-1])
    assert entry.stats["bytes_new"] >= BLOCK, entry.stats
    assert not repo.damaged_chunks()  # stored again: the index serves the good copy
    repo.restore_volume(point, "disk", str(tmp_path / "new.img"))
    assert read(tmp_path / "new.img") == versions[-1]


def test_repair_from_the_original_image_heals_the_older_restore_points(series, tmp_path, capsys):
    repo, image, points, versions, shared = series
    assert cli.main(["repo", "check", "--read-data", "--repo", repo.location]) == 1
    original = tmp_path / "original.img"
    original.write_bytes(versions[0])
    assert cli.main(["repo", "repair", "--source", str(original), "--repo", repo.location]) == 0
    output = capsys.readouterr().out
    assert "1 stored again, 0 lost" in output and "every restore point is whole again" in output
    for number, point in enumerate(points):
        repo.restore_volume(point, "disk", str(tmp_path / f"healed-{number}.img"))
        assert read(tmp_path / f"healed-{number}.img") == versions[number]
    assert repo.check(read_data=True).ok


def test_a_missing_chunk_no_source_supplies_is_reported_lost_and_marked(series, tmp_path, capsys):
    repo, _image, points, _versions, shared = series
    pack_id = repo._store.index.get(shared)[0]
    os.unlink(repo.destination._path(pack_name(pack_id)))
    assert cli.main(["repo", "repair", "--repo", repo.location]) == 1
    output = capsys.readouterr().out
    assert "lost" in output and all(point in output for point in points)
    report = repo.repair()
    assert shared.hex() in report.lost_chunks and set(report.lost_restore_points) == set(points)
    for point in points:
        notes = repo.get_restore_point(point).volume("disk").notes
        assert sum(note.startswith("data lost:") for note in notes) == 1, notes  # marked once, however many runs
    # A source holding other data supplies nothing.
    other = tmp_path / "other.img"
    other.write_bytes(os.urandom(4 * MiB))
    assert shared.hex() in repo.repair([str(other)]).lost_chunks


def test_a_restore_records_the_damage_and_a_structure_check_then_knows_it(series, tmp_path):
    repo, _image, points, _versions, shared = series
    with pytest.raises(ChunkCorrupt):
        repo.restore_volume(points[3], "disk", str(tmp_path / "out.img"))
    report = repo.check()  # no --read-data: the recorded damage is enough
    assert not report.ok and set(report.affected_restore_points) == set(points)
    assert shared.hex() in repo.damaged_chunks()


def test_a_changed_extents_backup_reads_a_block_whose_chunk_is_damaged(series, tmp_path):
    """With changed extents (an RBD diff) unchanged blocks are carried over unread, except one whose chunk is
    damaged: it is read and stored again."""
    repo, image, points, versions, _shared = series
    repo.check(read_data=True)
    point, entry = backup(repo, image, previous=points[-1], changed_extents=[], sample_unchanged=0)
    assert entry.stats["bytes_new"] >= BLOCK and entry.stats["bytes_read"] == BLOCK, entry.stats
    repo.restore_volume(point, "disk", str(tmp_path / "new.img"))
    assert read(tmp_path / "new.img") == versions[-1]
