# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The partitions of a disk: GPT (512- or 4096-byte sectors), MBR with its logical partitions, or none.

Only the table is read (a few sectors); what each partition holds is for ``browse.py`` to find out.
"""
from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from .errors import CorruptFilesystem
from .filesystem import Disk

SECTOR = 512
MAX_GPT_ENTRIES = 1024
MAX_LOGICAL_PARTITIONS = 128
EXTENDED_TYPES = {0x05, 0x0F, 0x85}
GPT_PROTECTIVE = 0xEE


@dataclass(frozen=True)
class Partition:
    number: int  # 1-based, as Linux numbers them (logical MBR partitions from 5)
    start: int  # bytes from the start of the disk
    size: int  # bytes
    table: str  # "gpt", "mbr", or "lvm" for a logical volume
    type: str  # GPT type GUID, the MBR type byte as "0x83", or an LVM volume as "vg/lv"

    def as_dict(self) -> dict:
        return {"number": self.number, "start": self.start, "size": self.size, "table": self.table,
                "type": self.type}


def read_partitions(disk: Disk) -> list[Partition]:
    """The disk's partitions in table order; [] when it has no table this reads."""
    first = disk.pread(0, SECTOR)
    if len(first) < SECTOR or first[510:512] != b"\x55\xaa":
        return _gpt(disk, SECTOR) or _gpt(disk, 4096) or []
    entries = [struct.unpack_from("<B3xB3xII", first, 446 + 16 * slot) for slot in range(4)]
    if any(kind == GPT_PROTECTIVE for _, kind, _, _ in entries):
        return _gpt(disk, SECTOR) or _gpt(disk, 4096) or []
    partitions = []
    for slot, (_, kind, start, count) in enumerate(entries):
        if kind == 0 or count == 0:
            continue
        if kind in EXTENDED_TYPES:
            partitions.extend(_logical(disk, start))
            continue
        partitions.append(_checked(disk, Partition(slot + 1, start * SECTOR, count * SECTOR, "mbr", f"0x{kind:02x}")))
    return partitions


def _logical(disk: Disk, extended_start: int) -> list[Partition]:
    """The chain of extended boot records; bounded, and a loop in it is an error rather than a hang."""
    partitions, seen, here = [], set(), extended_start
    while here and len(partitions) < MAX_LOGICAL_PARTITIONS:
        if here in seen:
            raise CorruptFilesystem(f"the MBR's chain of logical partitions loops back to sector {here}")
        seen.add(here)
        record = disk.pread(here * SECTOR, SECTOR)
        if len(record) < SECTOR or record[510:512] != b"\x55\xaa":
            break
        _, kind, start, count = struct.unpack_from("<B3xB3xII", record, 446)
        _, next_kind, next_start, _ = struct.unpack_from("<B3xB3xII", record, 462)
        if kind and count:
            partitions.append(_checked(disk, Partition(5 + len(partitions), (here + start) * SECTOR, count * SECTOR,
                                                       "mbr", f"0x{kind:02x}")))
        here = extended_start + next_start if next_kind in EXTENDED_TYPES and next_start else 0
    return partitions


def _gpt(disk: Disk, sector: int) -> list[Partition]:
    header = disk.pread(sector, 92)
    if len(header) < 92 or header[:8] != b"EFI PART":
        return []
    entries_lba, count, entry_size = struct.unpack_from("<QII", header, 72)
    if entry_size < 128 or entry_size > 4096 or count > MAX_GPT_ENTRIES:
        raise CorruptFilesystem(f"the GPT header lists {count} entries of {entry_size} bytes; at most "
                                f"{MAX_GPT_ENTRIES} of 128 to 4096 bytes are read")
    table = disk.pread(entries_lba * sector, count * entry_size)
    partitions = []
    for number in range(1, count + 1):
        entry = table[(number - 1) * entry_size:number * entry_size]
        if len(entry) < 128 or entry[:16] == bytes(16):
            continue
        first, last = struct.unpack_from("<QQ", entry, 32)
        if last < first:
            raise CorruptFilesystem(f"GPT partition {number} ends (LBA {last}) before it starts (LBA {first})")
        type_guid = str(uuid.UUID(bytes_le=entry[:16]))
        partitions.append(_checked(disk, Partition(number, first * sector, (last - first + 1) * sector, "gpt",
                                                   type_guid)))
    return partitions


def _checked(disk: Disk, partition: Partition) -> Partition:
    if partition.start + partition.size > disk.size:
        raise CorruptFilesystem(f"partition {partition.number} ({partition.table}) ends at byte "
                                f"{partition.start + partition.size}, past the end of the {disk.size}-byte disk")
    return partition
