# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""One volume of a restore point as a seekable, read-only file: what file-level restore reads a disk through.

A read at any offset looks the block up in the manifest (``BlockMapReader``, one segment cached), reads that one
chunk (verified against its keyed hash, like a restore) and keeps the last ``cache_chunks`` decoded chunks in a
small LRU, so browsing a filesystem's metadata, which comes back to the same few blocks again and again, costs a
handful of chunk reads and memory stays at ``cache_chunks`` blocks whatever the volume's size. Zero blocks are
never read. Nothing is written anywhere.
"""
from __future__ import annotations

import io
from collections import OrderedDict

from .block_map import MANIFEST, BlockMapReader
from .chunk_id import ZERO_ID
from .errors import ChunkCorrupt
from .restore_point import RestorePoint, VolumeEntry
from .store import RepositoryStore

DEFAULT_CACHE_CHUNKS = 64


class VolumeFile(io.RawIOBase):
    """Read-only, seekable view of volume ``entry`` of ``restore_point``; holds a shared repository lock (so no
    prune removes what it reads) until closed."""

    def __init__(self, store: RepositoryStore, restore_point: RestorePoint, entry: VolumeEntry, *,
                 cache_chunks: int = DEFAULT_CACHE_CHUNKS) -> None:
        super().__init__()
        self._store = store
        self._entry = entry
        self._restore_point = restore_point
        self._lock = store.lock(False, "file-browse")
        try:
            store.refresh_index()
            self._hasher = store.hasher_for(restore_point.dedup_domain)
            self._manifest = BlockMapReader(self._read_chunk_of(None), bytes.fromhex(entry.manifest), MANIFEST)
        except BaseException:
            self._lock.release()
            raise
        self.size = entry.size
        self.block_size = entry.block_size
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._cache_chunks = max(1, cache_chunks)
        self._position = 0
        self.chunks_read = 0

    def _read_chunk_of(self, offset: int | None):
        return lambda chunk_id: self._store.read_chunk(chunk_id, volume=self._entry.key, offset=offset,
                                                       restore_point=self._restore_point.id, hasher=self._hasher)

    # -- io.RawIOBase -------------------------------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def readinto(self, buffer) -> int:
        data = self.pread(self._position, len(buffer))
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._cache.clear()
            self._lock.release()
        super().close()

    # -- random access ------------------------------------------------------------------------------------------

    def pread(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` (fewer at the end of the volume), without moving the position."""
        if offset < 0 or length < 0:
            raise ValueError(f"cannot read {length} bytes at {offset}")
        end = min(self.size, offset + length)
        parts = []
        while offset < end:
            block, within = divmod(offset, self.block_size)
            data = self._block(block)
            piece = data[within:within + (end - offset)]
            parts.append(piece)
            offset += len(piece)
        return b"".join(parts)

    def _block(self, block: int) -> bytes:
        cached = self._cache.get(block)
        if cached is not None:
            self._cache.move_to_end(block)
            return cached
        offset = block * self.block_size
        expected = min(self.block_size, self.size - offset)
        chunk_id = self._manifest.record(block)
        if chunk_id == ZERO_ID:
            data = bytes(expected)
        else:
            data = self._read_chunk_of(offset)(chunk_id)
            self.chunks_read += 1
            if len(data) != expected:
                raise ChunkCorrupt(f"holds {len(data)} bytes where the volume needs {expected}", chunk_id,
                                   volume=self._entry.key, offset=offset, restore_point=self._restore_point.id)
        self._cache[block] = data
        if len(self._cache) > self._cache_chunks:
            self._cache.popitem(last=False)
        return data
