# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``RepositoryStore``: an open repository's state and the reads every operation shares.

It holds the destination, the config, the keys (as a blob codec and a chunk hasher) and the in-memory chunk index,
and it reads and writes the objects of the format: index objects, chunks, restore-point documents, locks. The
operations (``writer.py``, ``volume_restore.py``, ``volume_verify.py``, ``check.py``, ``prune.py``,
``stats.py``) each take a store; ``Repository`` (``repository.py``) is the front door that runs them. Nothing in
this module knows about those operations.
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator

from .chunk_id import ChunkHasher
from .config import ENCRYPTION_AES_GCM, ENCRYPTION_NONE, RepositoryConfig
from .damaged import DamagedChunk, delete_record, read_records, write_record
from .destinations import Destination, open_destination
from .errors import (
    ChunkCorrupt,
    ChunkError,
    ChunkMissing,
    CorruptObject,
    InvalidRequest,
    ObjectNotFound,
    PasswordRequired,
    RepositoryError,
    RepositoryExists,
    RepositoryNotFound,
    RestorePointNotFound,
)
from .format import (
    CONFIG_NAME,
    INDEX_PREFIX,
    KIND_INDEX,
    RESTORE_POINTS_PREFIX,
    envelope_header,
    pack_name,
    restore_point_name,
    split_envelope,
)
from .index import ChunkIndex, PackEntry, decode_index, encode_index
from .keys import KeyMaterial, now_iso, unlock, write_key_file
from .locks import RepositoryLock
from .records import VolumeMaps
from .restore_point import RestorePoint, VolumeEntry, decode_restore_point, encode_restore_point
from .transforms import BlobCodec

MAX_INDEX_OBJECT = 1 << 31
LOG = logging.getLogger(__name__)


def password_bytes(password: str | bytes | None) -> bytes | None:
    if password is None:
        return None
    return password.encode() if isinstance(password, str) else bytes(password)


class UsableChunks:
    """``chunk_id in view``: the store's ``usable`` as a container (what the incremental's previous maps ask)."""

    def __init__(self, store: RepositoryStore) -> None:
        self._store = store

    def __contains__(self, chunk_id: bytes) -> bool:
        return self._store.usable(chunk_id)


class RepositoryStore:
    """An open repository. Thread-safe: several writers and restores may use one at once."""

    def __init__(self, destination: Destination, config: RepositoryConfig, keys: KeyMaterial) -> None:
        self.destination = destination
        self.config = config
        self.keys = keys
        self.codec = BlobCodec(keys.data_key)
        self.hasher = ChunkHasher(keys.id_key)  # the repository-wide domain (None)
        self._hashers: dict[str | None, ChunkHasher] = {None: self.hasher}
        self.index = ChunkIndex()
        self._loaded_indexes: set[str] = set()
        self._index_lock = threading.RLock()
        self._index_stale = True
        self.damage: dict[bytes, DamagedChunk] = {}  # recorded damaged chunks (damaged.py)
        self._missing_packs: set[str] = set()  # packs found missing, their chunks recorded (record_missing_pack)

    # -- creating and opening -----------------------------------------------------------------------------------

    @classmethod
    def create(cls, location: str | Destination, password: str | bytes | None = None, *,
               encryption: bool | None = None, block_size: int | None = None,
               pack_size: int | None = None) -> RepositoryStore:
        """A new repository: encrypted (AES-256-GCM) when a password is given, unless ``encryption=False``."""
        destination = open_destination(location)
        password = password_bytes(password)
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
    def open(cls, location: str | Destination, password: str | bytes | None = None) -> RepositoryStore:
        """An existing repository; the password is needed only when it is encrypted."""
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
            keys = unlock(destination, config.id, password_bytes(password))
        else:
            if not config.id_key:
                raise CorruptObject(f"the unencrypted repository at {destination.location} has no id key")
            keys = KeyMaterial(bytes.fromhex(config.id_key), None)
        return cls(destination, config, keys)

    def add_password(self, password: str | bytes) -> str:
        if not self.config.encrypted:
            raise InvalidRequest("this repository is not encrypted: it has no passwords")
        return write_key_file(self.destination, self.config.id, self.keys, password_bytes(password))

    # -- index --------------------------------------------------------------------------------------------------

    def index_changed(self) -> None:
        """Index objects were written or removed: the next chunk read loads the new ones first."""
        self._index_stale = True

    def refresh_index(self, force: bool = False) -> ChunkIndex:
        """Load index objects written since the last call (all of them again if prune removed some)."""
        with self._index_lock:
            damage = read_records(self.destination)
            names = {info.name for info in self.destination.list(INDEX_PREFIX)}
            # A new damage record: load everything again, so a good copy loaded earlier is found for it.
            if force or self._loaded_indexes - names or set(damage) - set(self.damage):
                self.index = ChunkIndex()
                self._loaded_indexes = set()
            self.damage = damage
            copies: dict[bytes, list[tuple[str, int, int]]] = {}
            for name in sorted(names - self._loaded_indexes):
                try:
                    packs = list(self.read_index_object(name))
                except ObjectNotFound:
                    continue  # removed by a prune between list and get: the next refresh starts over
                for pack_id, entries in packs:
                    self.index.add_pack(pack_id, entries)
                    if damage:
                        for entry in entries:
                            if entry.chunk_id in damage:
                                copies.setdefault(entry.chunk_id, []).append((pack_id, entry.offset, entry.length))
                self._loaded_indexes.add(name)
            self._prefer_good_copies(copies)
            self._index_stale = False
            return self.index

    def _prefer_good_copies(self, copies: dict[bytes, list[tuple[str, int, int]]]) -> None:
        """Index objects load in name order and the first copy of a chunk wins; where that copy is recorded
        damaged and another copy was stored since (a later backup, a repair), point the index at the other one."""
        for chunk_id, locations in copies.items():
            bad = self.damage[chunk_id].location
            if bad is None or self.index.get(chunk_id) != bad:
                continue
            for location in locations:
                if location != bad:
                    self.index.relocate(chunk_id, *location)
                    break

    # -- damaged chunks (damaged.py) ----------------------------------------------------------------------------

    def is_damaged(self, chunk_id: bytes) -> bool:
        """Recorded damaged, and the index still points at the damaged copy (or at none)."""
        record = self.damage.get(chunk_id)
        if record is None:
            return False
        location = self.index.get(chunk_id)
        if record.location is None:
            return location is None  # it was in no index: stored again since, it is whole
        return location is None or location == record.location

    def usable(self, chunk_id: bytes) -> bool:
        """May a writer reference this chunk instead of storing it? In the index and not recorded damaged."""
        return chunk_id in self.index and not (self.damage and self.is_damaged(chunk_id))

    @property
    def usable_chunks(self) -> UsableChunks:
        return UsableChunks(self)

    def record_damage(self, chunk_id: bytes, problem: str, found_by: str,
                      location: tuple[str, int, int] | None = None) -> None:
        """Write ``damaged/<id>`` for the copy the index points at (or ``location``). Best effort: a repository that
        cannot be written (read-only mount) still gets the read error itself, which is what matters to the caller."""
        location = location or self.index.get(chunk_id)
        known = self.damage.get(chunk_id)
        if known is not None and known.location == location:
            return
        try:
            self.damage[chunk_id] = write_record(self.destination, chunk_id, location, problem, found_by)
        except (OSError, RepositoryError) as error:
            LOG.warning("%s: could not record damaged chunk %s: %s", self.destination.location, chunk_id.hex(), error)

    def record_missing_pack(self, pack_id: str, found_by: str) -> None:
        """A pack is gone: every chunk the index places in it is damaged, not only the one being read, so that no
        later backup deduplicates against any of them (its maps' segments included). Rare, so the index objects are
        read again to find the pack's entries rather than keeping a reverse index in memory."""
        if pack_id in self._missing_packs:
            return
        self._missing_packs.add(pack_id)
        try:
            for name in self.index_names():
                for indexed_pack, entries in self.read_index_object(name):
                    if indexed_pack != pack_id:
                        continue
                    for entry in entries:
                        if self.index.get(entry.chunk_id) == (pack_id, entry.offset, entry.length):
                            self.record_damage(entry.chunk_id, "is in a pack that is missing", found_by,
                                               (pack_id, entry.offset, entry.length))
        except (OSError, RepositoryError) as error:  # best effort, as record_damage
            LOG.warning("%s: could not record the chunks of missing pack %s: %s", self.destination.location,
                        pack_id, error)

    def clear_damage(self, chunk_id: bytes) -> None:
        delete_record(self.destination, chunk_id)
        self.damage.pop(chunk_id, None)

    def read_index_object(self, name: str) -> Iterator[tuple[str, list[PackEntry]]]:
        raw = self.destination.get(name)
        _version, header, body = split_envelope(raw, KIND_INDEX, f"index object {name}")
        try:
            plain = self.codec.decode(body, header + name.encode(), MAX_INDEX_OBJECT)
        except CorruptObject as error:
            raise CorruptObject(f"index object {name} cannot be read: {error}") from None
        return decode_index(plain, f"index object {name}")

    def write_index_object(self, name: str, packs: dict[str, list[PackEntry]]) -> None:
        header = envelope_header(KIND_INDEX)
        self.destination.put(name, header + self.codec.encode(encode_index(packs), header + name.encode()))

    def index_names(self) -> list[str]:
        return sorted(info.name for info in self.destination.list(INDEX_PREFIX))

    # -- chunk ids ----------------------------------------------------------------------------------------------

    def hasher_for(self, domain: str | None) -> ChunkHasher:
        """The chunk hasher of a deduplication domain (``chunk_id.py``); the ones used are remembered."""
        hasher = self._hashers.get(domain)
        if hasher is None:
            hasher = self._hashers.setdefault(domain, ChunkHasher(self.keys.id_key, domain))
        return hasher

    def matches_a_domain(self, data, chunk_id: bytes, hint: ChunkHasher | None = None) -> ChunkHasher | None:
        """The hasher, among the domains this store has met (every restore point's, once they were read), under
        which ``data`` has id ``chunk_id``; None when none does (altered data). For a reader that does not know
        which restore point a chunk belongs to (``check`` reading whole packs); ``hint`` is tried first."""
        candidates = list(self._hashers.values())
        if hint is not None:
            candidates.remove(hint)
            candidates.insert(0, hint)
        for hasher in candidates:
            if hasher.chunk_id(data) == chunk_id:
                return hasher
        return None

    # -- chunks -------------------------------------------------------------------------------------------------

    def read_chunk(self, chunk_id: bytes, *, volume: str | None = None, offset: int | None = None,
                   restore_point: str | None = None, verify: bool = True,
                   hasher: ChunkHasher | None = None) -> bytes:
        """One chunk's plaintext, verified against its keyed hash (``hasher``: the restore point's domain; default
        the repository-wide one); errors name the chunk, pack and user. A chunk found missing or damaged is
        recorded (``damaged.py``) so no later backup references it again."""
        try:
            return self._read_chunk(chunk_id, volume=volume, offset=offset, restore_point=restore_point,
                                    verify=verify, hasher=hasher)
        except ChunkError as error:
            self.record_damage(chunk_id, error.problem, f"read for restore point {restore_point}"
                               if restore_point else "read")
            raise

    def _read_chunk(self, chunk_id: bytes, *, volume: str | None, offset: int | None, restore_point: str | None,
                    verify: bool, hasher: ChunkHasher | None = None) -> bytes:
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
            self.record_missing_pack(pack_id, f"pack {name} found missing reading chunk {chunk_id.hex()}")
            raise ChunkMissing("is in a pack that is missing", chunk_id, pack=name, **where) from None
        except CorruptObject as error:
            raise ChunkCorrupt(f"cannot be read ({error})", chunk_id, pack=name, **where) from None
        try:
            data = self.codec.decode(blob, chunk_id, max_size=max(64 * 1024 * 1024, self.config.block_size))
        except CorruptObject as error:
            raise ChunkCorrupt(f"is damaged ({error})", chunk_id, pack=name, **where) from None
        if verify and (hasher or self.hasher).chunk_id(data) != chunk_id:
            raise ChunkCorrupt("does not match its keyed hash (altered data)", chunk_id, pack=name, **where)
        return bytes(data)

    def chunk_reader(self, **where) -> Callable[[bytes], bytes]:
        return lambda chunk_id: self.read_chunk(chunk_id, **where)

    def volume_maps(self, restore_point: RestorePoint, volume: VolumeEntry) -> VolumeMaps:
        """The block maps of one volume of a restore point, verified with its domain's key; chunk errors name the
        volume and the restore point."""
        return VolumeMaps(self.chunk_reader(volume=volume.key, restore_point=restore_point.id,
                                            hasher=self.hasher_for(restore_point.dedup_domain)),
                          restore_point.id, volume)

    # -- restore-point documents --------------------------------------------------------------------------------

    def restore_point_ids(self) -> list[str]:
        return sorted(info.name[len(RESTORE_POINTS_PREFIX):] for info in self.destination.list(RESTORE_POINTS_PREFIX))

    def resolve_restore_point_id(self, restore_point_id: str) -> str:
        """The full id of a restore point given by its id or a unique prefix of at least 4 characters."""
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
        full_id = self.resolve_restore_point_id(restore_point_id)
        name = restore_point_name(full_id)
        try:
            raw = self.destination.get(name)
        except ObjectNotFound:
            raise RestorePointNotFound(f"restore point {full_id} was just deleted") from None
        return decode_restore_point(self.codec, name, raw)

    def read_restore_points(self, unreadable: list[tuple[str, str]] | None = None) -> Iterator[RestorePoint]:
        """Every restore point document, in id order; one deleted while listing is left out. One that cannot be
        read is skipped, logged, and added to ``unreadable`` as ``(id, reason)``: it must not hide the others."""
        for restore_point_id in self.restore_point_ids():
            name = restore_point_name(restore_point_id)
            try:
                yield decode_restore_point(self.codec, name, self.destination.get(name))
            except ObjectNotFound:
                continue
            except RepositoryError as error:
                LOG.warning("%s: restore point %s skipped: %s", self.destination.location, restore_point_id, error)
                if unreadable is not None:
                    unreadable.append((restore_point_id, str(error)))

    def put_restore_point(self, restore_point: RestorePoint) -> None:
        name = restore_point_name(restore_point.id)
        self.destination.put(name, encode_restore_point(self.codec, name, restore_point))

    def delete_restore_point(self, restore_point_id: str) -> None:
        self.destination.delete(restore_point_name(restore_point_id))

    # -- locks --------------------------------------------------------------------------------------------------

    def lock(self, exclusive: bool, purpose: str) -> RepositoryLock:
        """Take a shared (backup, restore, verify, check, delete) or exclusive (prune) lock; release it after."""
        return RepositoryLock(self.destination, exclusive, purpose).acquire()
