# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``repo repair``: store again the damaged chunks a source can supply; mark the restore points whose data is lost.

1. ``find_bad_chunks``: walk every restore point's records; a chunk is bad when it is in no index, in a pack that
   is missing, or recorded damaged (``damaged.py``: by ``repo check --read-data``, a verify, a restore). Each is
   recorded, so a backup running meanwhile stores it again too.
2. ``store_from_sources``: read each source (an image file or a block device holding the same data as a backed-up
   volume) in the blocks a backup cuts (each affected volume's block size, aligned at 0), hash each block as a
   backup does, and store the blocks whose id is a bad chunk; the store then prefers the new copy, which heals
   every restore point using it. Nothing else is written; a source holding other data stores nothing.
3. ``mark_lost``: each volume still needing a bad chunk (or whose block maps cannot be read) gets a ``data lost:``
   note in its restore point's document (rewritten atomically, retention lock kept); a repair that heals it later
   removes the note.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from .chunk_writer import ChunkWriter
from .errors import ChunkError, CorruptObject, RepositoryError
from .format import CHUNK_DATA, DATA_PREFIX, pack_id_from_name
from .restore_point import RestorePoint
from .store import RepositoryStore
from .volume_io import open_source

LOST_NOTE = "data lost:"
#: Bytes read from a source at a time (a whole number of blocks of any block size the repository allows).
READ_BATCH = 16 * 1024 * 1024


@dataclass
class RepairReport:
    bad_chunks: int = 0  # chunks restore points need that are missing or damaged
    restored_chunks: list[str] = field(default_factory=list)  # hex ids stored again from a source
    lost_chunks: list[str] = field(default_factory=list)  # hex ids no source supplied
    lost_restore_points: dict = field(default_factory=dict)  # restore point id -> what is lost, per volume
    sources: list[dict] = field(default_factory=list)  # per source: path, bytes read, chunks it supplied
    unreadable_restore_points: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lost_chunks and not self.lost_restore_points and not self.unreadable_restore_points


@dataclass
class _Walk:
    points: list[RestorePoint] = field(default_factory=list)
    bad: dict[bytes, str] = field(default_factory=dict)  # chunk id -> problem
    #: How the affected volumes were cut and keyed: ``(block size, hasher)``, one pair per kind met.
    cuts: dict[tuple[int, str | None], tuple[int, object]] = field(default_factory=dict)
    unreadable_maps: dict[tuple[str, str], str] = field(default_factory=dict)  # (point, volume) -> why


def run_repair(store: RepositoryStore, sources: list[str],
               progress: Callable[[str], None] | None = None) -> RepairReport:
    say = progress or (lambda _message: None)
    report = RepairReport()
    walk = find_bad_chunks(store, report)
    report.bad_chunks = len(walk.bad)
    say(f"{len(walk.bad)} chunk(s) missing or damaged in {len(walk.points)} restore point(s)")
    if walk.bad and sources:
        store_from_sources(store, sources, walk, report, say)
    mark_lost(store, walk, report)
    return report


def find_bad_chunks(store: RepositoryStore, report: RepairReport) -> _Walk:
    walk = _Walk()
    present = {pack_id_from_name(info.name) for info in store.destination.list(DATA_PREFIX)}
    unreadable: list[tuple[str, str]] = []
    walk.points = list(store.read_restore_points(unreadable))
    report.unreadable_restore_points = [f"{point_id}: {reason}" for point_id, reason in unreadable]
    index = store.index
    for point in walk.points:
        for volume in point.volumes:
            try:
                for record in store.volume_maps(point, volume).records():
                    chunk_id = record.chunk_id
                    if chunk_id is None or chunk_id in walk.bad:
                        if chunk_id is not None:
                            _note_cut(store, walk, point, volume.block_size)
                        continue
                    location = index.get(chunk_id)
                    if location is None:
                        problem = "is not in the index"
                    elif location[0] not in present:
                        problem = "is in a pack that is missing"
                    elif store.is_damaged(chunk_id):
                        problem = store.damage[chunk_id].problem
                    else:
                        continue
                    walk.bad[chunk_id] = problem
                    _note_cut(store, walk, point, volume.block_size)
            except (ChunkError, CorruptObject) as error:
                walk.unreadable_maps[(point.id, volume.key)] = str(error)
    for chunk_id, problem in walk.bad.items():
        store.record_damage(chunk_id, problem, "repair")
    return walk


def _note_cut(store: RepositoryStore, walk: _Walk, point: RestorePoint, block_size: int) -> None:
    """Remember how ``point``'s volume was cut and keyed. Where the store keys chunk ids per deduplication domain
    (a restore point's ``dedup_domain``, ``chunk_id.py``), the ids of a source's blocks must be computed in that
    domain; a store without domains has the one repository-wide hasher."""
    domain = getattr(point, "dedup_domain", None)
    key = (block_size, domain)
    if key not in walk.cuts:
        hasher_for = getattr(store, "hasher_for", None)
        walk.cuts[key] = (block_size, hasher_for(domain) if hasher_for is not None else store.hasher)


def store_from_sources(store: RepositoryStore, sources: list[str], walk: _Walk, report: RepairReport,
                       say: Callable[[str], None]) -> None:
    wanted = set(walk.bad)
    chunks = ChunkWriter(store, f"repair-{os.urandom(8).hex()}")
    try:
        for path in sources:
            supplied = 0
            read = 0
            with open_source(path, detect_holes=False) as source:
                for block_size, hasher in walk.cuts.values():
                    if not wanted:
                        break
                    found, bytes_read = _store_matching_blocks(chunks, source, block_size, hasher, wanted)
                    supplied += len(found)
                    read += bytes_read
                    wanted -= found
                    report.restored_chunks.extend(chunk_id.hex() for chunk_id in found)
            report.sources.append({"source": path, "bytes_read": read, "chunks_supplied": supplied})
            say(f"{path}: {supplied} chunk(s) stored again")
        chunks.flush()
    except BaseException:
        chunks.abort()
        raise
    finally:
        store.index_changed()
    store.refresh_index()


def _store_matching_blocks(chunks: ChunkWriter, source, block_size: int, hasher,
                           wanted: set[bytes]) -> tuple[set[bytes], int]:
    """Cut ``source`` as a backup does (``block_size`` blocks from offset 0, the last one short) and store each
    block whose keyed hash (``hasher``) is in ``wanted``; returns the ids stored and the bytes read."""
    found: set[bytes] = set()
    batch = max(block_size, READ_BATCH - READ_BATCH % block_size)
    buffer = bytearray(batch)
    offset = 0
    while offset < source.size and len(found) < len(wanted):
        length = min(batch, source.size - offset)
        view = memoryview(buffer)[:length]
        source.read_into(view, offset)
        for start in range(0, length, block_size):
            block = view[start:start + block_size]
            if not any(block):
                continue  # zero blocks are never stored
            chunk_id = hasher.chunk_id(block)
            if chunk_id in wanted and chunk_id not in found:
                chunks.store_chunk(chunk_id, CHUNK_DATA, bytes(block))
                found.add(chunk_id)
        offset += length
    return found, offset


def mark_lost(store: RepositoryStore, walk: _Walk, report: RepairReport) -> None:
    restored = {bytes.fromhex(chunk_id) for chunk_id in report.restored_chunks}
    lost = {chunk_id: problem for chunk_id, problem in walk.bad.items() if chunk_id not in restored}
    report.lost_chunks = sorted(chunk_id.hex() for chunk_id in lost)
    for point in walk.points:
        changed = False
        for volume in point.volumes:
            note = _lost_note(store, point, volume, lost, walk.unreadable_maps.get((point.id, volume.key)))
            notes = [existing for existing in volume.notes if not existing.startswith(LOST_NOTE)]
            if note:
                notes.append(note)
                report.lost_restore_points.setdefault(point.id, []).append(f"volume {volume.key!r}: {note}")
            if notes != volume.notes:
                volume.notes = notes
                changed = True
        if changed:
            try:
                store.put_restore_point(point)
            except (OSError, RepositoryError) as error:
                report.lost_restore_points.setdefault(point.id, []).append(f"could not mark it: {error}")


def _lost_note(store: RepositoryStore, point: RestorePoint, volume, lost: dict[bytes, str],
               unreadable_maps: str | None) -> str | None:
    if unreadable_maps:
        return f"{LOST_NOTE} the block maps of this volume cannot be read ({unreadable_maps}); nothing of it restores"
    if not lost:
        return None
    blocks = 0
    first = None
    chunk_ids: set[bytes] = set()
    for record in store.volume_maps(point, volume).records():
        if record.chunk_id in lost:
            blocks += 1
            chunk_ids.add(record.chunk_id)
            first = record.offset if first is None else first
    if not blocks:
        return None
    return (f"{LOST_NOTE} {blocks} block(s) from offset {first} need {len(chunk_ids)} chunk(s) that are missing or "
            f"damaged and that no repair source supplied ({', '.join(sorted(c.hex()[:16] for c in chunk_ids)[:5])}"
            f"{', ...' if len(chunk_ids) > 5 else ''}); those blocks cannot be restored")
