# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The restore pipeline for one volume: manifest -> index -> coalesced pack reads -> decode + verify -> write.

The calling thread walks the manifest a window at a time, looks every chunk up in the index (a missing one fails
at once, naming the chunk, the volume and the offset), groups the window's chunks by pack and coalesces nearby
blobs into single range reads. Workers fetch a range, decrypt, decompress, check each chunk's keyed BLAKE3 against
its id, and ``pwrite`` it at every offset that uses it. Zero blocks are never read or written (the target is
sparse or zeroed). A semaphore bounds the ranges in flight, so memory stays flat on any volume size.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .block_map import MANIFEST, BlockMapReader
from .chunk_id import ZERO_ID
from .errors import BackupCancelled, ChunkCorrupt, ChunkMissing, CorruptObject, ObjectNotFound
from .format import pack_name
from .restore_point import RestorePoint, VolumeEntry
from .volume_backup import default_workers
from .volume_io import VolumeTarget

if TYPE_CHECKING:
    from .repository import Repository

WINDOW_BYTES = 32 * 1024 * 1024
MAX_RANGE = 16 * 1024 * 1024
MAX_GAP = 256 * 1024
PROGRESS_INTERVAL = 0.25


class VolumeRestore:
    def __init__(self, repository: Repository, restore_point: RestorePoint, entry: VolumeEntry, target, *,
                 progress=None, verify: bool = True, cancel: threading.Event | None = None,
                 target_zeroed: bool | None = None, workers: int | None = None) -> None:
        self.repository = repository
        self.restore_point = restore_point
        self.entry = entry
        self.target_spec = target
        self.progress = progress
        self.verify = verify
        self.cancel = cancel
        self.target_zeroed = target_zeroed
        # Twice the cores: restore workers also wait on reads and direct writes.
        self.workers = workers or 2 * default_workers()
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._slots = threading.BoundedSemaphore(self.workers * 2)
        self.stats = {"bytes_total": entry.size, "bytes_written": 0, "bytes_zero": 0, "bytes_fetched": 0,
                      "chunks_verified": 0}

    def _where(self, block: int) -> dict:
        return {"volume": self.entry.key, "offset": block * self.entry.block_size,
                "restore_point": self.restore_point.id}

    def run(self) -> dict:
        started = time.monotonic()
        entry = self.entry
        block_size = entry.block_size
        read_chunk = self.repository.chunk_reader(volume=entry.key, restore_point=self.restore_point.id)
        manifest = BlockMapReader(read_chunk, bytes.fromhex(entry.manifest), MANIFEST)
        if manifest.size != entry.size or manifest.block_size != block_size:
            raise CorruptObject(f"the manifest of volume {entry.key!r} in restore point {self.restore_point.id} "
                                f"describes {manifest.size} bytes in blocks of {manifest.block_size}, the document "
                                f"{entry.size} in blocks of {block_size}")
        size = entry.size
        window = max(1, WINDOW_BYTES // block_size)
        index = self.repository.index
        with VolumeTarget(self.target_spec, size, self.target_zeroed) as target:
            self._target = target
            executor = ThreadPoolExecutor(self.workers, thread_name_prefix="restore")
            last_progress = time.monotonic()
            zero_start = None
            try:
                for first in range(0, manifest.blocks, window):
                    if self.cancel is not None and self.cancel.is_set():
                        raise BackupCancelled(f"restore of volume {entry.key} cancelled at byte {first * block_size}")
                    if self._error is not None:
                        raise self._error
                    by_pack: dict[str, dict[bytes, list]] = {}
                    for block in range(first, min(first + window, manifest.blocks)):
                        record = manifest.record(block)
                        if record == ZERO_ID:
                            if zero_start is None:
                                zero_start = block
                            continue
                        if zero_start is not None:
                            self._zero(zero_start, block)
                            zero_start = None
                        location = index.get(record)
                        if location is None:
                            raise ChunkMissing("is not in the repository index", record, **self._where(block))
                        pack_id, offset, length = location
                        chunks = by_pack.setdefault(pack_id, {})
                        item = chunks.get(record)
                        if item is None:
                            chunks[record] = [offset, length, record, [block]]
                        else:
                            item[3].append(block)
                    for pack_id, chunks in by_pack.items():
                        for start, end, items in _coalesce(sorted(chunks.values())):
                            self._slots.acquire()
                            if self._error is not None:
                                self._slots.release()
                                raise self._error
                            executor.submit(self._restore_range, pack_id, start, end, items)
                    now = time.monotonic()
                    if self.progress is not None and now - last_progress >= PROGRESS_INTERVAL:
                        last_progress = now
                        self.progress(min(first * block_size, size), self.stats["bytes_written"], size)
                if zero_start is not None:
                    self._zero(zero_start, manifest.blocks)
            finally:
                executor.shutdown(wait=True)
            if self._error is not None:
                raise self._error
            target.finish()
        self.stats["duration"] = round(time.monotonic() - started, 3)
        if self.progress is not None:
            self.progress(size, self.stats["bytes_written"], size)
        return dict(self.stats)

    def _zero(self, first_block: int, end_block: int) -> None:
        block_size = self.entry.block_size
        start = first_block * block_size
        end = min(end_block * block_size, self.entry.size)
        self._target.zero(start, end - start)
        self.stats["bytes_zero"] += end - start

    def _restore_range(self, pack_id: str, start: int, end: int, items: list) -> None:
        try:
            self._restore_range_inner(pack_id, start, end, items)
        except BaseException as error:  # reported to the scheduling thread
            with self._lock:
                if self._error is None:
                    self._error = error
        finally:
            self._slots.release()

    def _restore_range_inner(self, pack_id: str, start: int, end: int, items: list) -> None:
        name = pack_name(pack_id)
        first_item = items[0]
        try:
            data = self.repository.destination.get_range(name, start, end - start)
        except ObjectNotFound:
            raise ChunkMissing("is in a pack that is missing", first_item[2], pack=name,
                               **self._where(first_item[3][0])) from None
        except CorruptObject as error:
            raise ChunkCorrupt(f"cannot be read ({error})", first_item[2], pack=name,
                               **self._where(first_item[3][0])) from None
        view = memoryview(data)
        codec = self.repository.codec
        chunk_id = self.repository.hasher.chunk_id
        block_size = self.entry.block_size
        size = self.entry.size
        written = 0
        for offset, length, identity, blocks in items:
            blob = view[offset - start:offset - start + length]
            try:
                raw = codec.decode(blob, identity, max_size=block_size)
            except CorruptObject as error:
                raise ChunkCorrupt(f"is damaged ({error})", identity, pack=name, **self._where(blocks[0])) from None
            if self.verify and chunk_id(raw) != identity:
                raise ChunkCorrupt("does not match its keyed hash (altered data)", identity, pack=name,
                                   **self._where(blocks[0]))
            for block in blocks:
                expected = min(block_size, size - block * block_size)
                if len(raw) != expected:
                    raise ChunkCorrupt(f"holds {len(raw)} bytes where the volume needs {expected}", identity,
                                       pack=name, **self._where(block))
                self._target.write(raw, block * block_size)
                written += expected
        with self._lock:
            self.stats["bytes_written"] += written
            self.stats["bytes_fetched"] += end - start
            self.stats["chunks_verified"] += len(items) if self.verify else 0


def _coalesce(items: list) -> list[tuple[int, int, list]]:
    """Group blobs sorted by offset into ranges with small gaps, each at most ``MAX_RANGE`` long."""
    ranges = []
    current: list = []
    start = end = 0
    for item in items:
        offset, length = item[0], item[1]
        if current and offset - end <= MAX_GAP and offset + length - start <= MAX_RANGE:
            current.append(item)
            end = max(end, offset + length)
            continue
        if current:
            ranges.append((start, end, current))
        current, start, end = [item], offset, offset + length
    if current:
        ranges.append((start, end, current))
    return ranges
