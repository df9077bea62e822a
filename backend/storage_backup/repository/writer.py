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

from ..consistency import Consistency
from .chunk_writer import ChunkWriter
from .errors import CorruptObject, InvalidRequest, RepositoryError, RestorePointNotFound
from .keys import now_iso
from .locks import RepositoryLock
from .restore_point import RestorePoint, VolumeEntry
from .store import RepositoryStore
from .volume_backup import SAMPLE_UNCHANGED, VolumeBackup

STRATEGIES = ("full", "incremental")

Progress = Callable[[int, int, int], None]


class RestorePointWriter:
    """Created by ``Repository.start_restore_point``; not to be constructed directly.

    ``backup_volume`` may be called for several volumes, one after another or from several threads at once;
    then ``commit()`` returns the new restore point id, or ``abort()`` drops it. Use as a context manager to abort
    on an exception.
    """

    def __init__(self, store: RepositoryStore, lock: RepositoryLock, labels: dict, instance_metadata: dict,
                 consistency: Consistency, lock_until: str | None, dedup_domain: str | None = None) -> None:
        self.store = store
        self.id = uuid.uuid4().hex
        self.labels = dict(labels)
        self.instance_metadata = dict(instance_metadata)
        self.consistency = consistency
        self.lock_until = lock_until
        self.created = now_iso()
        self._lock = lock
        self._state = threading.Lock()
        self.dedup_domain = dedup_domain
        self.chunks = ChunkWriter(store, self.id, store.hasher_for(dedup_domain))
        self.volumes: list[VolumeEntry] = []
        self._volume_keys: set[str] = set()
        self._finished = False

    def backup_volume(self, volume_key: str, source, size: int | None = None, strategy: str = "incremental",
                      previous: str | RestorePoint | None = None,
                      changed_extents: Iterable[tuple[int, int]] | None = None,
                      progress: Progress | None = None, cancel: threading.Event | None = None,
                      metadata: dict | None = None, block_size: int | None = None,
                      detect_holes: bool = True, sample_unchanged: int = SAMPLE_UNCHANGED) -> VolumeEntry:
        """Back up one volume into this restore point and return its entry.

        ``source``: a path (block device or image file), an open binary file with ``fileno()``, or a
        ``BlockSource`` (``open_source``; the caller closes it).
        ``size``: bytes to back up (default: the whole device or file).
        ``strategy``: ``"full"`` reads and hashes every block (stored only if the repository lacks it);
        ``"incremental"`` reads every block but keyed-hashes, compresses and stores only blocks whose xxh3-128
        differs from ``previous``'s checksum map (a volume that grew is incremental over the old size and full
        over the rest; one that shrank is compared over its new size). Without a usable previous volume of the
        same key and block size, incremental falls back to full (said in ``entry.notes``).
        ``previous``: restore point id (or object) holding the same ``volume_key``.
        ``changed_extents``: ``[(offset, length), ...]`` known to have changed since ``previous`` (e.g. from a
        Ceph RBD diff): only blocks touching them are read; all other blocks are taken from ``previous``'s maps,
        after ``sample_unchanged`` of them, picked at random, are re-read and found as ``previous`` has them (one
        that differs turns this backup into a checksum pass over every block: ``stats["sample_mismatches"]``).
        ``progress(bytes_processed, bytes_stored, bytes_total)``: called a few times a second from this thread.
        ``cancel``: set it to stop; the call raises ``BackupCancelled`` and the writer should be aborted.
        ``metadata``: opaque dict kept in the volume entry (Cinder volume type, bootable, device, ...).
        ``detect_holes``: skip what the source knows reads as zeros (holes of a sparse image) without reading it.
        """
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
                    previous_point = self.store.get_restore_point(previous)
                except RestorePointNotFound:
                    # Deleted by retention since the caller looked: back up in full rather than fail.
                    previous_point = None
                    notes.append(f"previous restore point {previous} no longer exists")
                except CorruptObject as error:
                    # Its document cannot be read: a full backup still protects the volume.
                    previous_point = None
                    notes.append(f"previous restore point {previous} cannot be read ({error}): full backup")
            job = VolumeBackup(self.chunks, volume_key, source, size=size, strategy=strategy,
                               previous=previous_point, changed_extents=changed_extents, progress=progress,
                               cancel=cancel, block_size=block_size or self.store.config.block_size,
                               detect_holes=detect_holes, sample_unchanged=sample_unchanged)
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
            self.chunks.flush()
            self.store.put_restore_point(RestorePoint(
                id=self.id, created=self.created, labels=self.labels, instance_metadata=self.instance_metadata,
                consistency=self.consistency, volumes=list(self.volumes), completed=now_iso(),
                lock_until=self.lock_until, dedup_domain=self.dedup_domain))
        except BaseException:
            self.abort()
            raise
        self._finished = True
        self._lock.release()
        self.store.index_changed()
        return self.id

    def abort(self) -> None:
        """Drop the restore point. Packs and index objects already written stay until ``prune``."""
        if self._finished:
            return
        self._finished = True
        try:
            self.chunks.abort()
        finally:
            try:
                self._lock.release()
            except (OSError, RepositoryError):
                # The destination is gone (what usually brings a writer here): the error to report is the one
                # that did, not this; the lock object left goes stale (locks.py) and is removed then.
                pass
            self.store.index_changed()

    def __enter__(self) -> RestorePointWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
