# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The air-gapped vault copy, repository side: a second repository that a worker on the vault side fills with
copies of the primary's restore points, and never deletes from.

The vault is a *clone of the primary's identity*: the same repository id, the same key files and so the same
chunk-id keys, so chunk ids agree (a chunk the vault holds is never copied twice) and the primary's password opens
the vault. ``copy_restore_point`` copies what one restore point references and the vault lacks: each chunk read
from the primary, decrypted and checked against its keyed hash before it is written, through the vault's own
packs and index, the maps' chunks after the data's, and the restore-point document last, so a copy that fails
half-way leaves nothing visible (only unreferenced packs, as an interrupted backup does).

The primary is only read: the copy takes no lock there and records nothing there, so a read-only S3 user
(s3:GetObject and s3:ListBucket) is enough. A prune on the primary during a copy makes a chunk go missing, which
fails the copy cleanly; the next attempt copies the rest.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from .chunk_writer import ChunkWriter
from .destinations import Destination, open_destination
from .errors import ChunkCorrupt, ChunkMissing, CorruptObject, ObjectNotFound, RepositoryError, RestorePointNotFound
from .format import CHUNK_DATA, CHUNK_META, CONFIG_NAME, KEYS_PREFIX, pack_name, restore_point_name
from .index import ChunkIndex
from .records import VolumeMaps
from .repository import Repository
from .restore_point import RestorePoint, decode_restore_point
from .store import RepositoryStore
from .times import parse_time
from .volume_restore import coalesce
from .workers import default_workers

#: ``progress(chunks_done, chunks_seen, bytes_copied)``, a few times a second from the calling thread.
CopyProgress = Callable[[int, int, int], None]

#: Chunks gathered before their reads go out (grouped by source pack and coalesced, as a restore does).
WINDOW_CHUNKS = 256
PROGRESS_INTERVAL = 0.25
#: Never fed to ChunkIndex as a real pack: the "seen" set below only asks membership.
_SEEN_PACK = "0" * 32


class VaultMismatch(RepositoryError):
    """The vault destination holds a repository other than the source's (another id, or other keys)."""


@dataclass
class CopyReport:
    """What one ``copy_restore_point`` did. ``chunks_total`` = ``chunks_copied`` + ``chunks_present``: the distinct
    chunks the restore point references (its blocks and its maps), 0 when the vault already had the restore point;
    ``bytes_copied``: stored (compressed, encrypted) bytes written to the vault; ``objects_written``: packs, index
    objects and the document."""

    point_id: str
    chunks_total: int = 0
    chunks_copied: int = 0
    chunks_present: int = 0
    bytes_copied: int = 0
    objects_written: int = 0
    duration: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


# -- the vault's identity -----------------------------------------------------------------------------------------

def open_vault(destination: str | dict | Destination, source: Repository, *, credentials=None) -> Repository:
    """The vault repository at ``destination`` (a ``Destination``, a location or a destination dict), created as a
    clone of ``source``'s identity when there is none yet: its ``config`` and key files copied byte for byte, so the
    vault has the same id and keys, chunk ids agree and the source's password opens it. A vault that holds another
    repository is refused (``VaultMismatch``); a key file added to the source since (a new password) is copied, none
    is ever removed. Nothing is written to the source. ``credentials``: the vault's (S3), as ``open_destination``
    takes them."""
    destination = open_destination(destination, credentials)
    source_store = source._store
    source_config = source_store.destination.get(CONFIG_NAME)
    if not destination.container_exists():
        destination.ensure_container()  # an S3 vault's bucket (with Object Lock when its location says lock=)
    try:
        raw = destination.get(CONFIG_NAME)
    except ObjectNotFound:
        raw = None
    if raw is None:
        # Key files first, config last and exclusive: a vault exists once it is complete, as with ``init``.
        _copy_key_files(source_store, destination)
        try:
            destination.put(CONFIG_NAME, source_config, exclusive=True)
        except FileExistsError:  # another vault worker made it meanwhile: checked below like any existing vault
            pass
        raw = destination.get(CONFIG_NAME)
    config = _check_config(source_store, destination, raw)
    if config.encrypted:
        _copy_key_files(source_store, destination)
    return Repository(RepositoryStore(destination, config, source_store.keys))


def _check_config(source_store: RepositoryStore, destination: Destination, raw: bytes):
    from .config import RepositoryConfig

    config = RepositoryConfig.from_json(raw, destination.location)
    mine = source_store.config
    if config.id != mine.id:
        raise VaultMismatch(f"{destination.location} holds repository {config.id}, not {mine.id} whose vault it "
                            f"was to be; give this vault a destination (bucket or prefix) of its own")
    if (config.encryption, config.id_key) != (mine.encryption, mine.id_key):
        raise VaultMismatch(f"{destination.location} holds a repository with the id {mine.id} but other keys: "
                            f"it is not a vault of {source_store.destination.location}; give the vault a destination "
                            f"of its own")
    return config


def _copy_key_files(source_store: RepositoryStore, destination: Destination) -> None:
    """Every key file of the source into the vault, byte for byte; an encrypted vault must already share one with
    the source (else it was made with other keys under the same id, and is refused)."""
    names = sorted(info.name for info in source_store.destination.list(KEYS_PREFIX))
    present = {info.name for info in destination.list(KEYS_PREFIX)}
    shared = False
    missing = []
    for name in names:
        data = source_store.destination.get(name)
        if name not in present:
            missing.append((name, data))
        elif destination.get(name) != data:
            raise VaultMismatch(f"key file {name} in {destination.location} differs from the source's: the vault "
                                f"is not a clone of {source_store.destination.location}")
        else:
            shared = True
    if present and not shared:
        raise VaultMismatch(f"{destination.location} shares no key file with {source_store.destination.location}: "
                            f"it holds another repository under the same id; give the vault a destination of its own")
    for name, data in missing:
        try:
            destination.put(name, data, exclusive=True)
        except FileExistsError:
            if destination.get(name) != data:
                raise VaultMismatch(f"key file {name} in {destination.location} differs from the source's") from None


def _same_repository(source: Repository, vault: Repository) -> None:
    if source.config.id != vault.config.id or source._store.keys != vault._store.keys:
        raise VaultMismatch(f"{vault.location} holds repository {vault.config.id}, not a vault of "
                            f"{source.location} ({source.config.id}); open it with open_vault")


# -- copying one restore point ------------------------------------------------------------------------------------

def copy_restore_point(source: Repository, vault: Repository, point_id: str, *,
                       progress: CopyProgress | None = None) -> CopyReport:
    """Copy restore point ``point_id`` (an id or a unique prefix) of ``source`` into ``vault`` (``open_vault``):
    the chunks it references that the vault lacks, each verified by its keyed hash on the way, then its maps' chunks,
    then its document, byte for byte, last (its lock date with it). A missing or corrupt chunk in the source fails
    the copy with a ``ChunkError`` naming it, and the vault shows nothing of the restore point. Idempotent: a restore
    point the vault has is not copied again (a later lock date on the source is carried over). Never deletes; takes
    a shared lock on the vault only, nothing on the source (which may be read-only)."""
    started = time.monotonic()
    _same_repository(source, vault)
    source_store, vault_store = source._store, vault._store
    full_id = source_store.resolve_restore_point_id(point_id)
    name = restore_point_name(full_id)
    try:
        raw_document = source_store.destination.get(name)
    except ObjectNotFound:
        raise RestorePointNotFound(f"restore point {full_id} was just deleted from {source.location}") from None
    document = decode_restore_point(source_store.codec, name, raw_document)
    report = CopyReport(document.id)
    with vault_store.lock(False, "vault copy"):
        if vault_store.destination.exists(name):
            _carry_lock_date(vault, document)
        else:
            source_store.refresh_index()
            vault_store.refresh_index()
            _ChunkCopy(source_store, vault_store, document, report, progress).run()
            vault_store.destination.put(name, raw_document)  # last: the restore point is in the vault from now on
            report.objects_written += 1
            vault_store.index_changed()
            _retain_until_lock_date(vault, document)
    report.duration = round(time.monotonic() - started, 3)
    return report


def _carry_lock_date(vault: Repository, document: RestorePoint) -> None:
    """The source's lock date on the vault's copy, when the source's is later (a lock is extended, never
    shortened: ``set_retention_lock``)."""
    if not document.lock_until:
        return
    copy = vault.get_restore_point(document.id)
    try:
        later = copy.lock_until is None or parse_time(document.lock_until) > parse_time(copy.lock_until)
    except (ValueError, TypeError):
        return  # an unreadable date counts as locked already (RestorePoint.locked)
    if later:
        vault.set_retention_lock(document.id, document.lock_until)
        _retain_until_lock_date(vault, document)


def _retain_until_lock_date(vault: Repository, document: RestorePoint) -> None:
    """On a vault bucket with Object Lock, hold what the restore point needs until its lock date when that is
    later than the retention every object got on its write (the lock maintenance pass takes it from there)."""
    destination = vault.destination
    settings = getattr(destination, "settings", None)
    if not document.lock_until or getattr(settings, "lock_mode", None) is None:
        return
    try:
        until = parse_time(document.lock_until)
    except (ValueError, TypeError):
        return
    if until > destination.retain_until():
        destination.extend_retention(vault.objects_of(document.id), until)


class _ChunkCopy:
    """The chunks of one restore point from ``source`` into ``vault``: data chunks volume by volume, then the maps'.
    The calling thread walks the maps and reserves what the vault lacks; workers read coalesced ranges of the
    source's packs, decode and verify each chunk, and append the blob as it is (same keys: it decodes in the vault
    too) to the vault's packs. A semaphore bounds the reads in flight."""

    def __init__(self, source: RepositoryStore, vault: RepositoryStore, document: RestorePoint, report: CopyReport,
                 progress: CopyProgress | None) -> None:
        self.source = source
        self.vault = vault
        self.document = document
        self.report = report
        self.progress = progress
        self.hasher = source.hasher_for(document.dedup_domain)
        self.writer = ChunkWriter(vault, f"vault-{uuid.uuid4().hex}", vault.hasher_for(document.dedup_domain))
        self.seen = ChunkIndex()  # distinct chunks met so far: 24 bytes each, whatever the volume size
        self.workers = default_workers()
        self._slots = threading.BoundedSemaphore(self.workers * 2)
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._last_progress = 0.0

    # Reads of the source's maps: verified, and never recorded as damage there (the source may be read-only).
    def _read_map_chunk(self, chunk_id: bytes) -> bytes:
        return self._fetch(chunk_id)[1]

    def _fetch(self, chunk_id: bytes) -> tuple[bytes, bytes]:
        location = self.source.index.get(chunk_id)
        if location is None:
            raise self._missing(chunk_id, "is not in the source's index", None)
        pack_id, start, length = location
        return self._read_range(pack_id, start, start + length, [(start, length, chunk_id, 0)])[0]

    def _maps(self, volume) -> VolumeMaps:
        return VolumeMaps(self._read_map_chunk, self.document.id, volume)

    def run(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        executor = ThreadPoolExecutor(self.workers, thread_name_prefix="vault-copy")
        try:
            try:
                # Data first, the maps' chunks after, as a backup stores them: a map in the vault's index then
                # always points at chunks the vault has.
                for volume in self.document.volumes:
                    self._copy(((record.chunk_id, CHUNK_DATA) for record in self._maps(volume).records()
                                if record.chunk_id is not None), executor)
                for volume in self.document.volumes:
                    self._copy(((chunk_id, CHUNK_META) for chunk_id in self._maps(volume).map_chunk_ids()), executor)
            finally:
                executor.shutdown(wait=True)
            if self._error is not None:
                raise self._error
            self.writer.flush()
        except BaseException:
            self.writer.abort()
            raise
        self.report.objects_written += self.writer.packs.packs_written + len(self.writer.index_objects)
        self._report_progress(force=True)

    def _copy(self, chunks: Iterable[tuple[bytes, int]], executor) -> None:
        window: list[tuple[bytes, int]] = []
        for chunk_id, kind in chunks:
            if chunk_id in self.seen:
                continue
            self.seen.add(chunk_id, _SEEN_PACK, 0, 0, 0)
            self.report.chunks_total += 1
            if not self.writer.reserve(chunk_id):
                self.report.chunks_present += 1
                continue
            window.append((chunk_id, kind))
            if len(window) >= WINDOW_CHUNKS:
                self._dispatch(window, executor)
                window = []
        self._dispatch(window, executor)

    def _dispatch(self, window: list[tuple[bytes, int]], executor) -> None:
        if self._error is not None:
            raise self._error
        by_pack: dict[str, list[tuple[int, int, bytes, int]]] = {}
        for chunk_id, kind in window:
            location = self.source.index.get(chunk_id)
            if location is None:
                raise self._missing(chunk_id, "is not in the source's index", None)
            pack_id, start, length = location
            by_pack.setdefault(pack_id, []).append((start, length, chunk_id, kind))
        for pack_id, items in by_pack.items():
            for start, end, ranged in coalesce(sorted(items)):  # source reads grouped as a restore groups them
                self._slots.acquire()
                if self._error is not None:
                    self._slots.release()
                    raise self._error
                executor.submit(self._copy_range, pack_id, start, end, ranged)
        self._report_progress()

    def _copy_range(self, pack_id: str, start: int, end: int, items: list) -> None:
        try:
            copied = 0
            for (_start, _length, chunk_id, kind), (blob, plain) in zip(
                    items, self._read_range(pack_id, start, end, items), strict=True):
                self.writer.packs.add(chunk_id, kind, blob[:1], blob[1:], len(plain))
                copied += len(blob)
            with self._lock:
                self.report.chunks_copied += len(items)
                self.report.bytes_copied += copied
        except BaseException as error:  # reported to the walking thread
            with self._lock:
                if self._error is None:
                    self._error = error
        finally:
            self._slots.release()

    def _read_range(self, pack_id: str, start: int, end: int, items: list) -> list[tuple[bytes, bytes]]:
        """``(blob, plaintext)`` of each item ``(offset, length, chunk_id, kind)`` of one range of a source pack,
        every plaintext checked against its keyed hash."""
        name = pack_name(pack_id)
        try:
            data = self.source.destination.get_range(name, start, end - start)
        except ObjectNotFound:
            raise self._missing(items[0][2], "is in a pack that is missing", name) from None
        except CorruptObject as error:
            raise self._corrupt(items[0][2], f"cannot be read ({error})", name) from None
        found = []
        for offset, length, chunk_id, _kind in items:
            blob = data[offset - start:offset - start + length]
            try:
                plain = self.source.codec.decode(blob, chunk_id, max_size=max(64 * 1024 * 1024,
                                                                              self.source.config.block_size))
            except CorruptObject as error:
                raise self._corrupt(chunk_id, f"is damaged ({error})", name) from None
            if self.hasher.chunk_id(plain) != chunk_id:
                raise self._corrupt(chunk_id, "does not match its keyed hash (altered data)", name)
            found.append((blob, plain))
        return found

    def _where(self) -> str:
        return (f" in the source {self.source.destination.location}: restore point {self.document.id} is not "
                f"copied, nothing of it is visible in the vault")

    def _missing(self, chunk_id: bytes, problem: str, pack: str | None) -> ChunkMissing:
        return ChunkMissing(problem + self._where(), chunk_id, pack=pack, restore_point=self.document.id)

    def _corrupt(self, chunk_id: bytes, problem: str, pack: str | None) -> ChunkCorrupt:
        return ChunkCorrupt(problem + self._where(), chunk_id, pack=pack, restore_point=self.document.id)

    def _report_progress(self, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= PROGRESS_INTERVAL:
            self._last_progress = now
            with self._lock:
                done, copied = self.report.chunks_copied + self.report.chunks_present, self.report.bytes_copied
            self.progress(done, self.report.chunks_total, copied)

