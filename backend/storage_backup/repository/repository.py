# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``Repository``: the engine's front door for the pipeline, the CLI and the data-plane tasks.

    repository = Repository.init("/backups/repo", password=b"...")      # once
    repository = Repository.open("/backups/repo", password=b"...")
    with repository.start_restore_point(labels={"instance_id": ...}, instance_metadata={...},
                                        consistency=Consistency.PER_VOLUME) as writer:
        writer.backup_volume(volume_id, "/dev/disk/by-id/virtio-...", strategy="incremental", previous=last_id)
        restore_point_id = writer.commit()
    repository.restore_volume(restore_point_id, volume_id, "/dev/disk/by-id/virtio-...", target_zeroed=True)

Each method runs one operation of the engine on the open ``RepositoryStore`` under the lock it needs; the
modules below never import this one. Everything is stored through a ``Destination`` (``destinations/base.py``);
volumes are read and written through ``BlockSource`` / ``BlockTarget`` (``volume_io/``).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from ..consistency import Consistency
from .check import CheckReport, run_check
from .config import RepositoryConfig
from .dependencies import objects_of
from .destinations import Destination
from .errors import InvalidRequest, RetentionLocked
from .object_lock import LockMaintenanceReport, RetentionKeeper, retention_keeper, run_lock_maintenance
from .prune import PruneReport, run_prune
from .records import Record
from .repair import RepairReport, run_repair
from .restore_point import RestorePoint
from .stats import RepositoryStats, repository_stats
from .store import RepositoryStore
from .times import format_time, parse_time
from .volume_file import DEFAULT_CACHE_CHUNKS, VolumeFile
from .volume_restore import VolumeRestore
from .volume_verify import verify_volume
from .writer import RestorePointWriter

Progress = Callable[[int, int, int], None]


class Repository:
    """An open repository. Thread-safe: several writers and restores may run at once from one object."""

    def __init__(self, store: RepositoryStore) -> None:
        self._store = store

    # -- creating and opening -----------------------------------------------------------------------------------

    @classmethod
    def init(cls, location: str | Destination, password: str | bytes | None = None, *,
             encryption: bool | None = None, block_size: int | None = None,
             pack_size: int | None = None) -> Repository:
        """Create a repository. Encrypted (AES-256-GCM) when a password is given, unless ``encryption=False``."""
        return cls(RepositoryStore.create(location, password, encryption=encryption, block_size=block_size,
                                          pack_size=pack_size))

    @classmethod
    def open(cls, location: str | Destination, password: str | bytes | None = None) -> Repository:
        """Open an existing repository; the password is needed only when it is encrypted."""
        return cls(RepositoryStore.open(location, password))

    def add_password(self, password: str | bytes) -> str:
        """Add another password (a new key file for the same master key); returns the key file id."""
        return self._store.add_password(password)

    @property
    def config(self) -> RepositoryConfig:
        return self._store.config

    @property
    def destination(self) -> Destination:
        return self._store.destination

    @property
    def location(self) -> str:
        """Where the repository is, for messages."""
        return self._store.destination.location

    def chunk_id(self, data, restore_point: str | RestorePoint | None = None) -> bytes:
        """The id these bytes have in this repository (keyed BLAKE3), in ``restore_point``'s deduplication domain
        (default: the repository-wide one): equal to a record's ``chunk_id`` exactly when a block holds these
        bytes."""
        domain = self._document(restore_point).dedup_domain if restore_point is not None else None
        return self._store.hasher_for(domain).chunk_id(data)

    # -- restore points -----------------------------------------------------------------------------------------

    def start_restore_point(self, labels: dict | None = None, instance_metadata: dict | None = None, *,
                            consistency: Consistency | str = Consistency.CRASH,
                            lock_until: datetime | str | None = None,
                            dedup_domain: str | None = None) -> RestorePointWriter:
        """Begin a restore point. ``labels``: small searchable strings (instance id, project id, policy, name);
        ``instance_metadata``: an opaque JSON-able dict (flavor, NICs, BDMs, ...); ``consistency``: how the
        volumes were captured (a ``Consistency``); ``lock_until``: a retention lock - the restore point cannot
        be deleted before then; ``dedup_domain``: the deduplication domain (``project:<id>``) whose key the
        chunk ids are computed with, so restore points of other domains never share a chunk with this one (None:
        deduplicate across the whole repository). Holds a shared repository lock until ``commit()`` or
        ``abort()``."""
        try:
            consistency = Consistency.parse(consistency)
        except ValueError as error:
            raise InvalidRequest(str(error)) from None
        until = _iso(lock_until) if lock_until is not None else None
        lock = self._store.lock(False, "backup")
        try:
            self._store.refresh_index()
            if dedup_domain is not None and (not isinstance(dedup_domain, str) or not dedup_domain.strip()):
                raise InvalidRequest("a deduplication domain needs a name (or None for the whole repository)")
            return RestorePointWriter(self._store, lock, labels or {}, instance_metadata or {}, consistency, until,
                                      dedup_domain)
        except BaseException:
            lock.release()
            raise

    def restore_point_ids(self) -> list[str]:
        """The ids of every restore point, sorted, without reading their documents."""
        return self._store.restore_point_ids()

    def get_restore_point(self, restore_point_id: str) -> RestorePoint:
        """The document of one restore point (its full id, or a unique prefix of at least 4 characters)."""
        return self._store.get_restore_point(restore_point_id)

    def list_restore_points(self, labels: dict | None = None, volume_key: str | None = None, *,
                            unreadable: list[tuple[str, str]] | None = None) -> list[RestorePoint]:
        """Restore points, oldest first, whose labels include all of ``labels`` (and that hold ``volume_key``).
        A document that cannot be read is left out (and logged): one bad object never hides the others; pass a list
        as ``unreadable`` to get ``(id, reason)`` of each."""
        found = []
        for restore_point in self._store.read_restore_points(unreadable):
            if labels and any(restore_point.labels.get(k) != v for k, v in labels.items()):
                continue
            if volume_key is not None and all(volume.key != volume_key for volume in restore_point.volumes):
                continue
            found.append(restore_point)
        found.sort(key=lambda rp: (rp.created, rp.id))
        return found

    def latest_restore_point(self, labels: dict | None = None, volume_key: str | None = None) -> RestorePoint | None:
        points = self.list_restore_points(labels, volume_key)
        return points[-1] if points else None

    def delete_restore_point(self, restore_point_id: str) -> None:
        """Remove a restore point's document (its data goes at the next ``prune``); refused under retention lock."""
        restore_point = self.get_restore_point(restore_point_id)
        if restore_point.locked():
            raise RetentionLocked(f"restore point {restore_point.id} is under a retention lock until "
                                  f"{restore_point.lock_until}; it can be deleted after that")
        with self._store.lock(False, "delete"):
            self._store.delete_restore_point(restore_point.id)

    def set_retention_lock(self, restore_point_id: str, until: datetime | str) -> RestorePoint:
        """Lock a restore point against deletion until ``until``; a lock can be extended, never shortened."""
        restore_point = self.get_restore_point(restore_point_id)
        until = _iso(until)
        try:
            current = parse_time(restore_point.lock_until) if restore_point.lock_until else None
        except ValueError:
            current = None  # unreadable: counted as locked until a readable date replaces it
        if current is not None and current > parse_time(until):
            raise RetentionLocked(f"restore point {restore_point.id} is locked until {restore_point.lock_until}; "
                                  f"a retention lock can be extended but not shortened")
        restore_point.lock_until = until
        self._store.put_restore_point(restore_point)
        return restore_point

    def objects_of(self, restore_point: str | RestorePoint) -> list[str]:
        """The names of every object the restore point needs (document, packs, index objects), for a hardened
        destination to make immutable while it is locked."""
        document = self._document(restore_point)
        with self._store.lock(False, "objects"):
            self._store.refresh_index()
            return objects_of(self._store, document)

    # -- volumes of a restore point -----------------------------------------------------------------------------

    def volume_records(self, restore_point: str | RestorePoint, volume_key: str | None = None) -> Iterator[Record]:
        """What each offset of a backed-up volume holds, in order: a ``Record(offset, length, chunk_id)`` per stored
        block and one per run of zero blocks (``chunk_id`` None). Reads the maps a segment at a time, unlocked."""
        document = self._document(restore_point)
        return self._store.volume_maps(document, document.volume(volume_key)).records()

    def restore_volume(self, restore_point_id: str, volume_key: str | None, target, *,
                       progress: Progress | None = None, verify: bool = True,
                       cancel: threading.Event | None = None, target_zeroed: bool | None = None) -> dict:
        """Write one volume of a restore point to ``target``: a path of a block device or image file (a path that
        does not exist becomes a sparse file), an open file with ``fileno()``, or a ``BlockTarget``
        (``open_target``; the caller closes it). Only non-zero blocks are written; ``target_zeroed=True`` says the
        target already reads as zeros (a fresh Cinder volume), so zero blocks are skipped there too (default:
        decided by the target's kind). Every chunk is checked against its keyed hash unless ``verify=False``; a
        missing or corrupt chunk raises ``ChunkError`` naming the chunk, its pack, the volume and the offset.
        ``progress(bytes_done, bytes_written, total)``. Returns the restore's figures."""
        restore_point = self.get_restore_point(restore_point_id)
        entry = restore_point.volume(volume_key)
        with self._store.lock(False, "restore"):
            self._store.refresh_index()
            return VolumeRestore(self._store, restore_point, entry, target, progress=progress, verify=verify,
                                 cancel=cancel, target_zeroed=target_zeroed).run()

    def open_volume(self, restore_point: str | RestorePoint, volume_key: str | None = None, *,
                    cache_chunks: int = DEFAULT_CACHE_CHUNKS) -> VolumeFile:
        """One volume of a restore point as a seekable read-only file (``VolumeFile``: ``read``, ``seek``,
        ``pread(offset, length)``), read a chunk at a time, the last ``cache_chunks`` kept; holds a shared lock
        until closed (use it in a ``with``)."""
        document = self._document(restore_point)
        return VolumeFile(self._store, document, document.volume(volume_key), cache_chunks=cache_chunks)

    def verify_volume(self, restore_point: str | RestorePoint, volume_key: str | None = None, *,
                      progress: Progress | None = None, cancel: threading.Event | None = None) -> dict:
        """Read every chunk one volume of a restore point needs and check it against its keyed hash, writing
        nothing; raises ``ChunkError`` (naming the chunk, pack, volume and offset) at the first one missing or
        damaged, ``BackupCancelled`` when ``cancel`` is set. Returns ``{"chunks", "bytes", "duration"}``."""
        document = self._document(restore_point)
        entry = document.volume(volume_key)
        with self._store.lock(False, "verify"):
            self._store.refresh_index()
            return verify_volume(self._store, document, entry, progress=progress, cancel=cancel)

    def _document(self, restore_point: str | RestorePoint) -> RestorePoint:
        return restore_point if isinstance(restore_point, RestorePoint) else self.get_restore_point(restore_point)

    # -- maintenance --------------------------------------------------------------------------------------------

    def check(self, read_data: bool = False, progress: Callable[[str], None] | None = None) -> CheckReport:
        """Verify the structure (and with ``read_data`` every byte); returns a ``CheckReport``."""
        with self._store.lock(False, "check"):
            self._store.refresh_index(force=True)
            return run_check(self._store, read_data=read_data, progress=progress)

    def repair(self, sources: list[str] | tuple[str, ...] = (),
               progress: Callable[[str], None] | None = None) -> RepairReport:
        """Store again the missing or damaged chunks that ``sources`` (image files or block devices holding the data
        of a backed-up volume) supply, and mark in their documents the restore points whose data is still lost.
        Finds what ``check`` with ``read_data`` recorded, and what any verify or restore found; returns a
        ``RepairReport``."""
        with self._store.lock(False, "repair"):
            self._store.refresh_index(force=True)
            return run_repair(self._store, list(sources), progress=progress)

    def damaged_chunks(self) -> dict[str, dict]:
        """The chunks recorded damaged whose damaged copy the index still uses: hex id -> the record."""
        self._store.refresh_index()
        return {chunk_id.hex(): record.__dict__.copy() for chunk_id, record in self._store.damage.items()
                if self._store.is_damaged(chunk_id)}

    def stats(self) -> RepositoryStats:
        """Figures about the whole repository."""
        self._store.refresh_index()
        return repository_stats(self._store)

    def maintain_locks(self, locks: dict[str, datetime | str] | None = None,
                       restore_point_ids: list[str] | None = None, *, keeper: RetentionKeeper | None = None,
                       workers: int = 8, progress: Callable[[str], None] | None = None) -> LockMaintenanceReport:
        """Extend the per-object retention (Object Lock) of everything the restore points need: every one of them
        (or those of ``restore_point_ids``) to now + the destination's retention, a locked one to at least its lock
        date (``locks``: id -> date as the catalog holds it, or the document's own). Never shortens. ``keeper``: what
        sets the retention (default the destination; ``InvalidRequest`` when it keeps none). Takes a shared lock, so
        a prune cannot delete what is being extended. Returns a ``LockMaintenanceReport`` (failures listed, not
        raised)."""
        keeper = retention_keeper(self._store.destination, keeper)
        with self._store.lock(False, "lock-maintenance"):
            self._store.refresh_index(force=True)
            return run_lock_maintenance(self._store, keeper, dict(locks or {}), restore_point_ids, workers=workers,
                                        progress=progress)

    def prune(self, repack_threshold: float = 0.25, progress: Callable[[str], None] | None = None) -> PruneReport:
        """Remove data no restore point references (and leftovers of interrupted backups). Takes the exclusive
        lock: refused while any backup, restore, verify or check runs. Returns a ``PruneReport``."""
        with self._store.lock(True, "prune"):
            self._store.refresh_index(force=True)
            try:
                return run_prune(self._store, repack_threshold=repack_threshold, progress=progress)
            finally:
                self._store.refresh_index(force=True)


def _iso(value: datetime | str) -> str:
    """Any time a caller gives, in the one form the repository holds (``times.format_time``)."""
    try:
        return format_time(parse_time(value) if isinstance(value, str) else value)
    except (ValueError, OverflowError) as error:
        raise InvalidRequest(f"{value!r} is not a time the repository can hold: {error}") from None
