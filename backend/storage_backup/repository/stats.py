# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``repo stats``: how much the repository holds, and how much deduplication and compression save."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import RepositoryError
from .format import DATA_PREFIX, FORMAT_VERSION
from .locks import list_locks
from .store import RepositoryStore


@dataclass
class RepositoryStats:
    location: str
    format_version: int
    encryption: str
    block_size: int
    restore_points: int
    volumes: int
    logical_bytes: int  # sum of the sizes of every volume of every restore point
    zero_bytes: int  # of which all-zero (never stored)
    unique_chunks: int
    unique_raw_bytes: int  # distinct chunk contents, uncompressed
    stored_chunk_bytes: int  # the same, compressed and encrypted
    packs: int
    pack_bytes: int  # what the packs take on the destination
    index_objects: int
    locks: int
    unreadable_restore_points: int = 0

    @property
    def deduplication_ratio(self) -> float:
        """Non-zero logical bytes per unique byte stored (before compression)."""
        data = self.logical_bytes - self.zero_bytes
        return data / self.unique_raw_bytes if self.unique_raw_bytes else 0.0

    @property
    def compression_ratio(self) -> float:
        return self.unique_raw_bytes / self.stored_chunk_bytes if self.stored_chunk_bytes else 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["deduplication_ratio"] = round(self.deduplication_ratio, 3)
        data["compression_ratio"] = round(self.compression_ratio, 3)
        return data


def repository_stats(store: RepositoryStore) -> RepositoryStats:
    volumes = logical = zero = unreadable = 0
    restore_point_ids = store.restore_point_ids()
    for restore_point_id in restore_point_ids:
        try:
            restore_point = store.get_restore_point(restore_point_id)
        except RepositoryError:
            unreadable += 1
            continue
        for volume in restore_point.volumes:
            volumes += 1
            logical += volume.size
            zero += int(volume.stats.get("bytes_zero", 0))
    packs = list(store.destination.list(DATA_PREFIX))
    index = store.index
    config = store.config
    return RepositoryStats(
        location=store.destination.location, format_version=config.version or FORMAT_VERSION,
        encryption=config.encryption, block_size=config.block_size, restore_points=len(restore_point_ids) - unreadable,
        volumes=volumes, logical_bytes=logical, zero_bytes=zero, unique_chunks=index.chunk_count,
        unique_raw_bytes=index.raw_bytes, stored_chunk_bytes=index.stored_bytes, packs=len(packs),
        pack_bytes=sum(info.size for info in packs), index_objects=len(store.index_names()),
        locks=len(list_locks(store.destination)), unreadable_restore_points=unreadable)
