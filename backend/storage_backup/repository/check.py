# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``repo check``: is every restore point restorable? With ``read_data``, is every stored byte intact?

Structure: index objects decode; every indexed pack exists and is long enough; every restore point decodes; every
chunk its maps reference is in the index and its pack exists. Data: every pack is read whole, its header checked
against the index, and every chunk decrypted, decompressed and verified against its keyed hash. Damage is reported
with the chunk, the pack, and the restore points, volumes and offsets that need it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .block_map import CHECKSUM_MAP, MANIFEST, BlockMapReader
from .chunk_id import ZERO_ID
from .errors import ChunkError, CorruptObject, ObjectNotFound, RepositoryError
from .format import DATA_PREFIX, pack_id_from_name, pack_name
from .packs import decode_pack_header

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

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(message)
        else:
            self.suppressed_errors += 1


def _say(progress, message: str) -> None:
    if progress is not None:
        progress(message)


def run_check(repository, read_data: bool = False, progress=None) -> CheckReport:
    report = CheckReport()
    destination = repository.destination
    index = repository.index
    report.chunks = len(index)

    # Packs named by index objects, and how long each must be.
    needed_length: dict[str, int] = {}
    for name in repository.index_names():
        try:
            for pack_id, entries in repository.read_index_object(name):
                end = max((entry.offset + entry.length for entry in entries), default=0)
                needed_length[pack_id] = max(needed_length.get(pack_id, 0), end)
        except RepositoryError as error:
            report.error(f"index object {name}: {error}")
    present = {pack_id_from_name(info.name): info.size for info in destination.list(DATA_PREFIX)}
    report.packs = len(present)
    missing_packs = set()
    for pack_id, length in sorted(needed_length.items()):
        if pack_id not in present:
            missing_packs.add(pack_id)
            report.error(f"pack {pack_name(pack_id)} is missing: its chunks cannot be restored")
        elif present[pack_id] < length:
            report.error(f"pack {pack_name(pack_id)} is truncated: {present[pack_id]} bytes, the index needs "
                         f"{length}")
    orphans = set(present) - set(needed_length)
    if orphans:
        report.warnings.append(f"{len(orphans)} pack(s) are in no index (left by an interrupted backup); "
                               f"'storage-backup repo prune' removes them")
    _say(progress, f"{len(present)} packs, {len(index)} chunks indexed")

    # Every restore point: its maps, and every chunk they reference.
    def walk_volume(restore_point, volume, on_record) -> None:
        reader_for = repository.chunk_reader(volume=volume.key, restore_point=restore_point.id)
        manifest = BlockMapReader(reader_for, bytes.fromhex(volume.manifest), MANIFEST)
        checksums = BlockMapReader(reader_for, bytes.fromhex(volume.checksum_map), CHECKSUM_MAP)
        if manifest.blocks != checksums.blocks or manifest.size != volume.size:
            raise CorruptObject(f"maps of volume {volume.key!r} in restore point {restore_point.id} disagree on "
                                f"its size")
        for number in range(len(manifest.segment_ids)):
            checksums.segment(number)
            segment = manifest.segment(number)
            first = number * manifest.segment_blocks
            for slot in range(len(segment) // 32):
                record = segment[slot * 32:slot * 32 + 32]
                if record != ZERO_ID:
                    on_record(record, (first + slot) * volume.block_size)

    restore_points = []
    for restore_point_id in repository.restore_point_ids():
        try:
            restore_points.append(repository.get_restore_point(restore_point_id))
        except RepositoryError as error:
            report.error(f"restore point {restore_point_id}: {error}")
    for restore_point in restore_points:
        report.restore_points += 1
        for volume in restore_point.volumes:
            report.volumes += 1

            def on_record(record, offset, restore_point=restore_point, volume=volume):
                location = index.get(record)
                if location is None:
                    report.error(f"restore point {restore_point.id} volume {volume.key!r} offset {offset}: chunk "
                                 f"{record.hex()} is not in the index")
                elif location[0] in missing_packs:
                    report.error(f"restore point {restore_point.id} volume {volume.key!r} offset {offset}: chunk "
                                 f"{record.hex()} is in missing pack {pack_name(location[0])}")
            try:
                walk_volume(restore_point, volume, on_record)
            except RepositoryError as error:
                report.error(f"restore point {restore_point.id} volume {volume.key!r}: {error}")
    _say(progress, f"{report.restore_points} restore points, {report.volumes} volumes: structure checked")

    if not read_data:
        return report

    # Every byte: each pack whole, its header against the index, each chunk against its keyed hash.
    damaged: dict[bytes, str] = {}
    for pack_id in sorted(present):
        name = pack_name(pack_id)
        try:
            data = destination.get(name)
        except ObjectNotFound:
            continue
        report.bytes_read += len(data)
        try:
            entries = decode_pack_header(repository.codec, pack_id, data, len(data))
        except RepositoryError as error:
            report.error(f"pack {name}: {error}")
            for chunk_id, where in _chunks_indexed_in(repository, pack_id, name):
                damaged[chunk_id] = where
            continue
        view = memoryview(data)
        for entry in entries:
            location = index.get(entry.chunk_id)
            if location is not None and location[0] == pack_id and location[1:] != (entry.offset, entry.length):
                report.error(f"pack {name}: chunk {entry.chunk_id.hex()} is at offset {entry.offset} but the index "
                             f"says {location[1]}")
            try:
                plain = repository.codec.decode(view[entry.offset:entry.offset + entry.length], entry.chunk_id,
                                                max_size=max(entry.raw_length, 1))
                if repository.hasher.chunk_id(plain) != entry.chunk_id:
                    raise CorruptObject("does not match its keyed hash")
            except CorruptObject as error:
                damaged[entry.chunk_id] = f"{error} (pack {name})"
            report.chunks_read += 1
        del view, data
    _say(progress, f"read {report.chunks_read} chunks, {report.bytes_read} bytes")
    if damaged:
        users: dict[bytes, list[str]] = {}
        for restore_point in restore_points:
            for volume in restore_point.volumes:
                def collect(record, offset, restore_point=restore_point, volume=volume):
                    if record in damaged and len(users.setdefault(record, [])) < 5:
                        users[record].append(f"restore point {restore_point.id} volume {volume.key!r} offset "
                                             f"{offset}")
                try:
                    walk_volume(restore_point, volume, collect)
                except (ChunkError, CorruptObject):
                    pass
        for chunk_id, problem in damaged.items():
            report.damaged_chunks[chunk_id.hex()] = problem
            used_by = "; ".join(users.get(chunk_id, [])) or "no restore point (prune removes it)"
            report.error(f"chunk {chunk_id.hex()} is damaged: {problem}; used by {used_by}")
    return report


def _chunks_indexed_in(repository, pack_id, name):
    """Chunk ids the index places in an unreadable pack (found through the index objects)."""
    for index_name in repository.index_names():
        try:
            for listed_pack, entries in repository.read_index_object(index_name):
                if listed_pack == pack_id:
                    for entry in entries:
                        yield entry.chunk_id, f"its pack {name} is unreadable"
        except RepositoryError:
            continue
