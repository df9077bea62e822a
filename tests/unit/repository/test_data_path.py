# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The backup data path's moving parts: batches across map segments, the incompressibility check, two pack
committers, the hole probe cache, and errors raised inside the workers."""
from __future__ import annotations

import os
import random
import threading

import pytest
from storage_backup.repository import BackupCancelled, InvalidRequest, Repository, open_source
from storage_backup.repository.chunk_id import ZERO_ID
from storage_backup.repository.transforms import SAMPLE_PIECE, SAMPLE_PIECES, ZstdTransform
from storage_backup.repository.volume_io import ImageFileSource
from storage_backup.repository.workers import workers_for

from tests.support.repository_images import BLOCK, MiB, backup, overwrite, read, write_image


def _maps(repo, restore_point_id, key="disk"):
    point = repo.get_restore_point(restore_point_id)
    maps = repo._store.volume_maps(point, point.volume(key))
    return maps.manifest, maps.checksums


def test_small_segments_batches_never_straddle_and_incremental_reads_across_them(tmp_path):
    # 7 blocks per segment and 16 or 64 blocks per batch (1 or 4 MiB of 64 KiB blocks): batches are cut at every
    # segment end, and the previous maps are read segment by segment, across several of them.
    repo = Repository.init(str(tmp_path / "repo"), block_size=BLOCK, pack_size=MiB)
    repo.config.segment_blocks = 7
    image = tmp_path / "disk.img"
    write_image(image, 5 * MiB + 4096, pattern="rztr")
    first, entry = backup(repo, image)
    manifest, checksums = _maps(repo, first)
    assert manifest.segment_blocks == 7 and len(manifest.segment_ids) == -(-entry.stats["blocks_total"] // 7)
    rng = random.Random(3)
    for _ in range(4):
        overwrite(image, rng.randrange(0, 5 * MiB) // 4096 * 4096, rng.randbytes(10_000))
    second, entry = backup(repo, image, previous=first)
    assert entry.strategy == "incremental"
    assert entry.stats["bytes_new"] <= 8 * BLOCK  # each 10 kB write touches at most two blocks
    assert entry.stats["bytes_unchanged"] + entry.stats["bytes_zero"] + entry.stats["bytes_new"] \
        + entry.stats["bytes_deduplicated"] == entry.size
    target = tmp_path / "out.img"
    repo.restore_volume(second, "disk", str(target))
    assert read(target) == read(image)
    assert repo.check(read_data=True).ok


def test_incompressible_blocks_are_stored_raw_and_compressible_runs_are_found():
    zstd = ZstdTransform()
    sizes = []

    class Spy:
        def __init__(self, compressor):
            self.compressor = compressor

        def compress(self, data):
            sizes.append(len(data))
            return self.compressor.compress(data)

    zstd._compressor()
    zstd._local.compressor = Spy(zstd._local.compressor)
    assert zstd.compress(os.urandom(256 * 1024)) is None
    assert sizes == [256 * 1024]  # after a compressible block (or none): compressed directly
    sizes.clear()
    assert zstd.compress(os.urandom(256 * 1024)) is None
    assert sizes == [SAMPLE_PIECES * SAMPLE_PIECE]  # after an incompressible one: judged from the sample alone
    # Random but for one run of zeros just longer than the sampling stride: the sample must see it.
    stride = 256 * 1024 // SAMPLE_PIECES
    mixed = bytearray(os.urandom(256 * 1024))
    start = 3 * stride + 100
    mixed[start:start + stride + SAMPLE_PIECE] = bytes(stride + SAMPLE_PIECE)
    assert zstd.compress(memoryview(mixed)) is not None  # views of the read buffer are what the workers pass
    text = b"the quick brown fox jumps over the lazy dog\n" * 6000
    assert zstd.compress(os.urandom(256 * 1024)) is None
    assert len(zstd.compress(text[:256 * 1024])) < 256 * 1024 // 10  # the sample of text compresses: not skipped
    sizes.clear()
    assert zstd.compress(text[:200 * 1024]) is not None and sizes == [200 * 1024]
    # Small inputs are compressed directly.
    assert zstd.compress(b"x" * 1000) is not None and zstd.compress(os.urandom(1000)) is None


def test_many_packs_from_two_committers_are_all_indexed(tmp_path, monkeypatch):
    from storage_backup.repository import chunk_writer

    # Packs of 64 KiB and an index object every 40 chunks: the two committers flush index objects concurrently,
    # and every one must get its own name.
    monkeypatch.setattr(chunk_writer, "INDEX_FLUSH_ENTRIES", 40)
    repo = Repository.init(str(tmp_path / "repo"), block_size=16 * 1024, pack_size=64 * 1024)
    image = tmp_path / "disk.img"
    write_image(image, 6 * MiB, pattern="rt")
    restore_point, entry = backup(repo, image)
    names = repo._store.index_names()
    assert len(names) == len(set(names)) > 5
    index = repo._store.refresh_index(force=True)
    manifest, _checksums = _maps(repo, restore_point)
    assert all(manifest.record(n) in index for n in range(manifest.blocks))
    assert entry.stats["blocks_new"] == len(index) - 4  # the rest: one segment and one root per map
    report = repo.check(read_data=True)
    assert report.ok, report.errors
    repo.restore_volume(restore_point, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)


def test_hole_probe_answers_from_the_last_extents(tmp_path, monkeypatch):
    path = tmp_path / "sparse.img"
    with open(path, "wb") as handle:
        handle.truncate(64 * MiB)
        handle.seek(40 * MiB)
        handle.write(b"x" * MiB)
    calls = []
    real_lseek = os.lseek

    def counting_lseek(fd, offset, how):
        calls.append((offset, how))
        return real_lseek(fd, offset, how)

    monkeypatch.setattr(os, "lseek", counting_lseek)
    with open_source(str(path)) as source:
        answers = [source.is_hole(offset, MiB) for offset in range(0, 64 * MiB, MiB)]
    assert answers == [offset != 40 for offset in range(64)]
    if calls and calls[0][1] == os.SEEK_DATA:  # a filesystem with SEEK_DATA: a few probes, not one per batch
        assert len(calls) <= 6


def test_sparse_volume_round_trip_with_data_between_holes(repo, tmp_path):
    path = tmp_path / "sparse.img"
    pieces = {3 * MiB + 8192: os.urandom(300_000), 17 * MiB: os.urandom(MiB), 30 * MiB - 5000: os.urandom(5000)}
    with open(path, "wb") as handle:
        handle.truncate(30 * MiB)
        for offset, data in pieces.items():
            handle.seek(offset)
            handle.write(data)
    restore_point, entry = backup(repo, path)
    assert entry.stats["bytes_read"] <= 6 * MiB
    repo.restore_volume(restore_point, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(path)
    manifest, _checksums = _maps(repo, restore_point)
    assert manifest.record(0) == ZERO_ID and manifest.record(17 * MiB // BLOCK) != ZERO_ID


def test_an_error_in_a_worker_fails_the_backup_and_stops_the_others(repo, tmp_path, monkeypatch):
    image = tmp_path / "disk.img"
    write_image(image, 8 * MiB, pattern="rt")
    real_read = ImageFileSource.read_into
    reads = []

    def failing_read(self, view, offset):
        reads.append(offset)
        if offset >= 3 * MiB:
            raise InvalidRequest(f"{self.name} ended at byte {offset}, before its size {self.size}")
        real_read(self, view, offset)

    monkeypatch.setattr(ImageFileSource, "read_into", failing_read)
    with repo.start_restore_point({"name": "shrunk"}) as writer:
        with pytest.raises(InvalidRequest, match="ended at byte"):
            writer.backup_volume("disk", str(image))
    assert repo.list_restore_points() == []
    assert max(reads) < 8 * MiB - MiB or len(reads) < 8  # the others stopped claiming batches


def test_cancel_while_the_workers_run(repo, tmp_path, monkeypatch):
    image = tmp_path / "disk.img"
    write_image(image, 16 * MiB, pattern="r")
    cancel = threading.Event()
    real_read = ImageFileSource.read_into

    def read_then_cancel(self, view, offset):
        real_read(self, view, offset)
        if offset >= 2 * MiB:
            cancel.set()

    monkeypatch.setattr(ImageFileSource, "read_into", read_then_cancel)
    writer = repo.start_restore_point({"name": "cancelled"})
    with pytest.raises(BackupCancelled, match="cancelled at byte"):
        writer.backup_volume("disk", str(image), cancel=cancel)
    writer.abort()
    assert repo.list_restore_points() == []


def test_zero_blocks_are_found_byte_for_byte(repo, tmp_path):
    image = tmp_path / "disk.img"
    blocks = [bytes(BLOCK), os.urandom(BLOCK), bytes(BLOCK - 1) + b"\x01", bytes(BLOCK)]
    image.write_bytes(b"".join(blocks) + bytes(1000))  # and a zero tail shorter than a block
    restore_point, entry = backup(repo, image)
    assert entry.stats["bytes_zero"] == 2 * BLOCK + 1000
    manifest, _checksums = _maps(repo, restore_point)
    assert [manifest.record(n) == ZERO_ID for n in range(5)] == [True, False, False, True, True]
    repo.restore_volume(restore_point, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)


def test_workers_one_per_core_for_an_image_file_and_one_more_for_a_block_device(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    path = tmp_path / "disk.img"
    write_image(path, MiB, pattern="r")
    with open_source(str(path)) as source:
        assert workers_for(source) == 2
        source.reads_wait_on_storage = True  # what a block device says (test_volume_io.py opens a real one)
        assert workers_for(source) == 3
