# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``repo prune``: remove what no restore point references, under the exclusive lock.

Three phases, each a function of its own:

1. ``mark_used_chunks``: every chunk reachable from a restore point (map roots, segments, the records' chunks). A
   restore point that cannot be read stops the prune: deleting data on a guess is how backups get lost.
2. ``plan_packs``: each indexed pack with all its chunks unused -> delete; mostly unused (more than
   ``repack_threshold`` of its bytes) -> repack; else keep. Packs in no index (an interrupted backup) go too.
3. ``carry_out``: copy the used blobs of the packs to repack into new packs (as stored: no decrypt, no
   recompress), then, for crash safety, in this order: new packs durable -> new index objects -> old index
   objects deleted -> packs deleted; last, leftovers (temporary files, stale shared locks). Dying at any step
   leaves a valid repository (at worst duplicate index entries or orphan packs, which the next prune removes).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ChunkError, CorruptObject, RepositoryError, RestorePointNotFound
from .format import DATA_PREFIX, index_name, pack_id_from_name, pack_name
from .index import ChunkIndex, PackEntry
from .locks import list_locks
from .packs import PackWriter
from .restore_point import RestorePoint, VolumeEntry
from .store import RepositoryStore

INDEX_OBJECT_ENTRIES = 65536
CHECK_HINT = "run 'storage-backup repo check'"


@dataclass
class PruneReport:
    restore_points: int = 0
    chunks_used: int = 0
    chunks_removed: int = 0
    packs_deleted: int = 0
    packs_repacked: int = 0
    packs_written: int = 0
    orphan_packs: int = 0
    bytes_freed: int = 0
    index_objects_before: int = 0
    index_objects_after: int = 0
    temporary_files: int = 0
    stale_locks: int = 0
    damage_records_cleared: int = 0  # damaged chunks whose bad copy is gone (stored again, or unused)
    #: ``"id: reason"`` of each restore point document that cannot be read. Its chunks cannot be known, so while
    #: one is listed no pack is deleted or repacked (only leftovers go); the other restore points are unaffected.
    unreadable_restore_points: list[str] = field(default_factory=list)


class UsedChunks:
    """One mark per indexed chunk (a byte per index slot: a million chunks cost a megabyte)."""

    def __init__(self, index: ChunkIndex) -> None:
        self._index = index
        self._marks = index.new_marks()
        self.count = 0

    def mark(self, chunk_id: bytes, where: str) -> None:
        slot = self._index.slot(chunk_id)
        if slot is None:
            raise RepositoryError(f"prune stopped, nothing deleted: {where} references chunk {chunk_id.hex()} which "
                                  f"is not in the index; {CHECK_HINT} first")
        bucket, position = slot
        if not self._marks[bucket][position]:
            self._marks[bucket][position] = 1
            self.count += 1

    def __contains__(self, chunk_id: bytes) -> bool:
        slot = self._index.slot(chunk_id)
        return slot is not None and bool(self._marks[slot[0]][slot[1]])


@dataclass
class PrunePlan:
    present: dict[str, int]  # pack id -> bytes on the destination
    old_indexes: list[str]
    keep: dict[str, list[PackEntry]] = field(default_factory=dict)  # pack id -> the entries the index uses
    repack: dict[str, list[PackEntry]] = field(default_factory=dict)  # pack id -> its used entries
    delete: set[str] = field(default_factory=set)
    orphans: set[str] = field(default_factory=set)  # packs in no index object


def run_prune(store: RepositoryStore, repack_threshold: float = 0.25,
              progress: Callable[[str], None] | None = None) -> PruneReport:
    say = progress or (lambda _message: None)
    report = PruneReport()
    used = mark_used_chunks(store, report)
    say(f"{report.chunks_used} chunks used by {report.restore_points} restore points")
    if report.unreadable_restore_points:
        say(f"{len(report.unreadable_restore_points)} restore point(s) cannot be read, so what they use is unknown: "
            f"no data deleted ({CHECK_HINT}; delete or restore those documents): "
            + "; ".join(report.unreadable_restore_points))
        remove_leftovers(store, report)
        return report
    plan = plan_packs(store, used, repack_threshold, report)
    carry_out(store, plan, report)
    forget_removed_damage(store, report)
    say(f"deleted {report.packs_deleted} packs, freed {report.bytes_freed} bytes")
    return report


def forget_removed_damage(store: RepositoryStore, report: PruneReport) -> None:
    """Damage records (``damaged.py``) whose damaged copy no index names any more: the new index objects name one
    copy per chunk, so a chunk stored again is served from its good copy by every reader from now on (and one no
    restore point used is gone). A record of a chunk in no index stays until the chunk is stored again."""
    store.refresh_index(force=True)
    for chunk_id, record in list(store.damage.items()):
        location = store.index.get(chunk_id)
        if (location is not None) if record.location is None else (location != record.location):
            store.clear_damage(chunk_id)
            report.damage_records_cleared += 1


# -- 1. mark -------------------------------------------------------------------------------------------------------

def mark_used_chunks(store: RepositoryStore, report: PruneReport) -> UsedChunks:
    used = UsedChunks(store.index)
    restore_points = []
    for restore_point_id in store.restore_point_ids():
        try:
            restore_points.append(store.get_restore_point(restore_point_id))
        except RestorePointNotFound:
            continue  # deleted since it was listed
        except RepositoryError as error:
            report.unreadable_restore_points.append(f"{restore_point_id}: {error}")
    report.restore_points = len(restore_points)
    for restore_point in restore_points:
        for volume in restore_point.volumes:
            mark_volume(store, restore_point, volume, used)
    report.chunks_used = used.count
    return used


def mark_volume(store: RepositoryStore, restore_point: RestorePoint, volume: VolumeEntry, used: UsedChunks) -> None:
    where = f"restore point {restore_point.id} volume {volume.key!r}"
    try:
        maps = store.volume_maps(restore_point, volume)
        for chunk_id in maps.map_chunk_ids():
            used.mark(chunk_id, where)
        for record in maps.records():
            if record.chunk_id is not None:
                used.mark(record.chunk_id, where)
    except (ChunkError, CorruptObject) as error:
        raise RepositoryError(f"prune stopped, nothing deleted: {where} cannot be read ({error}); "
                              f"{CHECK_HINT}") from None


# -- 2. plan -------------------------------------------------------------------------------------------------------

def plan_packs(store: RepositoryStore, used: UsedChunks, repack_threshold: float, report: PruneReport) -> PrunePlan:
    plan = PrunePlan(present={pack_id_from_name(info.name): info.size for info in store.destination.list(DATA_PREFIX)},
                     old_indexes=store.index_names())
    report.index_objects_before = len(plan.old_indexes)
    index = store.index
    seen: set[str] = set()
    for name in plan.old_indexes:
        for pack_id, entries in store.read_index_object(name):
            if pack_id in seen:
                continue
            seen.add(pack_id)
            # Duplicates (another pack's copy is the one the index uses) are left out of both lists.
            chosen = [entry for entry in entries if index.get(entry.chunk_id) == (pack_id, entry.offset, entry.length)]
            kept = [entry for entry in chosen if entry.chunk_id in used]
            total = sum(entry.length for entry in entries)
            unused_bytes = total - sum(entry.length for entry in kept)
            if pack_id not in plan.present:
                if kept:
                    plan.keep[pack_id] = chosen  # lost data stays visible to 'check' instead of silently vanishing
                continue
            if not kept:
                plan.delete.add(pack_id)
                report.chunks_removed += len(chosen)
            elif total and unused_bytes / total > repack_threshold:
                plan.repack[pack_id] = kept
                report.chunks_removed += len(chosen) - len(kept)
            else:
                plan.keep[pack_id] = chosen
    plan.orphans = set(plan.present) - seen
    report.orphan_packs = len(plan.orphans)
    return plan


# -- 3. carry out --------------------------------------------------------------------------------------------------

def carry_out(store: RepositoryStore, plan: PrunePlan, report: PruneReport) -> None:
    new_packs = repack(store, plan.repack, report)
    report.index_objects_after = write_index(store, {**plan.keep, **new_packs})
    for name in plan.old_indexes:
        store.destination.delete(name)
    delete_packs(store, plan, new_packs, report)
    remove_leftovers(store, report)


def repack(store: RepositoryStore, packs: dict[str, list[PackEntry]],
           report: PruneReport) -> dict[str, list[PackEntry]]:
    """Copy the used blobs out of mostly-empty packs, as they are stored; returns the new packs' entries."""
    new_packs: dict[str, list[PackEntry]] = {}
    if not packs:
        return new_packs
    destination = store.destination
    writer = PackWriter(destination, store.codec, store.config.pack_size,
                        lambda pack_id, entries: new_packs.__setitem__(pack_id, entries))
    try:
        for pack_id, entries in packs.items():
            name = pack_name(pack_id)
            for entry in sorted(entries, key=lambda e: e.offset):
                blob = destination.get_range(name, entry.offset, entry.length)
                writer.add(entry.chunk_id, entry.kind, b"", blob, entry.raw_length)
        writer.flush()
    except BaseException:
        writer.abort()
        raise
    report.packs_repacked = len(packs)
    report.packs_written = len(new_packs)
    return new_packs


def write_index(store: RepositoryStore, packs: dict[str, list[PackEntry]]) -> int:
    """The index of every pack kept, in new index objects of bounded size; returns how many."""
    prefix = f"prune-{uuid.uuid4().hex}"
    batch: dict[str, list[PackEntry]] = {}
    count = written = 0
    for pack_id, entries in packs.items():
        batch[pack_id] = entries
        count += len(entries)
        if count >= INDEX_OBJECT_ENTRIES:
            store.write_index_object(index_name(f"{prefix}-{written:04d}"), batch)
            written += 1
            batch, count = {}, 0
    if batch:
        store.write_index_object(index_name(f"{prefix}-{written:04d}"), batch)
        written += 1
    return written


def delete_packs(store: RepositoryStore, plan: PrunePlan, new_packs: dict[str, list[PackEntry]],
                 report: PruneReport) -> None:
    destination = store.destination
    gone = plan.delete | set(plan.repack) | plan.orphans
    for pack_id in sorted(gone):
        report.bytes_freed += plan.present.get(pack_id, 0)
        destination.delete(pack_name(pack_id))
    report.packs_deleted = len(gone)
    for new_pack_id in new_packs:
        report.bytes_freed -= destination.size(pack_name(new_pack_id))


def remove_leftovers(store: RepositoryStore, report: PruneReport) -> None:
    """Temporary files of writes that never committed, and shared locks of processes that are gone."""
    destination = store.destination
    report.temporary_files = destination.cleanup_incomplete(older_than=0)
    for lock in list_locks(destination):
        if not lock.data.get("exclusive") and lock.stale():
            destination.delete(lock.name)
            report.stale_locks += 1
