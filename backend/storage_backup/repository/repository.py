# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``Repository``: the engine's front door for the pipeline, the CLI and maintenance.

    repository = Repository.init("/backups/repo", password=b"...")      # once
    repository = Repository.open("/backups/repo", password=b"...")
    with repository.start_restore_point(labels={"instance_id": ...}, instance_metadata={...}) as writer:
        writer.backup_volume(volume_id, "/dev/disk/by-id/virtio-...", strategy="incremental", previous=last_id)
        restore_point_id = writer.commit()
    repository.restore_volume(restore_point_id, volume_id, "/dev/disk/by-id/virtio-...", target_zeroed=True)

Everything is stored through a ``Destination`` (see ``destinations/base.py``); the engine is the same for all.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from .config import ENCRYPTION_AES_GCM, ENCRYPTION_NONE, RepositoryConfig
from .destinations import Destination, open_destination
from .errors import (
    ChunkCorrupt,
    ChunkMissing,
    CorruptObject,
    InvalidRequest,
    ObjectNotFound,
    PasswordRequired,
    RepositoryExists,
    RepositoryNotFound,
    RestorePointNotFound,
    RetentionLocked,
)
from .format import (
    CONFIG_NAME,
    INDEX_PREFIX,
    KIND_INDEX,
    RESTORE_POINTS_PREFIX,
    pack_name,
    restore_point_name,
    split_envelope,
)
from .index import ChunkIndex, PackEntry, decode_index
from .keys import KeyMaterial, now_iso, unlock, write_key_file
from .locks import RepositoryLock
from .restore_point import RestorePoint, decode_restore_point, encode_restore_point, parse_time
from .transforms import BlobCodec
from .writer import RestorePointWriter

MAX_INDEX_OBJECT = 1 << 31


def _password_bytes(password: str | bytes | None) -> bytes | None:
    if password is None:
        return None
    return password.encode() if isinstance(password, str) else bytes(password)


class Repository:
    """An open repository. Thread-safe: several writers and restores may run at once from one object."""

    def __init__(self, destination: Destination, config: RepositoryConfig, keys: KeyMaterial) -> None:
        from .chunk_id import ChunkHasher

        self.destination = destination
        self.config = config
        self._keys = keys
        self.codec = BlobCodec(keys.data_key)
        self.hasher = ChunkHasher(keys.id_key)
        self.index = ChunkIndex()
        self._loaded_indexes: set[str] = set()
        self._index_lock = threading.RLock()
        self._index_stale = True

    # -- creating and opening -----------------------------------------------------------------------------------

    @classmethod
    def init(cls, location: str | Destination, password: str | bytes | None = None, *,
             encryption: bool | None = None, block_size: int | None = None,
             pack_size: int | None = None) -> Repository:
        """Create a repository. Encrypted (AES-256-GCM) when a password is given, unless ``encryption=False``."""
        destination = open_destination(location)
        password = _password_bytes(password)
        encrypted = bool(password) if encryption is None else encryption
        if encrypted and not password:
            raise PasswordRequired("an encrypted repository needs a password: give --password-file FILE or set "
                                   "STORAGE_BACKUP_PASSWORD")
        if destination.exists(CONFIG_NAME):
            raise RepositoryExists(f"{destination.location} already holds a repository; open it instead of "
                                   f"initialising it again")
        config = RepositoryConfig(id=uuid.uuid4().hex, created=now_iso(),
                                  encryption=ENCRYPTION_AES_GCM if encrypted else ENCRYPTION_NONE)
        if block_size:
            if block_size % 4096 or not 4096 <= block_size <= 16 * 1024 * 1024:
                raise InvalidRequest("the block size must be a multiple of 4 KiB between 4 KiB and 16 MiB")
            config.block_size = block_size
        if pack_size:
            config.pack_size = pack_size
        keys = KeyMaterial.generate(encrypted)
        if encrypted:
            write_key_file(destination, config.id, keys, password)
        else:
            config.id_key = keys.id_key.hex()
        # The config goes last: a repository exists once it is complete. Exclusive, so two inits cannot both win.
        try:
            destination.put(CONFIG_NAME, config.to_json(), exclusive=True)
        except FileExistsError:
            raise RepositoryExists(f"{destination.location} already holds a repository") from None
        return cls(destination, config, keys)

    @classmethod
    def open(cls, location: str | Destination, password: str | bytes | None = None) -> Repository:
        """Open an existing repository; the password is needed only when it is encrypted."""
        destination = open_destination(location)
        try:
            raw = destination.get(CONFIG_NAME)
        except ObjectNotFound:
            raise RepositoryNotFound(f"there is no repository at {destination.location}; create one with "
                                     f"'storage-backup repo init {destination.location}'") from None
        except (NotADirectoryError, IsADirectoryError, PermissionError) as error:
            raise RepositoryNotFound(f"cannot read a repository at {destination.location}: {error.strerror}")\
                from None
        config = RepositoryConfig.from_json(raw, destination.location)
        if config.encrypted:
            keys = unlock(destination, config.id, _password_bytes(password))
        else:
            if not config.id_key:
                raise CorruptObject(f"the unencrypted repository at {destination.location} has no id key")
            keys = KeyMaterial(bytes.fromhex(config.id_key), None)
        return cls(destination, config, keys)

    def add_password(self, password: str | bytes) -> str:
        """Add another password (a new key file for the same master key); returns the key file id."""
        if not self.config.encrypted:
            raise InvalidRequest("this repository is not encrypted: it has no passwords")
        return write_key_file(self.destination, self.config.id, self._keys, _password_bytes(password))

    # -- index --------------------------------------------------------------------------------------------------

    def _index_changed(self) -> None:
        self._index_stale = True

    def refresh_index(self, force: bool = False) -> ChunkIndex:
        """Load index objects written since the last call (all of them again if prune removed some)."""
        with self._index_lock:
            names = {info.name for info in self.destination.list(INDEX_PREFIX)}
            if force or self._loaded_indexes - names:
                self.index = ChunkIndex()
                self._loaded_indexes = set()
            for name in sorted(names - self._loaded_indexes):
                try:
                    packs = list(self.read_index_object(name))
                except ObjectNotFound:
                    continue  # removed by a prune between list and get: the next refresh starts over
                for pack_id, entries in packs:
                    self.index.add_pack(pack_id, entries)
                self._loaded_indexes.add(name)
            self._index_stale = False
            return self.index

    def read_index_object(self, name: str) -> Iterator[tuple[str, list[PackEntry]]]:
        raw = self.destination.get(name)
        _version, header, body = split_envelope(raw, KIND_INDEX, f"index object {name}")
        try:
            plain = self.codec.decode(body, header + name.encode(), MAX_INDEX_OBJECT)
        except CorruptObject as error:
            raise CorruptObject(f"index object {name} cannot be read: {error}") from None
        return decode_index(plain, f"index object {name}")

    def index_names(self) -> list[str]:
        return sorted(info.name for info in self.destination.list(INDEX_PREFIX))

    # -- chunks -------------------------------------------------------------------------------------------------

    def read_chunk(self, chunk_id: bytes, *, volume: str | None = None, offset: int | None = None,
                   restore_point: str | None = None, verify: bool = True) -> bytes:
        """One chunk's plaintext, verified against its keyed hash; errors name the chunk, pack and user."""
        where = {"volume": volume, "offset": offset, "restore_point": restore_point}
        if self._index_stale:
            self.refresh_index()
        location = self.index.get(chunk_id)
        if location is None:
            raise ChunkMissing("is not in the repository index", chunk_id, **where)
        pack_id, start, length = location
        name = pack_name(pack_id)
        try:
            blob = self.destination.get_range(name, start, length)
        except ObjectNotFound:
            raise ChunkMissing("is in a pack that is missing", chunk_id, pack=name, **where) from None
        except CorruptObject as error:
            raise ChunkCorrupt(f"cannot be read ({error})", chunk_id, pack=name, **where) from None
        try:
            data = self.codec.decode(blob, chunk_id, max_size=max(64 * 1024 * 1024, self.config.block_size))
        except CorruptObject as error:
            raise ChunkCorrupt(f"is damaged ({error})", chunk_id, pack=name, **where) from None
        if verify and self.hasher.chunk_id(data) != chunk_id:
            raise ChunkCorrupt("does not match its keyed hash (altered data)", chunk_id, pack=name, **where)
        return bytes(data)

    def chunk_reader(self, **where) -> Callable[[bytes], bytes]:
        return lambda chunk_id: self.read_chunk(chunk_id, **where)

    def _lock(self, exclusive: bool, purpose: str) -> RepositoryLock:
        return RepositoryLock(self.destination, exclusive, purpose).acquire()

    # -- restore points -----------------------------------------------------------------------------------------

    def start_restore_point(self, labels: dict | None = None, instance_metadata: dict | None = None, *,
                            consistency: str = "crash-consistent",
                            lock_until: datetime | str | None = None) -> RestorePointWriter:
        """Begin a restore point. ``labels``: small searchable strings (instance id, project id, policy, name);
        ``instance_metadata``: an opaque JSON-able dict (flavor, NICs, BDMs, ...); ``consistency``: how the
        volumes were captured (e.g. ``group-snapshot``, ``back-to-back``, ``crash-consistent``); ``lock_until``:
        a retention lock - the restore point cannot be deleted before then. Holds a shared repository lock
        until ``commit()`` or ``abort()``."""
        lock = self._lock(False, "backup")
        try:
            self.refresh_index()
            until = _iso(lock_until) if lock_until is not None else None
            return RestorePointWriter(self, lock, labels or {}, instance_metadata or {}, consistency, until)
        except BaseException:
            lock.release()
            raise

    def restore_point_ids(self) -> list[str]:
        return sorted(info.name[len(RESTORE_POINTS_PREFIX):] for info in self.destination.list(RESTORE_POINTS_PREFIX))

    def _resolve_id(self, restore_point_id: str) -> str:
        restore_point_id = restore_point_id.strip().lower()
        if self.destination.exists(restore_point_name(restore_point_id)):
            return restore_point_id
        if len(restore_point_id) >= 4:
            matches = [rid for rid in self.restore_point_ids() if rid.startswith(restore_point_id)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise RestorePointNotFound(f"restore point id {restore_point_id!r} is ambiguous ({len(matches)} "
                                           f"match); give more characters")
        raise RestorePointNotFound(f"no restore point {restore_point_id!r} in {self.destination.location}; "
                                   f"'storage-backup repo list' shows them")

    def get_restore_point(self, restore_point_id: str) -> RestorePoint:
        """The document of one restore point (its full id, or a unique prefix of at least 4 characters)."""
        full_id = self._resolve_id(restore_point_id)
        name = restore_point_name(full_id)
        try:
            raw = self.destination.get(name)
        except ObjectNotFound:
            raise RestorePointNotFound(f"restore point {full_id} was just deleted") from None
        return decode_restore_point(self.codec, name, raw)

    def list_restore_points(self, labels: dict | None = None, volume_key: str | None = None) -> list[RestorePoint]:
        """Restore points, oldest first, whose labels include all of ``labels`` (and that hold ``volume_key``)."""
        found = []
        for restore_point_id in self.restore_point_ids():
            name = restore_point_name(restore_point_id)
            try:
                restore_point = decode_restore_point(self.codec, name, self.destination.get(name))
            except ObjectNotFound:
                continue
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
        with self._lock(False, "delete"):
            self.destination.delete(restore_point_name(restore_point.id))

    def set_retention_lock(self, restore_point_id: str, until: datetime | str) -> RestorePoint:
        """Lock a restore point against deletion until ``until``; a lock can be extended, never shortened."""
        restore_point = self.get_restore_point(restore_point_id)
        until = _iso(until)
        if restore_point.lock_until and parse_time(restore_point.lock_until) > parse_time(until):
            raise RetentionLocked(f"restore point {restore_point.id} is locked until {restore_point.lock_until}; "
                                  f"a retention lock can be extended but not shortened")
        restore_point.lock_until = until
        name = restore_point_name(restore_point.id)
        self.destination.put(name, encode_restore_point(self.codec, name, restore_point))
        return restore_point

    def restore_volume(self, restore_point_id: str, volume_key: str | None, target, *, progress=None,
                       verify: bool = True, cancel: threading.Event | None = None,
                       target_zeroed: bool | None = None) -> dict:
        """Write one volume of a restore point to ``target`` (path of a block device or image file, or an open
        file with ``fileno()``). A path that does not exist becomes a sparse file. Only non-zero blocks are
        written; ``target_zeroed=True`` says the target already reads as zeros (a fresh Cinder volume), so zero
        blocks are skipped there too (default: decided from the target, see ``VolumeTarget``). Every chunk is
        checked against its keyed hash unless ``verify=False``; a missing or corrupt chunk raises ``ChunkError``
        naming the chunk, its pack, the volume and the offset. ``progress(bytes_done, bytes_written, total)``.
        Returns the restore's figures."""
        from .volume_restore import VolumeRestore

        restore_point = self.get_restore_point(restore_point_id)
        entry = restore_point.volume(volume_key)
        with self._lock(False, "restore"):
            self.refresh_index()
            return VolumeRestore(self, restore_point, entry, target, progress=progress, verify=verify,
                                 cancel=cancel, target_zeroed=target_zeroed).run()

    # -- maintenance --------------------------------------------------------------------------------------------

    def check(self, read_data: bool = False, progress: Callable[[str], None] | None = None):
        """Verify the structure (and with ``read_data`` every byte); returns a ``CheckReport``."""
        from .check import run_check

        with self._lock(False, "check"):
            self.refresh_index(force=True)
            return run_check(self, read_data=read_data, progress=progress)

    def stats(self):
        """Figures about the whole repository; returns a ``RepositoryStats``."""
        from .stats import repository_stats

        self.refresh_index()
        return repository_stats(self)

    def prune(self, repack_threshold: float = 0.25, progress: Callable[[str], None] | None = None):
        """Remove data no restore point references (and leftovers of interrupted backups). Takes the exclusive
        lock: refused while any backup, restore or check runs. Returns a ``PruneReport``."""
        from .prune import run_prune

        with self._lock(True, "prune"):
            self.refresh_index(force=True)
            try:
                return run_prune(self, repack_threshold=repack_threshold, progress=progress)
            finally:
                self.refresh_index(force=True)


def _iso(value: datetime | str) -> str:
    if isinstance(value, str):
        parse_time(value)  # validates
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
