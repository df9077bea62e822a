# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The one walk of a volume's records: what every offset of a backed-up volume holds.

``VolumeMaps`` opens the manifest (and, when asked, the checksum map) of one volume of a restore point and checks
them against its document; ``records()`` yields a ``Record`` per stored block and one per run of zero blocks, in
offset order, a segment in memory at a time. Restore, verify, check, prune and the image-reuse comparison all walk
a volume this way and nothing else reads a manifest's records.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import NamedTuple

from .block_map import CHECKSUM_MAP, MANIFEST, BlockMapReader
from .chunk_id import ID_SIZE, ZERO_ID
from .errors import CorruptObject
from .restore_point import VolumeEntry


class Record(NamedTuple):
    """``length`` bytes of the volume at ``offset``: one block stored as chunk ``chunk_id``, or, when ``chunk_id``
    is None, a run of blocks that read as zeros (never stored, never written on restore)."""

    offset: int
    length: int
    chunk_id: bytes | None


class VolumeMaps:
    """The block maps of volume ``volume`` of restore point ``restore_point_id``, read with ``read_chunk``."""

    def __init__(self, read_chunk: Callable[[bytes], bytes], restore_point_id: str, volume: VolumeEntry) -> None:
        self._read_chunk = read_chunk
        self.restore_point_id = restore_point_id
        self.volume = volume
        manifest = BlockMapReader(read_chunk, bytes.fromhex(volume.manifest), MANIFEST)
        if manifest.size != volume.size or manifest.block_size != volume.block_size:
            raise CorruptObject(f"the manifest of volume {volume.key!r} in restore point {restore_point_id} "
                                f"describes {manifest.size} bytes in blocks of {manifest.block_size}, the document "
                                f"{volume.size} in blocks of {volume.block_size}")
        self.manifest = manifest

    @cached_property
    def checksums(self) -> BlockMapReader:
        """The checksum map, opened on first use (a restore does without it)."""
        checksums = BlockMapReader(self._read_chunk, bytes.fromhex(self.volume.checksum_map), CHECKSUM_MAP)
        manifest = self.manifest
        if (checksums.size, checksums.block_size, checksums.segment_blocks) != \
                (manifest.size, manifest.block_size, manifest.segment_blocks):
            raise CorruptObject(f"the maps of volume {self.volume.key!r} in restore point {self.restore_point_id} "
                                f"disagree on its size")
        return checksums

    def map_chunk_ids(self) -> Iterator[bytes]:
        """The chunks the maps themselves are stored in: each map's root and segments."""
        yield bytes.fromhex(self.volume.manifest)
        yield from self.manifest.segment_ids
        yield bytes.fromhex(self.volume.checksum_map)
        yield from self.checksums.segment_ids

    def read_checksum_segments(self) -> None:
        """Read every segment of the checksum map (the next incremental needs them); raises what a read raises."""
        for number in range(len(self.checksums.segment_ids)):
            self.checksums.segment(number)

    def records(self) -> Iterator[Record]:
        manifest = self.manifest
        block_size, size = manifest.block_size, manifest.size
        zero_start = -1  # first block of the run of zero blocks being walked, if any
        block = 0
        for number in range(len(manifest.segment_ids)):
            segment = manifest.segment(number)
            for start in range(0, len(segment), ID_SIZE):
                chunk_id = segment[start:start + ID_SIZE]
                if chunk_id == ZERO_ID:
                    if zero_start < 0:
                        zero_start = block
                else:
                    if zero_start >= 0:
                        yield Record(zero_start * block_size, (block - zero_start) * block_size, None)
                        zero_start = -1
                    offset = block * block_size
                    yield Record(offset, min(block_size, size - offset), chunk_id)
                block += 1
        if zero_start >= 0:
            yield Record(zero_start * block_size, size - zero_start * block_size, None)
