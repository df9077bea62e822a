# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``repo check``: is every restore point restorable? With ``read_data``, is every stored byte intact?

Four phases, each a function of its own:

1. ``check_packs``: index objects decode; every pack they name exists and is long enough.
2. ``check_restore_points``: every document decodes; every volume's maps read; every chunk its records use is in
   the index and in a pack that exists.
3. ``read_packs`` (``read_data`` only): every pack read whole, its header checked against the index, and every chunk
   decrypted, decompressed and verified against its keyed hash.
4. ``report_damage``: each damaged chunk reported with every restore point that needs it (a volume and offset each).

Every chunk found missing or damaged is recorded (``damaged.py``) so the next backup stores it again; a chunk
recorded damaged earlier (by a verify or a restore) is reported by phase 2 without ``read_data``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ChunkError, CorruptObject, ObjectNotFound, RepositoryError
from .format import DATA_PREFIX, pack_id_from_name, pack_name
from .packs import decode_pack_header
from .restore_point import RestorePoint, VolumeEntry
from .store import RepositoryStore

MAX_REPORTED = 50


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    restore_points: int = 0
    volumes: int = 0
    packs: int = 0
    chunks: int = 0
    chunks_read: int = 0
    bytes_read: int = 0
    suppressed_errors: int = 0
    damaged_chunks: dict = field(default_factory=dict)  # chunk id hex -> "problem (pack)"
    #: Every restore point that cannot be fully restored -> the damaged or missing chunks (hex) it needs. Never
    #: capped: the operator must learn every restore point a damaged chunk takes with it.
    affected_restore_points: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def affects(self, restore_point_id: str, chunk_id: bytes) -> None:
        chunks = self.affected_restore_points.setdefault(restore_point_id, [])
        if chunk_id.hex() not in chunks:
            chunks.append(chunk_id.hex())

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(message)
        else:
            self.suppressed_errors += 1


@dataclass
class PackInventory:
    """Packs as the destination holds them and as the index objects need them."""

    present: dict[str, int]  # pack id -> bytes on the destination
    needed: dict[str, int]  # pack id -> bytes its indexed chunks reach
    missing: set[str]  # indexed, not on the destination


def run_check(store: RepositoryStore, read_data: bool = False,
              progress: Callable[[str], None] | None = None) -> CheckReport:
    say = progress or (lambda _message: None)
    report = CheckReport(chunks=len(store.index))
    packs = check_packs(store, report)
    say(f"{len(packs.present)} packs, {report.chunks} chunks indexed")
    restore_points = check_restore_points(store, packs, report)
    say(f"{report.restore_points} restore points, {report.volumes} volumes: structure checked")
    if read_data:
        damaged = read_packs(store, packs, report)
        say(f"read {report.chunks_read} chunks, {report.bytes_read} bytes")
        report_damage(store, restore_points, damaged, report)
    return report


# -- 1. packs against the index objects ----------------------------------------------------------------------------

def check_packs(store: RepositoryStore, report: CheckReport) -> PackInventory:
    needed: dict[str, int] = {}
    for name in store.index_names():
        try:
            for pack_id, entries in store.read_index_object(name):
                end = max((entry.offset + entry.length for entry in entries), default=0)
                needed[pack_id] = max(needed.get(pack_id, 0), end)
        except RepositoryError as error:
            report.error(f"index object {name}: {error}")
    present = {pack_id_from_name(info.name): info.size for info in store.destination.list(DATA_PREFIX)}
    report.packs = len(present)
    missing = set()
    for pack_id, length in sorted(needed.items()):
        if pack_id not in present:
            missing.add(pack_id)
            report.error(f"pack {pack_name(pack_id)} is missing: its chunks cannot be restored")
        elif present[pack_id] < length:
            report.error(f"pack {pack_name(pack_id)} is truncated: {present[pack_id]} bytes, the index needs "
                         f"{length}")
    orphans = set(present) - set(needed)
    if orphans:
        report.warnings.append(f"{len(orphans)} pack(s) are in no index (left by an interrupted backup); "
                               f"'storage-backup repo prune' removes them")
    return PackInventory(present, needed, missing)


# -- 2. restore points and the chunks they use ---------------------------------------------------------------------

def check_restore_points(store: RepositoryStore, packs: PackInventory, report: CheckReport) -> list[RestorePoint]:
    """Every readable restore point (the others are reported), each volume's records checked."""
    restore_points = []
    for restore_point_id in store.restore_point_ids():
        try:
            restore_points.append(store.get_restore_point(restore_point_id))
        except RepositoryError as error:
            report.error(f"restore point {restore_point_id}: {error}")
    for restore_point in restore_points:
        report.restore_points += 1
        for volume in restore_point.volumes:
            report.volumes += 1
            check_volume(store, restore_point, volume, packs.missing, report)
    return restore_points


def check_volume(store: RepositoryStore, restore_point: RestorePoint, volume: VolumeEntry, missing_packs: set[str],
                 report: CheckReport) -> None:
    where = f"restore point {restore_point.id} volume {volume.key!r}"
    index = store.index
    try:
        maps = store.volume_maps(restore_point, volume)
        maps.read_checksum_segments()
        for record in maps.records():
            if record.chunk_id is None:
                continue
            location = index.get(record.chunk_id)
            if location is None:
                problem = "is not in the index"
            elif location[0] in missing_packs:
                problem = f"is in missing pack {pack_name(location[0])}"
            elif store.is_damaged(record.chunk_id):
                problem = f"was found damaged ({store.damage[record.chunk_id].problem})"
            else:
                continue
            report.error(f"{where} offset {record.offset}: chunk {record.chunk_id.hex()} {problem}")
            report.affects(restore_point.id, record.chunk_id)
            store.record_damage(record.chunk_id, problem, "check")
    except ChunkError as error:
        report.error(f"{where}: {error}")
        report.affects(restore_point.id, error.chunk_id)
    except RepositoryError as error:
        report.error(f"{where}: {error}")
        report.affected_restore_points.setdefault(restore_point.id, [])


# -- 3. every byte ---------------------------------------------------------------------------------------------------

def read_packs(store: RepositoryStore, packs: PackInventory, report: CheckReport) -> dict[bytes, str]:
    """Read every pack whole; returns the damaged chunks: id -> what is wrong (and in which pack)."""
    damaged: dict[bytes, str] = {}
    for pack_id in sorted(packs.present):
        read_pack(store, pack_id, report, damaged)
    return damaged


def read_pack(store: RepositoryStore, pack_id: str, report: CheckReport, damaged: dict[bytes, str]) -> None:
    name = pack_name(pack_id)
    try:
        data = store.destination.get(name)
    except ObjectNotFound:
        return  # removed since it was listed (a prune): its chunks were unused
    report.bytes_read += len(data)
    try:
        entries = decode_pack_header(store.codec, pack_id, data, len(data))
    except RepositoryError as error:
        report.error(f"pack {name}: {error}")
        for chunk_id in _chunks_indexed_in(store, pack_id):
            damaged[chunk_id] = f"its pack {name} is unreadable"
        return
    index = store.index
    view = memoryview(data)
    hasher = None  # a pack's chunks come from one writer, so one domain: the key that matched is tried first
    for entry in entries:
        location = index.get(entry.chunk_id)
        if location is not None and location[0] == pack_id and location[1:] != (entry.offset, entry.length):
            report.error(f"pack {name}: chunk {entry.chunk_id.hex()} is at offset {entry.offset} but the index "
                         f"says {location[1]}")
        try:
            plain = store.codec.decode(view[entry.offset:entry.offset + entry.length], entry.chunk_id,
                                       max_size=max(entry.raw_length, 1))
            matched = store.matches_a_domain(plain, entry.chunk_id, hasher)
            if matched is None:
                raise CorruptObject("does not match its keyed hash (in any deduplication domain of the repository)")
            hasher = matched
        except CorruptObject as error:
            if location is not None and location != (pack_id, entry.offset, entry.length):
                # A superseded copy: the index uses another one (stored again since); prune removes this one.
                report.warnings.append(f"pack {name}: an unused copy of chunk {entry.chunk_id.hex()} is damaged "
                                       f"({error}); 'storage-backup repo prune' removes it")
            else:
                damaged[entry.chunk_id] = f"{error} (pack {name})"
                store.record_damage(entry.chunk_id, str(error), "check --read-data",
                                    (pack_id, entry.offset, entry.length))
        report.chunks_read += 1


def _chunks_indexed_in(store: RepositoryStore, pack_id: str):
    """Chunk ids the index objects place in pack ``pack_id`` (whose own header cannot be read)."""
    for index_name in store.index_names():
        try:
            for listed_pack, entries in store.read_index_object(index_name):
                if listed_pack == pack_id:
                    for entry in entries:
                        yield entry.chunk_id
        except RepositoryError:
            continue


# -- 4. who needs the damaged chunks -------------------------------------------------------------------------------

def report_damage(store: RepositoryStore, restore_points: list[RestorePoint], damaged: dict[bytes, str],
                  report: CheckReport) -> None:
    """Each damaged chunk with every restore point that needs it (a volume and its first offset each)."""
    if not damaged:
        return
    users: dict[bytes, dict[str, str]] = {}  # chunk -> restore point id -> "volume 'v' offset n"
    for restore_point in restore_points:
        for volume in restore_point.volumes:
            try:
                for record in store.volume_maps(restore_point, volume).records():
                    if record.chunk_id in damaged:
                        users.setdefault(record.chunk_id, {}).setdefault(
                            restore_point.id, f"volume {volume.key!r} offset {record.offset}")
            except (ChunkError, CorruptObject):
                pass  # phase 2 has reported this volume
    for chunk_id, problem in damaged.items():
        report.damaged_chunks[chunk_id.hex()] = problem
        needed_by = users.get(chunk_id, {})
        for restore_point_id in needed_by:
            report.affects(restore_point_id, chunk_id)
        used_by = ("; ".join(f"restore point {point} ({where})" for point, where in needed_by.items())
                   + f" ({len(needed_by)} restore point(s) in all)" if needed_by
                   else "no restore point (prune removes it)")
        report.error(f"chunk {chunk_id.hex()} is damaged: {problem}; used by {used_by}")
