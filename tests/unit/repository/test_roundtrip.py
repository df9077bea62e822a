# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Backup and restore round trips: full, incremental, dedup, zero blocks, growth and shrink, changed extents."""
from __future__ import annotations

import os
import random
import threading

import pytest
from storage_backup.repository import BackupCancelled, Consistency, InvalidRequest, Repository

from tests.support.repository_images import BLOCK, MiB, backup, overwrite, read, repository_bytes, write_image


def test_full_then_incremental_restore_byte_for_byte(repo, tmp_path):
    image = tmp_path / "disk.img"
    original = write_image(image, 8 * MiB)
    first, entry = backup(repo, image)
    assert entry.strategy == "full"
    assert entry.stats["bytes_read"] == 8 * MiB

    rng = random.Random(5)
    changes = [(rng.randrange(0, 8 * MiB - 100_000) // 4096 * 4096, rng.randbytes(100_000)) for _ in range(3)]
    for offset, data in changes:
        overwrite(image, offset, data)
    second, entry = backup(repo, image, strategy="incremental", previous=first)
    assert entry.strategy == "incremental" and entry.parent == first
    changed = len({(offset + i) // BLOCK for offset, data in changes for i in range(0, len(data), 4096)}
                  | {(offset + len(data) - 1) // BLOCK for offset, data in changes})
    assert entry.stats["bytes_new"] <= changed * BLOCK
    assert entry.stats["bytes_unchanged"] + entry.stats["bytes_zero"] >= 8 * MiB - changed * BLOCK
    assert 3 * MiB - changed * BLOCK <= entry.stats["bytes_zero"] <= 3 * MiB  # changes may land in zeros

    for restore_point, expected in ((first, original), (second, read(image))):
        target = tmp_path / f"restored-{restore_point}"
        stats = repo.restore_volume(restore_point, "disk", str(target))
        assert read(target) == expected
        assert stats["chunks_verified"] > 0


def test_zero_blocks_are_neither_stored_nor_written(repo, tmp_path):
    image = tmp_path / "zeros.img"
    write_image(image, 16 * MiB, pattern="zzzzzzzr")  # 14 MiB zero, 2 MiB random
    before = repository_bytes(repo.destination.root)
    restore_point, entry = backup(repo, image)
    assert entry.stats["bytes_zero"] == 14 * MiB
    assert repository_bytes(repo.destination.root) - before < 2 * MiB + 64 * 1024
    target = tmp_path / "out.img"
    stats = repo.restore_volume(restore_point, "disk", str(target))
    assert stats["bytes_written"] == 2 * MiB and stats["bytes_zero"] == 14 * MiB
    assert read(target) == read(image)
    assert os.stat(target).st_blocks * 512 <= 2 * MiB + 256 * 1024  # sparse: the zeros were never written


def test_sparse_source_holes_are_not_read(repo, tmp_path):
    image = tmp_path / "sparse.img"
    with open(image, "wb") as handle:
        handle.truncate(64 * MiB)
        handle.seek(40 * MiB)
        handle.write(os.urandom(MiB))
    restore_point, entry = backup(repo, image)
    assert entry.stats["bytes_read"] <= 8 * MiB  # only the 4 MiB batch holding the data (and neighbours)
    assert entry.stats["bytes_zero"] == 63 * MiB
    target = tmp_path / "out.img"
    repo.restore_volume(restore_point, "disk", str(target))
    assert read(target) == read(image)


def test_deduplication_across_restore_points_and_names(repo, tmp_path):
    image = tmp_path / "a.img"
    write_image(image, 6 * MiB, pattern="rt")
    backup(repo, image, key="vol-a", labels={"name": "first"})
    size_after_first = repository_bytes(repo.destination.root)
    copy = tmp_path / "b.img"
    copy.write_bytes(image.read_bytes())
    _, entry = backup(repo, copy, key="vol-b", labels={"name": "second"}, strategy="full")
    assert entry.stats["bytes_new"] == 0
    assert entry.stats["bytes_deduplicated"] == 6 * MiB
    assert repository_bytes(repo.destination.root) - size_after_first < 64 * 1024  # maps and documents only


def test_repeated_block_stored_once_within_a_volume(repo, tmp_path):
    block = os.urandom(BLOCK)
    image = tmp_path / "repeat.img"
    image.write_bytes(block * 32)
    restore_point, entry = backup(repo, image)
    assert entry.stats["bytes_new"] == BLOCK
    repo.restore_volume(restore_point, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == block * 32


def test_volume_grew_is_incremental_over_old_size_and_full_over_the_rest(repo, tmp_path):
    image = tmp_path / "grow.img"
    write_image(image, 4 * MiB, pattern="r")
    first, _ = backup(repo, image)
    with open(image, "ab") as handle:
        handle.write(os.urandom(3 * MiB))
    second, entry = backup(repo, image, strategy="incremental", previous=first)
    assert entry.stats["bytes_unchanged"] == 4 * MiB
    assert entry.stats["bytes_new"] == 3 * MiB
    assert any("grew from" in note for note in entry.notes)
    repo.restore_volume(second, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)


def test_deleted_previous_falls_back_to_full(repo, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, 2 * MiB, pattern="r")
    first, _ = backup(repo, image)
    repo.delete_restore_point(first)
    second, entry = backup(repo, image, previous=first)
    assert entry.strategy == "full" and entry.parent is None
    assert any("no longer exists" in note for note in entry.notes)
    assert entry.stats["bytes_deduplicated"] == 2 * MiB  # its chunks were still there until a prune


def test_volume_shrank(repo, tmp_path):
    image = tmp_path / "shrink.img"
    write_image(image, 5 * MiB + 12345, pattern="rt")
    first, _ = backup(repo, image)
    with open(image, "r+b") as handle:
        handle.truncate(3 * MiB + 777)
    second, entry = backup(repo, image, previous=first)
    assert any("shrank" in note for note in entry.notes)
    assert entry.size == 3 * MiB + 777
    assert entry.stats["bytes_new"] <= BLOCK  # only the new partial tail block
    repo.restore_volume(second, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)
    repo.restore_volume(first, "disk", str(tmp_path / "old.img"))
    assert len(read(tmp_path / "old.img")) == 5 * MiB + 12345


def test_changed_extents_reads_only_those_blocks(repo, tmp_path):
    image = tmp_path / "rbd.img"
    write_image(image, 8 * MiB, pattern="rt")
    first, _ = backup(repo, image)
    overwrite(image, 3 * MiB + 100, b"x" * 5000)
    overwrite(image, 7 * MiB, b"y" * BLOCK)
    second, entry = backup(repo, image, previous=first,
                           changed_extents=[(3 * MiB + 100, 5000), (7 * MiB, BLOCK)], sample_unchanged=0)
    assert entry.strategy == "changed-extents"
    assert entry.stats["bytes_read"] == 2 * BLOCK
    repo.restore_volume(second, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)
    with pytest.raises(InvalidRequest):
        backup(repo, image, key="other", changed_extents=[(0, 10)])


def test_changed_extents_sample_unchanged_blocks_and_agree(repo, tmp_path):
    image = tmp_path / "rbd.img"
    write_image(image, 8 * MiB, pattern="rt")
    first, _ = backup(repo, image)
    overwrite(image, 2 * MiB, b"c" * 300)
    _, entry = backup(repo, image, previous=first, changed_extents=[(2 * MiB, 300)], sample_unchanged=16)
    assert entry.strategy == "changed-extents"
    assert entry.stats["sampled_blocks"] == 16 and entry.stats["sample_mismatches"] == 0
    assert entry.stats["bytes_read"] == 17 * BLOCK  # the changed block and the sample, nothing else


def test_an_absurd_sample_size_samples_every_unchanged_block_once(repo, tmp_path):
    image = tmp_path / "rbd.img"
    write_image(image, 2 * MiB, pattern="rt")
    first, _ = backup(repo, image)
    _, entry = backup(repo, image, previous=first, changed_extents=[(0, 10)], sample_unchanged=10 ** 12)
    assert entry.stats["sampled_blocks"] == 2 * MiB // BLOCK - 1 and entry.stats["sample_mismatches"] == 0


def test_changed_extents_that_miss_a_change_turn_into_a_checksum_pass(repo, tmp_path):
    """A diff that forgot a change (whole-object diffs have had Ceph bugs) must not carry a stale block forward:
    with every unchanged block sampled, the sample finds it, and the backup reads and compares every block."""
    image = tmp_path / "rbd.img"
    write_image(image, 4 * MiB, pattern="rt")
    first, _ = backup(repo, image)
    overwrite(image, 1 * MiB, b"reported" * 10)
    overwrite(image, 3 * MiB + 5, b"missed" * 10)  # not in the extents below
    second, entry = backup(repo, image, previous=first, changed_extents=[(1 * MiB, 80)],
                           sample_unchanged=4 * MiB // BLOCK)
    assert entry.strategy == "incremental"
    assert entry.stats["sample_mismatches"] == 1
    assert any("missed changes" in note for note in entry.notes)
    repo.restore_volume(second, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)


def test_restore_over_existing_file_and_open_file(repo, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, 3 * MiB, pattern="zr")
    restore_point, _ = backup(repo, image)
    dirty = tmp_path / "dirty.img"
    dirty.write_bytes(os.urandom(3 * MiB))
    repo.restore_volume(restore_point, "disk", str(dirty))
    assert read(dirty) == read(image)
    # An open file is not assumed zero: the zero stripe must be written.
    dirty.write_bytes(os.urandom(3 * MiB))
    with open(dirty, "r+b") as handle:
        repo.restore_volume(restore_point, "disk", handle)
    assert read(dirty) == read(image)


def test_several_volumes_in_one_restore_point_from_threads(repo, tmp_path):
    images = []
    for number in range(3):
        path = tmp_path / f"v{number}.img"
        write_image(path, 2 * MiB + number * 4096, seed=number, pattern="rtz")
        images.append(path)
    with repo.start_restore_point({"instance_id": "i-1"}, {"flavor": "m1.small"}, consistency=Consistency.PER_VOLUME) \
            as writer:
        threads = [threading.Thread(target=writer.backup_volume, args=(f"vol-{n}", str(path)))
                   for n, path in enumerate(images)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        restore_point_id = writer.commit()
    point = repo.get_restore_point(restore_point_id)
    assert sorted(v.key for v in point.volumes) == ["vol-0", "vol-1", "vol-2"]
    assert point.instance_metadata == {"flavor": "m1.small"} and point.consistency == "per-volume"
    for number, path in enumerate(images):
        repo.restore_volume(restore_point_id, f"vol-{number}", str(tmp_path / f"out{number}"))
        assert read(tmp_path / f"out{number}") == read(path)
    assert repo.check(read_data=True).ok


def test_progress_and_cancel(repo, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, 4 * MiB, pattern="r")
    calls = []
    backup(repo, image, progress=lambda done, stored, total: calls.append((done, stored, total)))
    assert calls[-1][0] == calls[-1][2] == 4 * MiB
    cancel = threading.Event()
    cancel.set()
    writer = repo.start_restore_point({"name": "cancelled"})
    with pytest.raises(BackupCancelled):
        writer.backup_volume("disk", str(image), cancel=cancel)
    writer.abort()
    assert len(repo.list_restore_points()) == 1


def test_list_and_latest_by_labels(repo, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, MiB, pattern="r")
    a, _ = backup(repo, image, labels={"name": "a", "project_id": "p1"})
    b, _ = backup(repo, image, labels={"name": "b", "project_id": "p1"})
    c, _ = backup(repo, image, labels={"name": "a", "project_id": "p1"})
    assert [p.id for p in repo.list_restore_points({"project_id": "p1"})] == [a, b, c]
    assert repo.latest_restore_point({"name": "a"}).id == c
    assert repo.get_restore_point(b[:8]).id == b
    reopened = Repository.open(repo.destination.root)
    assert [p.id for p in reopened.list_restore_points({"name": "a"})] == [a, c]


def test_known_zero_ranges_are_recorded_as_zeros_without_reading_them(repo, tmp_path):
    """Ceph's discarded extents: a batch wholly inside them is zeros, unread (the device reads zeros there)."""
    from storage_backup.repository import KnownZerosSource, open_source

    image = tmp_path / "rbd.img"
    write_image(image, 4 * MiB, pattern="rr")
    first, _ = backup(repo, image)
    with open(image, "r+b") as handle:  # discard the second MiB, write a little in the fourth
        handle.seek(1 * MiB)
        handle.write(bytes(MiB))
    overwrite(image, 3 * MiB, b"new" * 100)
    source = KnownZerosSource(open_source(str(image), detect_holes=False), [(1 * MiB, 1 * MiB)])
    try:
        with repo.start_restore_point({"name": "test"}) as writer:
            entry = writer.backup_volume("disk", source, previous=first, sample_unchanged=0,
                                         changed_extents=[(1 * MiB, 1 * MiB), (3 * MiB, 300)])
            second = writer.commit()
    finally:
        source.close()
    assert entry.strategy == "changed-extents"
    assert entry.stats["bytes_read"] == BLOCK  # the written block only; the discarded MiB is not read
    assert entry.stats["bytes_zero"] >= 1 * MiB
    repo.restore_volume(second, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)


def test_changed_extents_scattered_over_a_volume_restore_byte_for_byte(repo, tmp_path):
    """Runs of unchanged blocks between extents are carried over in whole-segment batches, unread; the blocks the
    extents touch (and those past the previous size) are read: the result is the volume as it is now."""
    image = tmp_path / "rbd.img"
    write_image(image, 12 * MiB, pattern="rztr")
    first, _ = backup(repo, image)
    rng = random.Random(7)
    extents = []
    for _ in range(9):
        offset = rng.randrange(0, 12 * MiB - 70_000)
        data = rng.randbytes(rng.randrange(1, 70_000))
        overwrite(image, offset, data)
        extents.append((offset, len(data)))
    with open(image, "ab") as handle:  # grown by 1 MiB: beyond the previous size everything is read
        handle.write(rng.randbytes(MiB))
    second, entry = backup(repo, image, previous=first, changed_extents=extents, sample_unchanged=0)
    assert entry.strategy == "changed-extents"
    touched = {block for offset, length in extents
               for block in range(offset // BLOCK, (offset + length - 1) // BLOCK + 1)}
    assert entry.stats["bytes_read"] == len(touched) * BLOCK + MiB
    repo.restore_volume(second, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)
