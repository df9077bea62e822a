# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The objects one restore point needs: its document, every pack holding one of its chunks (the maps' and the
volumes'), and the index objects that place those chunks. What a hardened destination makes immutable while the
restore point is locked (``storage_backup.immutable``): with all of them kept, the restore point stays restorable.
"""
from __future__ import annotations

from .format import pack_name, restore_point_name
from .restore_point import RestorePoint
from .store import RepositoryStore


def objects_of(store: RepositoryStore, restore_point: RestorePoint) -> list[str]:
    """Object names, sorted: the document, then the packs, then the index objects naming those packs' chunks."""
    chunks: set[bytes] = set()
    for volume in restore_point.volumes:
        maps = store.volume_maps(restore_point, volume)
        chunks.update(maps.map_chunk_ids())
        chunks.update(record.chunk_id for record in maps.records() if record.chunk_id is not None)
    index = store.index
    packs = {location[0] for location in map(index.get, chunks) if location is not None}
    index_objects = set()
    for name in store.index_names():
        # An index object is needed when it places one of the restore point's chunks in one of these packs.
        for pack_id, entries in store.read_index_object(name):
            if pack_id in packs and any(entry.chunk_id in chunks for entry in entries):
                index_objects.add(name)
                break
    return [restore_point_name(restore_point.id), *sorted(pack_name(p) for p in packs), *sorted(index_objects)]
