# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Per-volume block maps: the manifest (chunk id per block) and the checksum map (xxh3-128 per block).

Both are arrays of fixed-size records, one per block, cut into segments of ``segment_blocks`` records. Each
segment is stored as a chunk of its own (so a segment that did not change since the last restore point is stored
once, like any block), and a small root chunk lists the segments. A backup or restore holds one or two segments in
memory at a time, whatever the volume size. A manifest record of 32 zero bytes marks an all-zero block.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from .errors import CorruptObject

MANIFEST = "manifest"
CHECKSUM_MAP = "checksum-map"
RECORD_SIZES = {MANIFEST: 32, CHECKSUM_MAP: 16}
ALGORITHMS = {MANIFEST: "blake3-keyed-256", CHECKSUM_MAP: "xxh3-128"}
ROOT_VERSION = 1


def encode_root(map_type: str, size: int, block_size: int, segment_blocks: int, segments: list[bytes]) -> bytes:
    return json.dumps({
        "v": ROOT_VERSION, "type": map_type, "algorithm": ALGORITHMS[map_type], "record_size": RECORD_SIZES[map_type],
        "size": size, "block_size": block_size, "segment_blocks": segment_blocks,
        "segments": [segment.hex() for segment in segments],
    }, separators=(",", ":")).encode()


class BlockMapReader:
    """Random access to one map, one cached segment at a time. ``read_chunk(id) -> bytes`` fetches a chunk."""

    def __init__(self, read_chunk: Callable[[bytes], bytes], root_id: bytes, map_type: str) -> None:
        self._read_chunk = read_chunk
        raw = read_chunk(root_id)
        try:
            root = json.loads(raw)
            if root.get("v") != ROOT_VERSION or root.get("type") != map_type:
                raise CorruptObject(f"{map_type} root {root_id.hex()} has version {root.get('v')} / type "
                                    f"{root.get('type')}; expected {ROOT_VERSION} / {map_type}")
            self.size = int(root["size"])
            self.block_size = int(root["block_size"])
            self.segment_blocks = int(root["segment_blocks"])
            self.record_size = int(root["record_size"])
            self.segment_ids = [bytes.fromhex(segment) for segment in root["segments"]]
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptObject(f"{map_type} root {root_id.hex()} is malformed: {error}") from None
        if self.record_size != RECORD_SIZES[map_type]:
            raise CorruptObject(f"{map_type} root {root_id.hex()} has record size {self.record_size}")
        self.blocks = -(-self.size // self.block_size)
        expected_segments = -(-self.blocks // self.segment_blocks)
        if len(self.segment_ids) != expected_segments:
            raise CorruptObject(f"{map_type} root {root_id.hex()} lists {len(self.segment_ids)} segments for "
                                f"{self.blocks} blocks")
        self._cached_number = -1
        self._cached: bytes = b""

    def segment_length(self, number: int) -> int:
        """Number of records in segment ``number``."""
        return min(self.segment_blocks, self.blocks - number * self.segment_blocks)

    def segment(self, number: int) -> bytes:
        if number != self._cached_number:
            data = self._read_chunk(self.segment_ids[number])
            if len(data) != self.segment_length(number) * self.record_size:
                raise CorruptObject(f"segment {number} of a block map has {len(data)} bytes, expected "
                                    f"{self.segment_length(number) * self.record_size}")
            self._cached, self._cached_number = data, number
        return self._cached

    def record(self, block: int) -> bytes:
        number, slot = divmod(block, self.segment_blocks)
        start = slot * self.record_size
        return self.segment(number)[start:start + self.record_size]
