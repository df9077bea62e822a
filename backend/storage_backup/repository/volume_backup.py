# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The backup pipeline for one volume: read -> change detection -> keyed hash -> compress/encrypt -> pack.

Each worker thread carries one batch of blocks (1 MiB; 4 MiB of data in a full backup) through every stage: it
claims the next batch, reads it with ``preadv`` into its own reused buffer, computes xxh3-128 per block, compares
the batch with the previous restore point's checksum map, and gives each changed, non-zero block its keyed BLAKE3 id
and compresses, encrypts and appends it to the current pack. A batch stays in the CPU cache from the read to the
pack (split into stages with queues, the same work is memory-bound), and ``preadv``, BLAKE3, zstd, AES-GCM and the
pack writes release the GIL, so the workers use every core. A block device gets one worker more than cores, so a
read waiting on the device overlaps the others' hashing and compression; an image file gets one per core (see
``workers.workers_for``). An unchanged batch costs one read, its checksums and one comparison.

Memory is ``workers x batch`` of volume data, the packs being assembled and a few map segments, whatever the
volume size. The calling thread reports progress, watches for cancellation and stores the finished segments of
the block maps, in order.
"""
from __future__ import annotations

import bisect
import random
import threading
import time

import xxhash

from .block_map import CHECKSUM_MAP, MANIFEST, BlockMapReader, encode_root
from .chunk_id import ZERO_ID
from .chunk_writer import ChunkWriter
from .errors import BackupCancelled, ChunkError, CorruptObject, InvalidRequest, VolumeNotFound
from .format import CHUNK_DATA
from .restore_point import RestorePoint, VolumeEntry
from .volume_io import BlockSource, open_source
from .workers import workers_for

#: Bytes a worker reads and carries through every stage at once: small enough to stay in the CPU cache from the
#: read to the pack, large enough that the per-batch Python work is noise (a 16 MiB block is its own batch).
BATCH_SIZE = 1024 * 1024
#: Batch of a backup without previous maps, where every block is compressed: the compression dominates, and fewer
#: batches mean fewer claims and hand-offs between the workers (measured on a cached 2 GiB image: 4-5 % less time
#: than 1 MiB batches). An incremental keeps 1 MiB: its unchanged batches are a copy and a hash, and 2 MiB ones,
#: leaving the CPU cache between the two, cost 15 % more. A range with a hole in it is cut to 1 MiB batches, so holes
#: are skipped as finely as before.
FULL_BATCH_SIZE = 4 * 1024 * 1024
PROGRESS_INTERVAL = 0.25
#: What a segment of the previous maps that cannot be read stands for: checksums no block has and ids no chunk has,
#: so every block of it is read and stored again (a damaged map never turns into carried-over zeros).
UNREADABLE_SUM = b"\xff" * 16
UNREADABLE_ID = b"\xff" * 32
#: Decoded segments of the previous maps kept at once (the workers straddle at most two).
PREVIOUS_SEGMENTS_CACHED = 3
#: Blocks outside the changed extents re-read and compared with the previous checksum map on every changed-extents
#: backup: a diff that misses a change (whole-object diffs have had Ceph bugs) is caught, and the backup becomes a
#: full checksum pass instead of carrying a stale block forward.
SAMPLE_UNCHANGED = 32
STAT_KEYS = ("bytes_read", "bytes_zero", "bytes_unchanged", "bytes_new", "bytes_deduplicated", "bytes_stored",
             "blocks_new")


class _Segment:
    """The records of one segment of the new maps, filled in by the workers batch by batch."""

    __slots__ = ("claimed", "ids", "pending", "sums")

    def __init__(self, blocks: int) -> None:
        self.ids = bytearray(blocks * 32)
        self.sums = bytearray(blocks * 16)
        self.pending = 0  # batches claimed and not yet recorded
        self.claimed = False  # every batch of the segment has been claimed


class _PreviousMaps:
    """The previous restore point's manifest and checksum map of this volume, shared by the workers.

    ``records(first, count)`` gives the checksums and chunk ids of a run of blocks, and whether every chunk of
    their segment is still in the index (checked once per segment, so carrying an id over never references a
    chunk the repository lost). A few decoded segments are cached, under a lock.
    """

    def __init__(self, manifest: BlockMapReader, checksums: BlockMapReader, index) -> None:
        if manifest.blocks != checksums.blocks or manifest.segment_blocks != checksums.segment_blocks:
            raise CorruptObject("the manifest and the checksum map of the previous restore point disagree on the "
                                "volume's blocks")
        self.blocks = checksums.blocks
        self.segment_blocks = checksums.segment_blocks
        self._manifest = manifest
        self._checksums = checksums
        self._index = index
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[bytes, bytes, bool]] = {}
        self.unreadable_segments: set[int] = set()  # damaged or missing: their blocks are read again

    def _segment(self, number: int) -> tuple[bytes, bytes, bool]:
        with self._lock:
            cached = self._cache.get(number)
            if cached is None:
                try:
                    ids = self._manifest.segment(number)
                    sums = self._checksums.segment(number)
                except ChunkError:  # recorded damaged by the read; this backup stores the blocks again
                    self.unreadable_segments.add(number)
                    ids, sums = UNREADABLE_ID * self.segment_blocks, UNREADABLE_SUM * self.segment_blocks
                index = self._index
                indexed = all(ids[at:at + 32] == ZERO_ID or ids[at:at + 32] in index for at in range(0, len(ids), 32))
                if len(self._cache) >= PREVIOUS_SEGMENTS_CACHED:
                    del self._cache[min(self._cache)]
                cached = self._cache[number] = (sums, ids, indexed)
            return cached

    def records(self, first: int, count: int) -> tuple[bytes, bytes, bool]:
        """``(checksums, ids, all indexed)`` of blocks ``first`` to ``first + count`` (cut at the previous size)."""
        end = min(first + count, self.blocks)
        sums, ids, indexed = [], [], True
        while first < end:
            number, slot = divmod(first, self.segment_blocks)
            n = min(end - first, self.segment_blocks - slot)
            segment_sums, segment_ids, segment_indexed = self._segment(number)
            sums.append(segment_sums[slot * 16:(slot + n) * 16])
            ids.append(segment_ids[slot * 32:(slot + n) * 32])
            indexed = indexed and segment_indexed
            first += n
        if len(sums) == 1:
            return sums[0], ids[0], indexed
        return b"".join(sums), b"".join(ids), indexed


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
    """One volume read from ``source`` (a ``BlockSource``, a path or an open file) into ``chunks``'s packs; ``run``
    returns its entry for the restore-point document."""

    def __init__(self, chunks: ChunkWriter, key: str, source, *, size: int | None, strategy: str,
                 previous: RestorePoint | None, changed_extents, progress, cancel, block_size: int,
                 detect_holes: bool = True, workers: int | None = None,
                 sample_unchanged: int = SAMPLE_UNCHANGED) -> None:
        self.chunks = chunks
        self.store = chunks.store
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
        self.workers = workers  # None: workers_for(the source), once it is open
        self.sample_unchanged = max(0, int(sample_unchanged))
        self.segment_blocks = self.store.config.segment_blocks
        if block_size <= 0 or block_size % 4096 or block_size > 16 * 1024 * 1024:
            raise InvalidRequest(f"block size {block_size} must be a multiple of 4096 up to 16 MiB")
        self.notes: list[str] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._error: BaseException | None = None
        self._segments: dict[int, _Segment] = {}
        self._next_final = 0
        self._manifest_segments: list[bytes] = []
        self._checksum_segments: list[bytes] = []
        self.stats = {"bytes_total": 0, "bytes_read": 0, "bytes_zero": 0, "bytes_unchanged": 0, "bytes_new": 0,
                      "bytes_deduplicated": 0, "bytes_stored": 0, "blocks_total": 0, "blocks_new": 0,
                      "sampled_blocks": 0, "sample_mismatches": 0}

    # -- setup --------------------------------------------------------------------------------------------------

    def _previous_maps(self, size: int) -> tuple[object, _PreviousMaps | None]:
        previous = self.previous
        wants_previous = self.strategy == "incremental" or self.changed_extents is not None
        if previous is None or not wants_previous:
            if self.changed_extents is not None:
                raise InvalidRequest("changed_extents needs the previous restore point the extents are relative to")
            if self.strategy == "incremental":
                self.notes.append("no previous restore point: full backup")
            return None, None
        if previous.dedup_domain != self.chunks.hasher.domain:
            # Its ids are keyed for another domain: carried over, they would neither verify nor deduplicate here.
            # Read everything (changed extents too: they only say what differs from blocks we cannot reuse).
            self.notes.append(f"restore point {previous.id} is in another deduplication domain "
                              f"({previous.dedup_domain or 'the whole repository'}): full backup")
            self.changed_extents = None
            return None, None
        try:
            entry = previous.volume(self.key)
        except VolumeNotFound:
            if self.changed_extents is not None:
                raise InvalidRequest(f"restore point {previous.id} has no volume {self.key!r} to apply changed "
                                     f"extents to") from None
            self.notes.append(f"restore point {previous.id} has no volume {self.key!r}: full backup")
            return None, None
        if entry.block_size != self.block_size:
            if self.changed_extents is not None:
                raise InvalidRequest(f"restore point {previous.id} used block size {entry.block_size}, this backup "
                                     f"{self.block_size}: changed extents cannot be applied")
            self.notes.append(f"block size changed from {entry.block_size} to {self.block_size} since restore point "
                              f"{previous.id}: full backup")
            return None, None
        try:
            maps = self.store.volume_maps(previous, entry)
            checksums = maps.checksums
        except (ChunkError, CorruptObject) as error:  # the maps are damaged (and recorded so): start afresh
            self.changed_extents = None  # extents relative to maps nobody can read are of no use: read it all
            self.notes.append(f"the maps of restore point {previous.id} cannot be read ({error}): full backup")
            return None, None
        if entry.size < size:
            self.notes.append(f"volume {self.key} grew from {entry.size} to {size} bytes since restore point "
                              f"{previous.id}: incremental over the first {entry.size} bytes, full over the rest")
        elif entry.size > size:
            self.notes.append(f"volume {self.key} shrank from {entry.size} to {size} bytes since restore point "
                              f"{previous.id}: incremental over its new size")
        return entry, _PreviousMaps(maps.manifest, checksums, self.store.usable_chunks)

    # -- the pipeline -------------------------------------------------------------------------------------------

    def run(self) -> VolumeEntry:
        started = time.monotonic()
        source = open_source(self.source_spec, detect_holes=self.detect_holes)
        try:
            size = source.size if self.requested_size is None else self.requested_size
            if size > source.size:
                raise InvalidRequest(f"{source.name} holds {source.size} bytes, fewer than the {size} bytes asked "
                                     f"for")
            previous_entry, previous = self._previous_maps(size)
            if self.changed_extents is not None:  # sorted and merged once, for the sample and the scan
                self.changed_extents = _merge_extents(self.changed_extents, size)
            if previous is not None and self.changed_extents is not None and self.sample_unchanged:
                self._check_unchanged_sample(source, size, previous)
            self._scan(source, size, previous)
            if previous is not None and previous.unreadable_segments:
                self.notes.append(f"{len(previous.unreadable_segments)} segment(s) of the maps of restore point "
                                  f"{self.previous.id} cannot be read: their blocks were read and stored again")
        finally:
            if source is not self.source_spec:  # opened here; a BlockSource given stays the caller's
                source.close()
        manifest_root, stored_a = self.chunks.store_meta(encode_root(
            MANIFEST, size, self.block_size, self.segment_blocks, self._manifest_segments))
        checksum_root, stored_b = self.chunks.store_meta(encode_root(
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

    def _check_unchanged_sample(self, source: BlockSource, size: int, previous: _PreviousMaps) -> None:
        """Re-read a random sample of the blocks the changed extents call unchanged and compare each with the
        previous checksum map; one that differs means the extents missed a change, so this backup drops them and
        reads every block (a checksum pass), and says so in its notes."""
        block_size = self.block_size
        extents = self.changed_extents  # merged by run()
        starts = [start for start, _ in extents]
        whole_blocks = min(previous.blocks, size // block_size)

        def untouched(block: int) -> bool:
            start, end = block * block_size, (block + 1) * block_size
            at = bisect.bisect_right(starts, start) - 1  # the last extent starting at or before the block
            if at >= 0 and extents[at][1] > start:
                return False
            return at + 1 >= len(extents) or extents[at + 1][0] >= end

        picked: set[int] = set()
        if self.sample_unchanged >= whole_blocks:  # a small volume (or a huge sample): every unchanged block
            picked = {block for block in range(whole_blocks) if untouched(block)}
        else:
            chooser = random.SystemRandom()
            for _ in range(self.sample_unchanged * 8):  # rejection sampling: cheap whatever the volume's size
                if len(picked) >= self.sample_unchanged:
                    break
                block = chooser.randrange(whole_blocks)
                if untouched(block):
                    picked.add(block)
        buffer = bytearray(block_size)
        mismatches = []
        for block in sorted(picked):
            expected = previous.records(block, 1)[0]
            if expected == UNREADABLE_SUM:
                continue
            source.read_into(memoryview(buffer), block * block_size)
            self.stats["bytes_read"] += block_size
            self.stats["sampled_blocks"] += 1
            if xxhash.xxh3_128_digest(buffer) != expected:
                mismatches.append(block)
        self.stats["sample_mismatches"] = len(mismatches)
        if mismatches:
            self.notes.append(
                f"{len(mismatches)} of {self.stats['sampled_blocks']} sampled blocks outside the changed extents "
                f"differ from restore point {self.previous.id} (first at byte {mismatches[0] * block_size}): the "
                "extents missed changes, so every block was read and compared by checksum")
            self.changed_extents = None

    def _scan(self, source: BlockSource, size: int, previous: _PreviousMaps | None) -> None:
        block_size = self.block_size
        self._source = source
        self._size = size
        self._blocks = -(-size // block_size)
        self.stats["blocks_total"] = self._blocks
        self._previous = previous
        self._previous_blocks = previous.blocks if previous is not None else 0
        self._extents = self.changed_extents  # merged by run(), or None
        self._extent_index = 0
        self._small_batch_blocks = max(1, BATCH_SIZE // block_size)
        self._batch_blocks = max(1, (BATCH_SIZE if previous is not None else FULL_BATCH_SIZE) // block_size)
        self._next_first = 0
        self._done = 0
        self._zero_block = bytes(block_size)
        self._zero_digests = {block_size: xxhash.xxh3_128_digest(self._zero_block)}
        if size % block_size:
            self._zero_digests[size % block_size] = xxhash.xxh3_128_digest(self._zero_block[:size % block_size])
        workers = self.workers or workers_for(source)
        threads = [threading.Thread(target=self._work, name=f"backup-{self.key[:12]}-{number}", daemon=True)
                   for number in range(min(workers, max(1, -(-self._blocks // self._batch_blocks))))]
        self._running = len(threads)
        for thread in threads:
            thread.start()
        try:
            self._supervise()
        except BaseException as error:
            self._fail(error)
            raise
        finally:
            for thread in threads:
                thread.join()
        if self._error is not None:
            raise self._error
        self._finalize_ready()
        if self._segments:
            raise RuntimeError(f"backup of volume {self.key}: map segments left unfinished")

    def _supervise(self) -> None:
        """The calling thread: progress, cancellation, and the finished map segments, until the workers end."""
        last_progress = time.monotonic()
        while True:
            with self._changed:
                if self._running:
                    self._changed.wait(PROGRESS_INTERVAL)
                running, done = self._running, self._done
            if self.cancel is not None and self.cancel.is_set():
                self._fail(BackupCancelled(f"backup of volume {self.key} cancelled at byte {done}"))
            self._finalize_ready()
            if not running:
                return
            now = time.monotonic()
            if self.progress is not None and now - last_progress >= PROGRESS_INTERVAL:
                last_progress = now
                self.progress(done, self.stats["bytes_stored"], self._size)

    def _fail(self, error: BaseException) -> None:
        with self._changed:
            if self._error is None:
                self._error = error
            self._changed.notify_all()

    def _work(self) -> None:
        buffer = bytearray(self._batch_blocks * self.block_size)
        stats = dict.fromkeys(STAT_KEYS, 0)
        try:
            while True:
                claim = self._claim()
                if claim is None:
                    return
                segment, first, count, offset, length, needed, hole = claim
                sums, ids = self._batch(buffer, first, count, offset, length, needed, hole, stats)
                slot = first % self.segment_blocks
                with self._changed:
                    segment.sums[slot * 16:(slot + count) * 16] = sums
                    segment.ids[slot * 32:(slot + count) * 32] = ids
                    segment.pending -= 1
                    for key in STAT_KEYS:
                        self.stats[key] += stats[key]
                        stats[key] = 0
                    self._done += length
                    if segment.claimed and not segment.pending:
                        self._changed.notify_all()
        except BaseException as error:  # reported to the calling thread
            self._fail(error)
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def _claim(self):
        """The next batch: ``(segment, first block, blocks, offset, length, needed, hole)``, or None when done.
        A batch never spans two segments."""
        with self._lock:
            first = self._next_first
            if self._error is not None or first >= self._blocks:
                return None
            if self.cancel is not None and self.cancel.is_set():
                self._error = BackupCancelled(f"backup of volume {self.key} cancelled at byte {self._done}")
                self._changed.notify_all()
                return None
            segment_blocks = self.segment_blocks
            number, slot = divmod(first, segment_blocks)
            count = min(self._batch_blocks, self._blocks - first, segment_blocks - slot)
            if count > self._small_batch_blocks:
                offset = first * self.block_size
                if not self._source.all_data(offset, min(count * self.block_size, self._size - offset)):
                    count = self._small_batch_blocks
            offset, length, needed, hole = self._plan(first, count)
            if needed is not None and not any(needed):
                # Outside every changed extent: carry as many unchanged blocks as the segment holds in one batch
                # (their records are copied, nothing is read), so a volume where little changed is not walked 1 MiB
                # at a time. A run with a block to read after all (a damaged chunk) stays a normal batch.
                longer = self._carried_run(first, min(segment_blocks - slot, self._blocks - first))
                if longer > count:
                    plan = self._plan(first, longer)
                    if not any(plan[2]):
                        count, (offset, length, needed, hole) = longer, plan
            segment = self._segments.get(number)
            if segment is None:
                segment = self._segments[number] = _Segment(min(segment_blocks, self._blocks - number * segment_blocks))
            segment.pending += 1
            self._next_first = first + count
            if slot + count == segment_blocks or self._next_first == self._blocks:
                segment.claimed = True
            return segment, first, count, offset, length, needed, hole

    def _plan(self, first: int, count: int):
        """What to read of a batch: ``(offset, length, needed, hole)``. ``needed`` is None (read all) or, with
        changed extents, one flag per block (blocks touching an extent or beyond the previous size); the others
        are carried over from the previous maps. ``hole``: the batch is all zeros, known without reading it."""
        block_size = self.block_size
        size = self._size
        offset = first * block_size
        length = min(count * block_size, size - offset)
        needed = None
        extents = self._extents
        if extents is not None:
            needed = []
            for block in range(first, first + count):
                start, end = block * block_size, min((block + 1) * block_size, size)
                while self._extent_index < len(extents) and extents[self._extent_index][1] <= start:
                    self._extent_index += 1
                touches = self._extent_index < len(extents) and extents[self._extent_index][0] < end
                needed.append(touches or block >= self._previous_blocks)
            self._read_damaged_blocks(first, count, needed)
            if not any(needed):
                return offset, length, needed, False
        return offset, length, needed, self._source.is_hole(offset, length)

    def _carried_run(self, first: int, most: int) -> int:
        """How many blocks from ``first`` (at most ``most``) lie before the next changed extent and within the
        previous size: blocks carried over unread."""
        extents, index, block_size = self._extents, self._extent_index, self.block_size
        while index < len(extents) and extents[index][1] <= first * block_size:
            index += 1
        next_block = extents[index][0] // block_size if index < len(extents) else self._blocks
        return max(0, min(most, next_block - first, self._previous_blocks - first))

    def _read_damaged_blocks(self, first: int, count: int, needed: list[bool]) -> None:
        """Outside the changed extents a block is carried over unread, unless its previous chunk is missing or
        recorded damaged (damaged.py): that block is read, so its chunk is stored again."""
        if self._previous is None or all(needed):
            return
        _sums, ids, indexed = self._previous.records(first, count)
        if indexed:
            return
        usable = self.store.usable
        for i in range(min(count, len(ids) // 32)):
            chunk_id = ids[i * 32:i * 32 + 32]
            if not needed[i] and chunk_id != ZERO_ID and not usable(chunk_id):
                needed[i] = True

    def _read(self, view: memoryview, offset: int, length: int, needed) -> int:
        """Fill the batch's buffer: all of it, or each run of needed blocks with one call."""
        if needed is None:
            self._source.read_into(view[:length], offset)
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
            self._source.read_into(view[run_start:run_end], offset + run_start)
            done += run_end - run_start
            i = j
        return done

    def _batch(self, buffer: bytearray, first: int, count: int, offset: int, length: int, needed, hole,
               stats: dict) -> tuple[bytes, bytes]:
        """Read and store one batch; returns its checksum and manifest records."""
        block_size = self.block_size
        zero_digests = self._zero_digests
        if hole:
            stats["bytes_zero"] += length
            return (b"".join(zero_digests[min(block_size, length - start)] for start in range(0, length, block_size)),
                    ZERO_ID * count)
        if needed is not None and not any(needed):  # carried over whole: the previous records, nothing read
            previous_sums, previous_ids, _indexed = self._previous.records(first, count)
            zero = sum(min(block_size, length - i * block_size) for i in range(count)
                       if previous_ids[i * 32:i * 32 + 32] == ZERO_ID)
            stats["bytes_zero"] += zero
            stats["bytes_unchanged"] += length - zero
            return previous_sums, previous_ids
        with memoryview(buffer) as whole:
            data = whole[:length]
            if needed is None or any(needed):
                stats["bytes_read"] += self._read(whole, offset, length, needed)
            digest = xxhash.xxh3_128_digest
            previous = self._previous
            if previous is not None:
                previous_sums, previous_ids, indexed = previous.records(first, count)
            else:
                previous_sums, previous_ids, indexed = b"", b"", True
            if needed is None:
                # A zero block is found by one comparison (which stops at the first non-zero byte of any other),
                # and its checksum is known: no hashing of empty space.
                starts = range(0, length, block_size)
                zero_block = self._zero_block
                zeros = [zero_block.startswith(data[start:start + block_size]) for start in starts]
                sums = b"".join([zero_digests[min(block_size, length - start)] if zero
                                 else digest(data[start:start + block_size])
                                 for start, zero in zip(starts, zeros, strict=True)])
                if indexed and sums == previous_sums:
                    # The whole batch is as it was: its records are the previous ones.
                    zero = 0
                    for i in range(count):
                        if previous_ids[i * 32:i * 32 + 32] == ZERO_ID:
                            zero += min(block_size, length - i * block_size)
                    stats["bytes_zero"] += zero
                    stats["bytes_unchanged"] += length - zero
                    return sums, previous_ids
            else:
                sums = zeros = None
            return self._blocks_of_batch(data, count, needed, sums, zeros, previous_sums, previous_ids, indexed,
                                         stats)

    def _blocks_of_batch(self, data: memoryview, count: int, needed, sums, zeros, previous_sums: bytes,
                         previous_ids: bytes, indexed: bool, stats: dict) -> tuple[bytes, bytes]:
        block_size = self.block_size
        digest = xxhash.xxh3_128_digest
        zero_block = self._zero_block
        zero_digests = self._zero_digests
        chunks = self.chunks
        chunk_id = chunks.hasher.chunk_id
        previous_count = len(previous_sums) // 16
        new_sums = []
        ids = []
        for i in range(count):
            start = i * block_size
            block = data[start:start + block_size]
            block_length = len(block)
            if needed is not None and not needed[i]:
                # Outside every changed extent: as it was in the previous restore point.
                previous_id = previous_ids[i * 32:i * 32 + 32]
                new_sums.append(previous_sums[i * 16:i * 16 + 16])
                ids.append(previous_id)
                stats["bytes_zero" if previous_id == ZERO_ID else "bytes_unchanged"] += block_length
                continue
            if sums is not None:
                checksum, zero = sums[i * 16:i * 16 + 16], zeros[i]
            else:
                zero = zero_block.startswith(block)
                checksum = zero_digests[block_length] if zero else digest(block)
            new_sums.append(checksum)
            if i < previous_count and previous_sums[i * 16:i * 16 + 16] == checksum:
                previous_id = previous_ids[i * 32:i * 32 + 32]
                if previous_id == ZERO_ID or indexed or chunks.known(previous_id):
                    ids.append(previous_id)
                    stats["bytes_zero" if previous_id == ZERO_ID else "bytes_unchanged"] += block_length
                    continue
            if zero:
                ids.append(ZERO_ID)
                stats["bytes_zero"] += block_length
                continue
            identity = chunk_id(block)
            if chunks.reserve(identity):
                stats["bytes_stored"] += chunks.store_chunk(identity, CHUNK_DATA, block)
                stats["bytes_new"] += block_length
                stats["blocks_new"] += 1
            else:
                stats["bytes_deduplicated"] += block_length
            ids.append(identity)
        return (sums if sums is not None else b"".join(new_sums)), b"".join(ids)

    def _finalize_ready(self) -> None:
        """Store, in order, every segment whose blocks are all recorded."""
        while True:
            with self._lock:
                segment = self._segments.get(self._next_final)
                if segment is None or not segment.claimed or segment.pending:
                    return
                del self._segments[self._next_final]
                self._next_final += 1
            manifest_id, stored_a = self.chunks.store_meta(bytes(segment.ids))
            checksum_id, stored_b = self.chunks.store_meta(bytes(segment.sums))
            self._manifest_segments.append(manifest_id)
            self._checksum_segments.append(checksum_id)
            with self._lock:
                self.stats["bytes_stored"] += stored_a + stored_b
