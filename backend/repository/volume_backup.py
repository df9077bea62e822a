"""The backup pipeline for one volume: read -> change detection -> keyed hash -> compress/encrypt -> pack.

The calling thread reads large batches (4 MiB) into a fixed set of reused buffers, computes xxh3-128 per block,
and decides per block: unchanged since the previous restore point (take its chunk id), all zero (mark it), or
changed (hand the block to a worker). Workers compute the keyed BLAKE3 id, skip chunks the repository already
has, and compress, encrypt and append the rest to the current pack; BLAKE3, zstd, AES-GCM and file writes all
release the GIL, so the stages overlap on every core. Because a batch's buffer returns to the pool only when its
blocks are stored, at most ``buffers x 4 MiB`` of volume data is in memory, whatever the volume size.
"""
from __future__ import annotations

import collections
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import xxhash

from .block_map import CHECKSUM_MAP, MANIFEST, BlockMapReader, encode_root
from .chunk_id import ZERO_ID
from .errors import BackupCancelled, InvalidRequest, VolumeNotFound
from .format import CHUNK_DATA
from .restore_point import RestorePoint, VolumeEntry
from .volume_io import VolumeSource

if TYPE_CHECKING:
    from .writer import RestorePointWriter

READ_SIZE = 4 * 1024 * 1024
#: Batches read ahead, each by its own thread.
READ_AHEAD = 3
PROGRESS_INTERVAL = 0.25


def default_workers() -> int:
    return max(2, min(8, os.cpu_count() or 2))


class _Segment:
    __slots__ = ("ids", "number", "pending", "read_done", "sums")

    def __init__(self, number: int, blocks: int) -> None:
        self.number = number
        self.ids = bytearray(blocks * 32)
        self.sums = bytearray(blocks * 16)
        self.pending = 0
        self.read_done = False


def _merge_extents(extents, size: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for offset, length in sorted((int(o), int(n)) for o, n in extents):
        if length <= 0:
            continue
        if offset < 0:
            raise InvalidRequest(f"changed extent at negative offset {offset}")
        end = min(offset + length, size)
        if offset >= size:
            continue
        if merged and offset <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((offset, end))
    return merged


class VolumeBackup:
    def __init__(self, writer: RestorePointWriter, key: str, source, *, size: int | None, strategy: str,
                 previous: RestorePoint | None, changed_extents, progress, cancel, block_size: int,
                 detect_holes: bool = True, workers: int | None = None) -> None:
        self.writer = writer
        self.repository = writer.repository
        self.key = key
        self.source_spec = source
        self.requested_size = size
        self.strategy = strategy
        self.previous = previous
        self.changed_extents = changed_extents
        self.progress = progress
        self.cancel = cancel
        self.block_size = block_size
        self.detect_holes = detect_holes
        self.workers = workers or default_workers()
        self.segment_blocks = self.repository.config.segment_blocks
        if block_size <= 0 or block_size % 4096 or block_size > 16 * 1024 * 1024:
            raise InvalidRequest(f"block size {block_size} must be a multiple of 4096 up to 16 MiB")
        self.notes: list[str] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._jobs = 0
        self._error: BaseException | None = None
        self._segments: dict[int, _Segment] = {}
        self._verified: dict[int, bool] = {}
        self._next_final = 0
        self._manifest_segments: list[bytes] = []
        self._checksum_segments: list[bytes] = []
        self.stats = {"bytes_total": 0, "bytes_read": 0, "bytes_zero": 0, "bytes_unchanged": 0, "bytes_new": 0,
                      "bytes_deduplicated": 0, "bytes_stored": 0, "blocks_total": 0, "blocks_new": 0}

    # -- setup --------------------------------------------------------------------------------------------------

    def _previous_maps(self, size: int):
        previous = self.previous
        wants_previous = self.strategy == "incremental" or self.changed_extents is not None
        if previous is None or not wants_previous:
            if self.changed_extents is not None:
                raise InvalidRequest("changed_extents needs the previous restore point the extents are relative to")
            if self.strategy == "incremental":
                self.notes.append("no previous restore point: full backup")
            return None, None, None
        try:
            entry = previous.volume(self.key)
        except VolumeNotFound:
            if self.changed_extents is not None:
                raise InvalidRequest(f"restore point {previous.id} has no volume {self.key!r} to apply changed "
                                     f"extents to") from None
            self.notes.append(f"restore point {previous.id} has no volume {self.key!r}: full backup")
            return None, None, None
        if entry.block_size != self.block_size:
            if self.changed_extents is not None:
                raise InvalidRequest(f"restore point {previous.id} used block size {entry.block_size}, this backup "
                                     f"{self.block_size}: changed extents cannot be applied")
            self.notes.append(f"block size changed from {entry.block_size} to {self.block_size} since restore point "
                              f"{previous.id}: full backup")
            return None, None, None
        read_chunk = self.repository.read_chunk
        manifest = BlockMapReader(read_chunk, bytes.fromhex(entry.manifest), MANIFEST)
        checksums = BlockMapReader(read_chunk, bytes.fromhex(entry.checksum_map), CHECKSUM_MAP)
        if entry.size < size:
            self.notes.append(f"volume {self.key} grew from {entry.size} to {size} bytes since restore point "
                              f"{previous.id}: incremental over the first {entry.size} bytes, full over the rest")
        elif entry.size > size:
            self.notes.append(f"volume {self.key} shrank from {entry.size} to {size} bytes since restore point "
                              f"{previous.id}: incremental over its new size")
        return entry, manifest, checksums

    # -- the pipeline -------------------------------------------------------------------------------------------

    def run(self) -> VolumeEntry:
        started = time.monotonic()
        with VolumeSource(self.source_spec, self.requested_size, self.detect_holes) as source:
            size = source.size
            previous_entry, previous_manifest, previous_sums = self._previous_maps(size)
            executor = ThreadPoolExecutor(self.workers, thread_name_prefix=f"backup-{self.key[:12]}")
            try:
                self._read_all(source, size, previous_manifest, previous_sums, executor)
            finally:
                with self._idle:
                    while self._jobs:
                        self._idle.wait()
                executor.shutdown(wait=True)
            if self._error is not None:
                raise self._error
            self._finalize_ready(force=True)
        manifest_root, stored_a = self.writer.store_meta(encode_root(
            MANIFEST, size, self.block_size, self.segment_blocks, self._manifest_segments))
        checksum_root, stored_b = self.writer.store_meta(encode_root(
            CHECKSUM_MAP, size, self.block_size, self.segment_blocks, self._checksum_segments))
        self.stats["bytes_stored"] += stored_a + stored_b
        duration = time.monotonic() - started
        self.stats["duration"] = round(duration, 3)
        self.stats["bytes_total"] = size
        if self.progress is not None:
            self.progress(size, self.stats["bytes_stored"], size)
        strategy = "full" if previous_entry is None else (
            "changed-extents" if self.changed_extents is not None else "incremental")
        return VolumeEntry(key=self.key, size=size, block_size=self.block_size, manifest=manifest_root.hex(),
                           checksum_map=checksum_root.hex(), strategy=strategy,
                           parent=self.previous.id if previous_entry is not None else None,
                           stats=dict(self.stats), notes=list(self.notes))

    def _plan(self, first: int, count: int, size: int, source: VolumeSource, extents, previous_blocks: int):
        """What to read of the batch starting at block ``first``: ``(offset, length, needed, hole)``.

        ``needed`` is None (read all) or, with changed extents, one flag per block (blocks touching an extent or
        beyond the previous size); the others are carried over from the previous maps. ``hole``: all zeros."""
        block_size = self.block_size
        offset = first * block_size
        length = min(count * block_size, size - offset)
        needed = None
        if extents is not None:
            needed = []
            for block in range(first, first + count):
                start, end = block * block_size, min((block + 1) * block_size, size)
                while self._extent_index < len(extents) and extents[self._extent_index][1] <= start:
                    self._extent_index += 1
                touches = self._extent_index < len(extents) and extents[self._extent_index][0] < end
                needed.append(touches or block >= previous_blocks)
        reading = needed is None or any(needed)
        hole = reading and source.is_hole(offset, length)
        return offset, length, needed, hole, reading and not hole

    def _read_batch(self, source: VolumeSource, buffer: bytearray, offset: int, length: int, needed) -> int:
        """Runs in a read-ahead thread: fill ``buffer`` (each run of needed blocks with one call)."""
        view = memoryview(buffer)
        try:
            if needed is None:
                source.read_into(view[:length], offset)
                return length
            block_size = self.block_size
            done = i = 0
            count = len(needed)
            while i < count:
                if not needed[i]:
                    i += 1
                    continue
                j = i
                while j < count and needed[j]:
                    j += 1
                run_start, run_end = i * block_size, min(j * block_size, length)
                source.read_into(view[run_start:run_end], offset + run_start)
                done += run_end - run_start
                i = j
            return done
        finally:
            view.release()

    def _read_all(self, source: VolumeSource, size: int, previous_manifest, previous_sums, executor) -> None:
        block_size = self.block_size
        segment_blocks = self.segment_blocks
        batch_blocks = max(1, READ_SIZE // block_size)
        blocks = -(-size // block_size)
        self.stats["blocks_total"] = blocks
        # Buffers: READ_AHEAD batches being read, two per worker being stored, one being classified. Reads run
        # in their own threads (preadv releases the GIL), so the device sees several requests at once and this
        # thread hashes one batch while the next ones arrive.
        buffers: queue.Queue = queue.Queue()
        for _ in range(READ_AHEAD + self.workers * 2 + 1):
            buffers.put(bytearray(batch_blocks * block_size))
        self._buffers = buffers
        zero_block = bytes(block_size)
        zero_digests = {block_size: xxhash.xxh3_128_digest(zero_block)}
        tail = size % block_size
        if tail:
            zero_digests[tail] = xxhash.xxh3_128_digest(zero_block[:tail])
        digest = xxhash.xxh3_128_digest
        previous_blocks = previous_sums.blocks if previous_sums is not None else 0
        extents = _merge_extents(self.changed_extents, size) if self.changed_extents is not None else None
        self._extent_index = 0
        known = self.writer.known
        stats = self.stats
        last_progress = time.monotonic()
        readers = ThreadPoolExecutor(READ_AHEAD, thread_name_prefix="read-ahead")
        pending: collections.deque = collections.deque()
        next_first = 0
        try:
            while pending or next_first < blocks:
                while len(pending) < READ_AHEAD and next_first < blocks:
                    count = min(batch_blocks, blocks - next_first)
                    offset, length, needed, hole, reading = self._plan(next_first, count, size, source, extents,
                                                                       previous_blocks)
                    buffer = future = None
                    if reading:
                        buffer = buffers.get()
                        future = readers.submit(self._read_batch, source, buffer, offset, length, needed)
                    pending.append((next_first, count, offset, length, needed, hole, buffer, future))
                    next_first += count
                first, count, offset, length, needed, hole, buffer, future = pending.popleft()
                if self.cancel is not None and self.cancel.is_set():
                    raise BackupCancelled(f"backup of volume {self.key} cancelled at byte {offset}")
                if self._error is not None:
                    raise self._error
                if future is not None:
                    try:
                        stats["bytes_read"] += future.result()
                    except BaseException:
                        buffers.put(buffer)
                        raise
                view = memoryview(buffer) if buffer is not None else None
                todo = []
                unchanged = self._unchanged_batch(view, first, count, length, previous_manifest, previous_sums,
                                                  previous_blocks, needed, digest)
                with self._lock:
                    if unchanged is not None:
                        # The whole batch is as it was: take its records from the previous maps in one go.
                        number, slot = divmod(first, segment_blocks)
                        segment = self._segment(number, blocks)
                        sums, ids = unchanged
                        segment.sums[slot * 16:(slot + count) * 16] = sums
                        segment.ids[slot * 32:(slot + count) * 32] = ids
                        for i in range(count):
                            key = "bytes_zero" if ids[i * 32:i * 32 + 32] == ZERO_ID else "bytes_unchanged"
                            stats[key] += min(block_size, length - i * block_size)
                    for i in range(count if unchanged is None else 0):
                        block = first + i
                        number, slot = divmod(block, segment_blocks)
                        segment = self._segment(number, blocks)
                        start = i * block_size
                        block_length = min(block_size, length - start)
                        id_at, sum_at = slot * 32, slot * 16
                        if needed is not None and not needed[i]:
                            previous_id = previous_manifest.record(block)
                            segment.ids[id_at:id_at + 32] = previous_id
                            segment.sums[sum_at:sum_at + 16] = previous_sums.record(block)
                            stats["bytes_zero" if previous_id == ZERO_ID else "bytes_unchanged"] += block_length
                            continue
                        if hole:
                            segment.ids[id_at:id_at + 32] = ZERO_ID
                            segment.sums[sum_at:sum_at + 16] = zero_digests[block_length]
                            stats["bytes_zero"] += block_length
                            continue
                        checksum = digest(view[start:start + block_length])
                        segment.sums[sum_at:sum_at + 16] = checksum
                        if block < previous_blocks and previous_sums.record(block) == checksum:
                            previous_id = previous_manifest.record(block)
                            if previous_id == ZERO_ID or known(previous_id):
                                segment.ids[id_at:id_at + 32] = previous_id
                                stats["bytes_zero" if previous_id == ZERO_ID else "bytes_unchanged"] += block_length
                                continue
                        if checksum == zero_digests[block_length] and \
                                buffer[start:start + block_length] == zero_block[:block_length]:
                            segment.ids[id_at:id_at + 32] = ZERO_ID
                            stats["bytes_zero"] += block_length
                            continue
                        segment.pending += 1
                        todo.append((block, start, block_length))
                    last_number = (first + count - 1) // segment_blocks
                    for number in range(self._next_final, last_number):
                        self._segments[number].read_done = True
                    if first + count == blocks:
                        self._segments[last_number].read_done = True
                    if todo:
                        self._jobs += 1
                if view is not None:
                    view.release()
                if buffer is not None:
                    if todo:
                        executor.submit(self._store_blocks, buffer, todo)
                    else:
                        buffers.put(buffer)
                self._finalize_ready()
                now = time.monotonic()
                if self.progress is not None and now - last_progress >= PROGRESS_INTERVAL:
                    last_progress = now
                    self.progress(offset + length, stats["bytes_stored"], size)
        finally:
            for *_plan, _buffer, future in pending:
                if future is not None:
                    future.exception()  # wait: the buffer must not be in use when we return
            readers.shutdown(wait=True)

    def _segment(self, number: int, blocks: int) -> _Segment:
        segment = self._segments.get(number)
        if segment is None:
            segment = self._segments[number] = _Segment(
                number, min(self.segment_blocks, blocks - number * self.segment_blocks))
        return segment

    def _unchanged_batch(self, view, first: int, count: int, length: int, previous_manifest, previous_sums,
                         previous_blocks: int, needed, digest) -> tuple[bytes, bytes] | None:
        """``(checksums, chunk ids)`` of a batch read in full that is identical to the previous restore point's,
        or None. Most batches of an incremental are: one comparison instead of a dozen per-block steps."""
        segment_blocks = self.segment_blocks
        if (view is None or needed is not None or first + count > previous_blocks
                or previous_sums.segment_blocks != segment_blocks
                or first // segment_blocks != (first + count - 1) // segment_blocks):
            return None
        block_size = self.block_size
        sums = b"".join([digest(view[start:min(start + block_size, length)])
                         for start in range(0, count * block_size, block_size)])
        number, slot = divmod(first, segment_blocks)
        if sums != previous_sums.segment(number)[slot * 16:(slot + count) * 16]:
            return None
        if not self._previous_segment_indexed(previous_manifest, number):
            return None
        return sums, previous_manifest.segment(number)[slot * 32:(slot + count) * 32]

    def _previous_segment_indexed(self, previous_manifest, number: int) -> bool:
        """Whether every chunk of a previous manifest segment is still in the index (checked once per segment),
        so carrying its ids over never references a chunk the repository lost."""
        verified = self._verified.get(number)
        if verified is None:
            segment = previous_manifest.segment(number)
            index = self.repository.index
            verified = self._verified[number] = all(
                segment[at:at + 32] == ZERO_ID or segment[at:at + 32] in index for at in range(0, len(segment), 32))
        return verified

    def _store_blocks(self, buffer: bytearray, todo: list[tuple[int, int, int]]) -> None:
        writer = self.writer
        chunk_id = self.repository.hasher.chunk_id
        results = []
        new = new_blocks = stored = deduplicated = 0
        error = None
        try:
            view = memoryview(buffer)
            for block, start, length in todo:
                data = view[start:start + length]
                identity = chunk_id(data)
                if writer.reserve(identity):
                    stored += writer.store(identity, CHUNK_DATA, data)
                    new += length
                    new_blocks += 1
                else:
                    deduplicated += length
                results.append((block, identity))
            view.release()
        except BaseException as failure:  # reported to the reading thread
            error = failure
        finally:
            self._buffers.put(buffer)
            with self._idle:
                segment_blocks = self.segment_blocks
                for block, identity in results:
                    number, slot = divmod(block, segment_blocks)
                    self._segments[number].ids[slot * 32:slot * 32 + 32] = identity
                for block, _start, _length in todo:
                    self._segments[block // segment_blocks].pending -= 1
                self.stats["bytes_new"] += new
                self.stats["blocks_new"] += new_blocks
                self.stats["bytes_stored"] += stored
                self.stats["bytes_deduplicated"] += deduplicated
                if error is not None and self._error is None:
                    self._error = error
                self._jobs -= 1
                self._idle.notify_all()

    def _finalize_ready(self, force: bool = False) -> None:
        """Store, in order, every segment whose blocks are all read and stored."""
        while True:
            with self._lock:
                segment = self._segments.get(self._next_final)
                if segment is None or not (segment.read_done or force) or segment.pending:
                    return
                del self._segments[self._next_final]
                self._next_final += 1
            manifest_id, stored_a = self.writer.store_meta(bytes(segment.ids))
            checksum_id, stored_b = self.writer.store_meta(bytes(segment.sums))
            self._manifest_segments.append(manifest_id)
            self._checksum_segments.append(checksum_id)
            with self._lock:
                self.stats["bytes_stored"] += stored_a + stored_b
