# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``repo prune``: remove what no restore point references, under the exclusive lock.

1. Mark every chunk reachable from a restore point (map roots, segments, data chunks). A restore point that cannot
   be read stops the prune: deleting data on a guess is how backups get lost.
2. Plan each indexed pack: all its chunks unused -> delete; mostly unused (more than ``repack_threshold`` of its
   bytes) -> copy the used blobs into new packs (as stored: no decrypt, no recompress) and delete it; else keep.
   Packs in no index (an interrupted backup) and temporary files are deleted too.
3. Order for crash safety: new packs durable -> new index objects -> old index objects deleted -> packs deleted.
   Dying at any step leaves a valid repository (at worst duplicate index entries or orphan packs, which the next
   prune removes).
"""
from __future__ import annotations

from dataclasses import dataclass

from .block_map import CHECKSUM_MAP, MANIFEST, BlockMapReader
from .chunk_id import ZERO_ID
from .errors import ChunkError, CorruptObject, RepositoryError
from .format import DATA_PREFIX, KIND_INDEX, envelope_header, index_name, pack_id_from_name, pack_name
from .index import PackEntry, encode_index
from .locks import list_locks
from .packs import PackWriter
from .restore_point import RestorePoint

INDEX_OBJECT_ENTRIES = 65536


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


def _say(progress, message: str) -> None:
    if progress is not None:
        progress(message)


def run_prune(repository, repack_threshold: float = 0.25, progress=None) -> PruneReport:
    report = PruneReport()
    destination = repository.destination
    index = repository.index
    marks = index.new_marks()

    def mark(chunk_id: bytes, where: str) -> None:
        slot = index.slot(chunk_id)
        if slot is None:
            raise RepositoryError(f"prune stopped, nothing deleted: {where} references chunk {chunk_id.hex()} which "
                                  f"is not in the index; run 'storage-backup repo check' first")
        bucket, position = slot
        if not marks[bucket][position]:
            marks[bucket][position] = 1
            report.chunks_used += 1

    restore_points: list[RestorePoint] = []
    for restore_point_id in repository.restore_point_ids():
        try:
            restore_points.append(repository.get_restore_point(restore_point_id))
        except RepositoryError as error:
            raise RepositoryError(f"prune stopped, nothing deleted: restore point {restore_point_id} cannot be read "
                                  f"({error}); run 'storage-backup repo check'") from None
    report.restore_points = len(restore_points)
    for restore_point in restore_points:
        for volume in restore_point.volumes:
            where = f"restore point {restore_point.id} volume {volume.key!r}"
            reader = repository.chunk_reader(volume=volume.key, restore_point=restore_point.id)
            try:
                for root, map_type in ((volume.manifest, MANIFEST), (volume.checksum_map, CHECKSUM_MAP)):
                    root_id = bytes.fromhex(root)
                    mark(root_id, where)
                    block_map = BlockMapReader(reader, root_id, map_type)
                    for number, segment_id in enumerate(block_map.segment_ids):
                        mark(segment_id, where)
                        if map_type != MANIFEST:
                            continue
                        segment = block_map.segment(number)
                        for start in range(0, len(segment), 32):
                            record = segment[start:start + 32]
                            if record != ZERO_ID:
                                mark(record, where)
            except (ChunkError, CorruptObject) as error:
                raise RepositoryError(f"prune stopped, nothing deleted: {where} cannot be read ({error}); run "
                                      f"'storage-backup repo check'") from None
    _say(progress, f"{report.chunks_used} chunks used by {report.restore_points} restore points")

    present = {pack_id_from_name(info.name): info.size for info in destination.list(DATA_PREFIX)}
    old_indexes = repository.index_names()
    report.index_objects_before = len(old_indexes)
    keep: dict[str, list[PackEntry]] = {}
    repack: dict[str, list[PackEntry]] = {}
    delete: set[str] = set()
    seen: set[str] = set()
    for name in old_indexes:
        for pack_id, entries in repository.read_index_object(name):
            if pack_id in seen:
                continue
            seen.add(pack_id)
            chosen, used = [], []
            total = used_bytes = 0
            for entry in entries:
                total += entry.length
                if index.get(entry.chunk_id) != (pack_id, entry.offset, entry.length):
                    continue  # a duplicate: another pack's copy is the one the index uses
                chosen.append(entry)
                bucket, position = index.slot(entry.chunk_id)
                if marks[bucket][position]:
                    used.append(entry)
                    used_bytes += entry.length
            if pack_id not in present:
                if used:
                    keep[pack_id] = chosen  # lost data stays visible to 'check' instead of silently vanishing
                continue
            if not used:
                delete.add(pack_id)
                report.chunks_removed += len(chosen)
            elif total and (total - used_bytes) / total > repack_threshold:
                repack[pack_id] = used
                report.chunks_removed += len(chosen) - len(used)
            else:
                keep[pack_id] = chosen
    orphans = set(present) - seen
    report.orphan_packs = len(orphans)

    # Copy used blobs out of mostly-empty packs, as they are stored.
    new_packs: dict[str, list[PackEntry]] = {}
    if repack:
        writer = PackWriter(destination, repository.codec, repository.config.pack_size,
                            lambda pack_id, entries: new_packs.__setitem__(pack_id, entries))
        try:
            for pack_id, entries in repack.items():
                name = pack_name(pack_id)
                for entry in sorted(entries, key=lambda e: e.offset):
                    blob = destination.get_range(name, entry.offset, entry.length)
                    writer.add(entry.chunk_id, entry.kind, b"", blob, entry.raw_length)
            writer.flush()
        except BaseException:
            writer.abort()
            raise
        report.packs_repacked = len(repack)
        report.packs_written = len(new_packs)

    # New index objects, then away with the old ones, then the packs.
    all_packs = {**keep, **new_packs}
    batch: dict[str, list[PackEntry]] = {}
    count = written = 0
    prefix = f"prune-{_short_id()}"
    for pack_id, entries in all_packs.items():
        batch[pack_id] = entries
        count += len(entries)
        if count >= INDEX_OBJECT_ENTRIES:
            _write_index(repository, index_name(f"{prefix}-{written:04d}"), batch)
            written += 1
            batch, count = {}, 0
    if batch:
        _write_index(repository, index_name(f"{prefix}-{written:04d}"), batch)
        written += 1
    report.index_objects_after = written
    for name in old_indexes:
        destination.delete(name)
    for pack_id in sorted(delete | set(repack) | orphans):
        report.bytes_freed += present.get(pack_id, 0)
        destination.delete(pack_name(pack_id))
    report.packs_deleted = len(delete) + len(repack) + len(orphans)
    for new_pack_id in new_packs:
        report.bytes_freed -= destination.size(pack_name(new_pack_id))
    report.temporary_files = destination.cleanup_incomplete(older_than=0)
    for lock in list_locks(destination):
        if not lock.data.get("exclusive") and lock.stale():
            destination.delete(lock.name)
            report.stale_locks += 1
    _say(progress, f"deleted {report.packs_deleted} packs, freed {report.bytes_freed} bytes")
    return report


def _write_index(repository, name: str, packs: dict[str, list[PackEntry]]) -> None:
    header = envelope_header(KIND_INDEX)
    repository.destination.put(name, header + repository.codec.encode(encode_index(packs), header + name.encode()))


def _short_id() -> str:
    import uuid

    return uuid.uuid4().hex
