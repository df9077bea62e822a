# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``RestorePointWriter``: one restore point being written (one or more volumes), then committed or aborted.

Crash safety comes from the order of writes: packs (fsync, rename) -> index objects naming only durable packs ->
the restore-point document, last. Whatever instant the process dies at, the repository holds complete objects
only; at worst packs or index entries that no document references, which ``prune`` removes.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .errors import InvalidRequest, RepositoryError, RestorePointNotFound
from .format import CHUNK_META, KIND_INDEX, envelope_header, index_name, restore_point_name
from .index import ChunkIndex, PackEntry, encode_index
from .keys import now_iso
from .packs import PackWriter
from .restore_point import RestorePoint, VolumeEntry, encode_restore_point

if TYPE_CHECKING:
    from .locks import RepositoryLock
    from .repository import Repository

#: Write an index object once this many chunks are in committed packs (bounds the memory of pending entries).
INDEX_FLUSH_ENTRIES = 16384
STRATEGIES = ("full", "incremental")

Progress = Callable[[int, int, int], None]


class RestorePointWriter:
    """Created by ``Repository.start_restore_point``; not to be constructed directly.

    ``backup_volume`` may be called for several volumes, one after another or from several threads at once;
    then ``commit()`` returns the new restore point id, or ``abort()`` drops it. Use as a context manager to abort
    on an exception.
    """

    def __init__(self, repository: Repository, lock: RepositoryLock, labels: dict, instance_metadata: dict,
                 consistency: str, lock_until: str | None) -> None:
        self.repository = repository
        self.id = uuid.uuid4().hex
        self.labels = dict(labels)
        self.instance_metadata = dict(instance_metadata)
        self.consistency = consistency
        self.lock_until = lock_until
        self.created = now_iso()
        self._lock = lock
        self._state = threading.Lock()
        self._local_index = ChunkIndex()  # chunks in this writer's committed packs (for dedup within the writer)
        self._reserved: set[bytes] = set()  # chunks being written by this writer, not yet in a committed pack
        self._pending: dict[str, list[PackEntry]] = {}
        self._pending_entries = 0
        self._index_error: BaseException | None = None
        self.index_objects: list[str] = []
        self._index_number = 0
        self.volumes: list[VolumeEntry] = []
        self._volume_keys: set[str] = set()
        self._finished = False
        self.packs = PackWriter(repository.destination, repository.codec, repository.config.pack_size,
                                self._pack_committed)

    # -- chunk store used by volume backups ---------------------------------------------------------------------

    def reserve(self, chunk_id: bytes) -> bool:
        """True if the caller must store this chunk (nobody has it); False if it exists or is being written."""
        with self._state:
            if chunk_id in self._reserved or chunk_id in self._local_index or chunk_id in self.repository.index:
                return False
            self._reserved.add(chunk_id)
            return True

    def known(self, chunk_id: bytes) -> bool:
        with self._state:
            return chunk_id in self._reserved or chunk_id in self._local_index or chunk_id in self.repository.index

    def store(self, chunk_id: bytes, kind: int, data, compress: bool = True) -> int:
        """Encode and append a reserved chunk to the current pack; returns the stored size."""
        head, payload = self.repository.codec.encode_parts(data, chunk_id, compress)
        self.packs.add(chunk_id, kind, head, payload, len(data))
        return len(head) + len(payload)

    def store_meta(self, data: bytes) -> tuple[bytes, int]:
        """Store a metadata chunk (map segment or root) unless it exists; returns ``(id, stored bytes)``."""
        chunk_id = self.repository.hasher.chunk_id(data)
        stored = self.store(chunk_id, CHUNK_META, data) if self.reserve(chunk_id) else 0
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
            name = index_name(f"{self.id}-{self._index_number:04d}")
            self._index_number += 1
        header = envelope_header(KIND_INDEX)
        self.repository.destination.put(name, header + self.repository.codec.encode(
            encode_index(pending), header + name.encode()))
        with self._state:
            self.index_objects.append(name)

    # -- the API for the pipeline -------------------------------------------------------------------------------

    def backup_volume(self, volume_key: str, source, size: int | None = None, strategy: str = "incremental",
                      previous: str | RestorePoint | None = None,
                      changed_extents: Iterable[tuple[int, int]] | None = None,
                      progress: Progress | None = None, cancel: threading.Event | None = None,
                      metadata: dict | None = None, block_size: int | None = None,
                      detect_holes: bool = True) -> VolumeEntry:
        """Back up one volume into this restore point and return its entry.

        ``source``: a path (block device or image file) or an open binary file with ``fileno()``.
        ``size``: bytes to back up (default: the whole device or file).
        ``strategy``: ``"full"`` reads and hashes every block (stored only if the repository lacks it);
        ``"incremental"`` reads every block but keyed-hashes, compresses and stores only blocks whose xxh3-128
        differs from ``previous``'s checksum map (a volume that grew is incremental over the old size and full
        over the rest; one that shrank is compared over its new size). Without a usable previous volume of the
        same key and block size, incremental falls back to full (said in ``entry.notes``).
        ``previous``: restore point id (or object) holding the same ``volume_key``.
        ``changed_extents``: ``[(offset, length), ...]`` known to have changed since ``previous`` (e.g. from a
        Ceph RBD diff): only blocks touching them are read; all other blocks are taken from ``previous``'s maps.
        ``progress(bytes_processed, bytes_stored, bytes_total)``: called a few times a second from this thread.
        ``cancel``: set it to stop; the call raises ``BackupCancelled`` and the writer should be aborted.
        ``metadata``: opaque dict kept in the volume entry (Cinder volume type, bootable, device, ...).
        """
        from .volume_backup import VolumeBackup

        if self._finished:
            raise InvalidRequest("this restore point is already committed or aborted")
        if strategy not in STRATEGIES:
            raise InvalidRequest(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
        with self._state:
            if volume_key in self._volume_keys:
                raise InvalidRequest(f"volume {volume_key!r} is already in this restore point")
            self._volume_keys.add(volume_key)
        try:
            previous_point, notes = previous, []
            if isinstance(previous, str):
                try:
                    previous_point = self.repository.get_restore_point(previous)
                except RestorePointNotFound:
                    # Deleted by retention since the caller looked: back up in full rather than fail.
                    previous_point = None
                    notes.append(f"previous restore point {previous} no longer exists")
            job = VolumeBackup(self, volume_key, source, size=size, strategy=strategy, previous=previous_point,
                               changed_extents=changed_extents, progress=progress, cancel=cancel,
                               block_size=block_size or self.repository.config.block_size,
                               detect_holes=detect_holes)
            entry = job.run()
            entry.notes[:0] = notes
        except BaseException:
            with self._state:
                self._volume_keys.discard(volume_key)
            raise
        entry.metadata = dict(metadata or {})
        with self._state:
            self.volumes.append(entry)
        return entry

    def commit(self) -> str:
        """Make the restore point durable and visible; returns its id."""
        if self._finished:
            raise InvalidRequest("this restore point is already committed or aborted")
        if not self.volumes:
            raise InvalidRequest("a restore point needs at least one volume")
        try:
            self.packs.flush()
            self._write_index()
            name = restore_point_name(self.id)
            restore_point = RestorePoint(
                id=self.id, created=self.created, labels=self.labels, instance_metadata=self.instance_metadata,
                consistency=self.consistency, volumes=list(self.volumes), completed=now_iso(),
                lock_until=self.lock_until)
            self.repository.destination.put(name, encode_restore_point(self.repository.codec, name, restore_point))
        except BaseException:
            self.abort()
            raise
        self._finished = True
        self._lock.release()
        self.repository._index_changed()
        return self.id

    def abort(self) -> None:
        """Drop the restore point. Packs and index objects already written stay until ``prune``."""
        if self._finished:
            return
        self._finished = True
        try:
            self.packs.abort()
            try:
                self._write_index()  # index what is durable, so a retry of the same data can reuse it
            except (OSError, RepositoryError):
                pass
        finally:
            self._lock.release()
            self.repository._index_changed()

    def __enter__(self) -> RestorePointWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
