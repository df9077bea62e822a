# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The chunk index: chunk id -> (pack, offset, length).

On the destination the index is a set of immutable index objects, one (or a few) per writer, so concurrent backups
never share a mutable file (restic's design); loading the repository reads them all. In memory it is a compact
table: 4096 buckets by the id's first 12 bits, each a ``bytearray`` of 12-byte keys (id bytes 2..13) and one of
12-byte values (pack number, offset, length) - 24 bytes per chunk instead of ~200 for a dict, so a repository
with a million chunks (256 GiB of unique data) costs ~24 MiB. A 108-bit prefix of a keyed hash does not collide
by accident, and nobody without the key can make it; restore verifies the full 256-bit id of what it reads anyway.
"""
from __future__ import annotations

import struct
import uuid
from collections.abc import Iterator
from typing import NamedTuple

from .chunk_id import ID_SIZE
from .errors import CorruptObject

BUCKET_BITS = 12
BUCKETS = 1 << BUCKET_BITS
KEY_SIZE = 12
VALUE = struct.Struct("<III")  # pack number, offset, length

# Serialised index object (inside the envelope and blob transforms).
INDEX_HEADER = struct.Struct("<I")  # number of packs
PACK_HEADER = struct.Struct("<16sI")  # pack id (binary uuid), number of entries
ENTRY = struct.Struct("<32sBIII")  # chunk id, kind, offset, length (stored), raw length


class PackEntry(NamedTuple):
    """One chunk in a pack (a tuple: one is made per chunk stored and per chunk of every index loaded)."""

    chunk_id: bytes
    kind: int
    offset: int
    length: int
    raw_length: int

    def pack(self) -> bytes:
        return ENTRY.pack(*self)


def encode_index(packs: dict[str, list[PackEntry]]) -> bytes:
    parts = [INDEX_HEADER.pack(len(packs))]
    for pack_id, entries in packs.items():
        parts.append(PACK_HEADER.pack(uuid.UUID(hex=pack_id).bytes, len(entries)))
        parts.extend(ENTRY.pack(*entry) for entry in entries)
    return b"".join(parts)


def decode_index(raw: bytes, what: str) -> Iterator[tuple[str, list[PackEntry]]]:
    try:
        (pack_count,) = INDEX_HEADER.unpack_from(raw, 0)
        position = INDEX_HEADER.size
        for _ in range(pack_count):
            pack_bytes, count = PACK_HEADER.unpack_from(raw, position)
            position += PACK_HEADER.size
            end = position + count * ENTRY.size
            if end > len(raw):
                raise struct.error("truncated")
            entries = list(map(PackEntry._make, ENTRY.iter_unpack(raw[position:end])))
            position = end
            yield uuid.UUID(bytes=pack_bytes).hex, entries
    except struct.error:
        raise CorruptObject(f"{what} is truncated or malformed") from None
    if position != len(raw):
        raise CorruptObject(f"{what} has {len(raw) - position} trailing bytes")


class ChunkIndex:
    """Compact in-memory map from chunk id to location. Not thread-safe for writers: callers hold a lock."""

    def __init__(self) -> None:
        self._keys = [bytearray() for _ in range(BUCKETS)]
        self._values = [bytearray() for _ in range(BUCKETS)]
        self.packs: list[str] = []
        self._pack_numbers: dict[str, int] = {}
        self.chunk_count = 0
        self.stored_bytes = 0
        self.raw_bytes = 0

    @staticmethod
    def _split(chunk_id: bytes) -> tuple[int, bytes]:
        return (chunk_id[0] << 4) | (chunk_id[1] >> 4), chunk_id[2:2 + KEY_SIZE]

    @staticmethod
    def _find(keys: bytearray, key: bytes) -> int:
        position = keys.find(key)
        while position != -1 and position % KEY_SIZE:
            position = keys.find(key, position + 1)
        return -1 if position == -1 else position // KEY_SIZE

    def pack_number(self, pack_id: str) -> int:
        number = self._pack_numbers.get(pack_id)
        if number is None:
            number = self._pack_numbers[pack_id] = len(self.packs)
            self.packs.append(pack_id)
        return number

    def add(self, chunk_id: bytes, pack_id: str, offset: int, length: int, raw_length: int) -> bool:
        """Record a chunk; False (and no change) if the id is already known (first location wins)."""
        bucket, key = self._split(chunk_id)
        keys = self._keys[bucket]
        if self._find(keys, key) != -1:
            return False
        # Value first, key second: a concurrent reader that finds the key always finds its value.
        self._values[bucket] += VALUE.pack(self.pack_number(pack_id), offset, length)
        keys += key
        self.chunk_count += 1
        self.stored_bytes += length
        self.raw_bytes += raw_length
        return True

    def add_pack(self, pack_id: str, entries) -> None:
        """Record every entry of one pack (``add`` for each, in one loop: opening a repository loads them all)."""
        number = self.pack_number(pack_id)
        all_keys, all_values, pack_value, find = self._keys, self._values, VALUE.pack, self._find
        added = stored = raw = 0
        for chunk_id, _kind, offset, length, raw_length in entries:
            bucket = (chunk_id[0] << 4) | (chunk_id[1] >> 4)
            keys = all_keys[bucket]
            key = chunk_id[2:2 + KEY_SIZE]
            if keys and find(keys, key) != -1:
                continue
            all_values[bucket] += pack_value(number, offset, length)
            keys += key
            added += 1
            stored += length
            raw += raw_length
        self.chunk_count += added
        self.stored_bytes += stored
        self.raw_bytes += raw

    def relocate(self, chunk_id: bytes, pack_id: str, offset: int, length: int) -> bool:
        """Point a known chunk at another copy (the first one is recorded damaged); False if the id is unknown."""
        bucket, key = self._split(chunk_id)
        slot = self._find(self._keys[bucket], key)
        if slot == -1:
            return False
        start = slot * VALUE.size
        # One slice assignment of the same length: a concurrent reader sees the old value or the new one.
        self._values[bucket][start:start + VALUE.size] = VALUE.pack(self.pack_number(pack_id), offset, length)
        return True

    def get(self, chunk_id: bytes) -> tuple[str, int, int] | None:
        """``(pack id, offset, length)`` or None."""
        bucket, key = self._split(chunk_id)
        slot = self._find(self._keys[bucket], key)
        if slot == -1:
            return None
        pack_number, offset, length = VALUE.unpack_from(self._values[bucket], slot * VALUE.size)
        return self.packs[pack_number], offset, length

    def __contains__(self, chunk_id: bytes) -> bool:
        keys = self._keys[(chunk_id[0] << 4) | (chunk_id[1] >> 4)]
        # Asked for every new block of a backup: an empty bucket (a new repository) answers without a search.
        return bool(keys) and self._find(keys, chunk_id[2:2 + KEY_SIZE]) != -1

    def __len__(self) -> int:
        return self.chunk_count

    def slot(self, chunk_id: bytes) -> tuple[int, int] | None:
        """A stable position for marking (prune's used-set is one byte per slot)."""
        bucket, key = self._split(chunk_id)
        slot = self._find(self._keys[bucket], key)
        return None if slot == -1 else (bucket, slot)

    def new_marks(self) -> list[bytearray]:
        return [bytearray(len(keys) // KEY_SIZE) for keys in self._keys]

    def memory_bytes(self) -> int:
        return sum(len(k) + len(v) for k, v in zip(self._keys, self._values, strict=True))


assert ENTRY.size == ID_SIZE + 13
