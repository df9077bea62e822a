# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``ChunkWriter``: the chunks one restore-point writer adds to the repository, and the index objects naming them.

Volume backups ask it whether a chunk must be stored (``reserve``: nobody has it and nobody is writing it), store it
(appended to a pack) and store map segments and roots (``store_meta``). Packs become durable on the pack writer's
committer threads; once durable their entries are indexed locally (deduplication within the writer) and, every
``INDEX_FLUSH_ENTRIES`` chunks and at the end, written as an index object naming only durable packs.
"""
from __future__ import annotations

import threading

from .chunk_id import ChunkHasher
from .errors import RepositoryError
from .format import CHUNK_META, index_name
from .index import ChunkIndex, PackEntry
from .packs import PackWriter
from .store import RepositoryStore

#: Write an index object once this many chunks are in committed packs (bounds the memory of pending entries).
INDEX_FLUSH_ENTRIES = 16384


class ChunkWriter:
    """Thread-safe: the workers of several volume backups store through one at once."""

    def __init__(self, store: RepositoryStore, writer_id: str, hasher: ChunkHasher | None = None) -> None:
        self.store = store
        self.writer_id = writer_id
        #: The restore point's deduplication domain: every id this writer computes (data and maps) is keyed by it.
        self.hasher = hasher or store.hasher
        self._state = threading.Lock()
        self._local_index = ChunkIndex()  # chunks in this writer's committed packs (for dedup within the writer)
        self._reserved: set[bytes] = set()  # chunks being written by this writer, not yet in a committed pack
        self._pending: dict[str, list[PackEntry]] = {}
        self._pending_entries = 0
        self.index_objects: list[str] = []
        self._index_number = 0
        self.packs = PackWriter(store.destination, store.codec, store.config.pack_size, self._pack_committed)

    def reserve(self, chunk_id: bytes) -> bool:
        """True if the caller must store this chunk (nobody has it); False if it exists or is being written."""
        with self._state:
            # ``usable``, not the bare index: a chunk recorded damaged is stored again (damaged.py).
            if chunk_id in self._reserved or chunk_id in self._local_index or self.store.usable(chunk_id):
                return False
            self._reserved.add(chunk_id)
            return True

    def known(self, chunk_id: bytes) -> bool:
        with self._state:
            return chunk_id in self._reserved or chunk_id in self._local_index or self.store.usable(chunk_id)

    def store_chunk(self, chunk_id: bytes, kind: int, data, compress: bool = True) -> int:
        """Encode and append a reserved chunk to the current pack; returns the stored size."""
        head, payload = self.store.codec.encode_parts(data, chunk_id, compress)
        self.packs.add(chunk_id, kind, head, payload, len(data))
        return len(head) + len(payload)

    def store_meta(self, data: bytes) -> tuple[bytes, int]:
        """Store a metadata chunk (map segment or root) unless it exists; returns ``(id, stored bytes)``."""
        chunk_id = self.hasher.chunk_id(data)
        stored = self.store_chunk(chunk_id, CHUNK_META, data) if self.reserve(chunk_id) else 0
        return chunk_id, stored

    def _pack_committed(self, pack_id: str, entries: list[PackEntry]) -> None:
        with self._state:
            self._local_index.add_pack(pack_id, entries)
            self._reserved.difference_update(entry.chunk_id for entry in entries)
            self._pending[pack_id] = entries
            self._pending_entries += len(entries)
            flush = self._pending_entries >= INDEX_FLUSH_ENTRIES
        if flush:
            self._write_index()

    def _write_index(self) -> None:
        with self._state:
            pending, self._pending, self._pending_entries = self._pending, {}, 0
            if not pending:
                return
            # Numbered under the lock: the pack committers may flush at the same time.
            name = index_name(f"{self.writer_id}-{self._index_number:04d}")
            self._index_number += 1
        self.store.write_index_object(name, pending)
        with self._state:
            self.index_objects.append(name)

    def flush(self) -> None:
        """Every chunk durable and indexed: close the open pack, wait for the committers, write the index."""
        self.packs.flush()
        self._write_index()

    def abort(self) -> None:
        """Drop the open pack; index what is durable, so a retry of the same data can reuse it."""
        self.packs.abort()
        try:
            self._write_index()
        except (OSError, RepositoryError):
            pass
