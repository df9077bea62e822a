# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""LVM2 physical volumes, read-only: the label, the metadata area's current text, and the linear logical volumes a
volume group keeps on this one physical volume, each readable as a disk of its own (its segments mapped onto the
PV's extents).

A restore point holds one Cinder volume: a volume group spread over several volumes, and striped, mirrored, RAID,
thin or snapshot volumes, are listed as not readable here rather than read wrong.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from .errors import CorruptFilesystem
from .filesystem import Disk

SECTOR = 512
LABEL_ID = b"LABELONE"
LABEL_TYPE = b"LVM2 001"
MDA_MAGIC = b" LVM2 x[5A%r0N*>"
MAX_METADATA_BYTES = 4 * 1024 * 1024
MAX_AREAS = 8
MAX_SEGMENTS = 4096
MAX_DEPTH = 16
TOKEN = re.compile(r'\s*(?:(#[^\n]*)|("(?:[^"\\]|\\.)*")|([\[\]{}=,])|([^\s\[\]{}=,"#]+))', re.S)


@dataclass
class LogicalVolume:
    vg: str
    name: str
    extent_size: int  # bytes
    segments: list[tuple[int, int, int]] = field(default_factory=list)  # (first extent, extents, PV byte offset)
    readable: bool = True
    why_not: str = ""

    @property
    def size(self) -> int:
        return sum(count for _, count, _ in self.segments) * self.extent_size


def _label(disk: Disk) -> tuple[int, bytes] | None:
    for sector in range(4):
        data = disk.pread(sector * SECTOR, SECTOR)
        if data[:8] == LABEL_ID and data[24:32] == LABEL_TYPE:
            return sector, data
    return None


def probe(disk: Disk) -> bool:
    return _label(disk) is not None


def _areas(data: bytes, at: int) -> tuple[list[tuple[int, int]], int]:
    areas = []
    while at + 16 <= len(data) and len(areas) <= MAX_AREAS:
        offset, size = struct.unpack_from("<QQ", data, at)
        at += 16
        if offset == 0:
            return areas, at
        areas.append((offset, size))
    raise CorruptFilesystem("the LVM physical volume header lists too many areas, or runs off its sector")


def read_metadata(disk: Disk) -> tuple[str, str]:
    """``(this PV's uuid, the metadata text)``."""
    found = _label(disk)
    if found is None:
        raise CorruptFilesystem("no LVM2 label in the first four sectors")
    sector, data = found
    header_at = struct.unpack_from("<I", data, 20)[0]
    if not 32 <= header_at <= SECTOR - 40:
        raise CorruptFilesystem(f"the LVM label puts its header at byte {header_at} of its sector")
    header = data[header_at:]
    pv_uuid = header[:32].decode("ascii", "replace")
    _, after = _areas(header, 40)  # data areas: where the extents are (pe_start is in the metadata too)
    metadata_areas, _ = _areas(header, after)
    if not metadata_areas:
        raise CorruptFilesystem("the LVM physical volume has no metadata area on it")
    start, size = metadata_areas[0]
    mda = disk.pread(start, SECTOR)
    if mda[4:20] != MDA_MAGIC:
        raise CorruptFilesystem(f"the LVM metadata area at byte {start} has no metadata header")
    text_offset, text_size = struct.unpack_from("<QQ", mda, 40)
    if text_size == 0 or text_size > MAX_METADATA_BYTES or text_offset >= size:
        raise CorruptFilesystem("the LVM metadata area holds no readable metadata")
    first = min(text_size, size - text_offset)
    text = disk.pread(start + text_offset, first)
    if first < text_size:  # the area is a ring buffer after its first sector: the text wraps around
        text += disk.pread(start + SECTOR, text_size - first)
    return pv_uuid, text.rstrip(b"\0").decode("utf-8", "replace")


def parse(text: str) -> dict:
    """LVM2's text format (``name = value``, ``section { … }``, ``[a, b]``) as nested dicts."""
    tokens = [match for match in TOKEN.finditer(text) if match.group(0).strip()]
    position = 0

    def value():
        nonlocal position
        match = tokens[position]
        position += 1
        if match.group(2):
            return match.group(2)[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if match.group(3) == "[":
            items = []
            while tokens[position].group(3) != "]":
                if tokens[position].group(3) != ",":
                    items.append(value())
                else:
                    position += 1
            position += 1
            return items
        word = match.group(4)
        if word is None:
            raise CorruptFilesystem(f"LVM metadata: unexpected {match.group(0).strip()!r}")
        return int(word) if re.fullmatch(r"-?\d+", word) else word

    def section(depth: int, closing: bool) -> dict:
        nonlocal position
        if depth > MAX_DEPTH:
            raise CorruptFilesystem("LVM metadata nests too deep")
        result: dict = {}
        while position < len(tokens):
            match = tokens[position]
            if match.group(1):  # a comment
                position += 1
                continue
            if match.group(3) == "}" and closing:
                position += 1
                return result
            name = match.group(4)
            if name is None or position + 1 >= len(tokens):
                raise CorruptFilesystem(f"LVM metadata: unexpected {match.group(0).strip()!r}")
            position += 1
            following = tokens[position].group(3)
            position += 1
            if following == "{":
                result[name] = section(depth + 1, True)
            elif following == "=":
                result[name] = value()
            else:
                raise CorruptFilesystem(f"LVM metadata: {name} is followed by neither = nor {{")
        if closing:
            raise CorruptFilesystem("LVM metadata ends inside a section")
        return result

    try:
        return section(0, False)
    except IndexError:
        raise CorruptFilesystem("LVM metadata ends in the middle of a value") from None


def logical_volumes(disk: Disk) -> list[LogicalVolume]:
    pv_uuid, text = read_metadata(disk)
    document = parse(text)
    groups = [(name, body) for name, body in document.items() if isinstance(body, dict)
              and isinstance(body.get("physical_volumes"), dict)]
    if len(groups) != 1:
        raise CorruptFilesystem("the LVM metadata describes no volume group")
    vg_name, vg = groups[0]
    extent_size = int(vg.get("extent_size") or 0) * SECTOR
    if extent_size <= 0:
        raise CorruptFilesystem(f"LVM volume group {vg_name} has no extent size")
    this_pv = None
    for pv_name, pv in vg["physical_volumes"].items():
        if isinstance(pv, dict) and str(pv.get("id", "")).replace("-", "") == pv_uuid:
            this_pv = (pv_name, int(pv.get("pe_start") or 0) * SECTOR, int(pv.get("pe_count") or 0))
    if this_pv is None:
        raise CorruptFilesystem(f"LVM volume group {vg_name}'s metadata does not list this physical volume")
    pv_name, pe_start, pe_count = this_pv
    volumes = []
    for lv_name, lv in (vg.get("logical_volumes") or {}).items():
        if not isinstance(lv, dict):
            continue
        volume = LogicalVolume(vg_name, lv_name, extent_size)
        segments = [body for key, body in sorted(lv.items()) if key.startswith("segment") and isinstance(body, dict)]
        if len(segments) > MAX_SEGMENTS:
            raise CorruptFilesystem(f"LVM volume {vg_name}/{lv_name} has more than {MAX_SEGMENTS} segments")
        for segment in segments:
            stripes = segment.get("stripes") or []
            if segment.get("type") != "striped" or segment.get("stripe_count") != 1 or len(stripes) != 2:
                volume.readable, volume.why_not = False, f"a {segment.get('type')} volume is not read here"
                break
            if stripes[0] != pv_name:
                volume.readable, volume.why_not = False, "it lies (partly) on another physical volume"
                break
            first, count, pv_extent = int(segment["start_extent"]), int(segment["extent_count"]), int(stripes[1])
            if pv_extent < 0 or count <= 0 or pv_extent + count > pe_count:
                raise CorruptFilesystem(f"LVM volume {vg_name}/{lv_name} maps extents past the physical volume")
            volume.segments.append((first, count, pe_start + pv_extent * extent_size))
        volume.segments.sort()
        expected = 0
        for first, count, _ in volume.segments:
            if first != expected:
                raise CorruptFilesystem(f"LVM volume {vg_name}/{lv_name}'s segments leave a gap or overlap")
            expected += count
        volumes.append(volume)
    return volumes


class LogicalVolumeDisk:
    """One linear logical volume read like a disk."""

    def __init__(self, disk: Disk, volume: LogicalVolume) -> None:
        if not volume.readable:
            raise CorruptFilesystem(f"LVM volume {volume.vg}/{volume.name} cannot be read: {volume.why_not}")
        self.disk, self.volume, self.size = disk, volume, volume.size

    def pread(self, offset: int, length: int) -> bytes:
        end = min(self.size, offset + length)
        parts, extent_size = [], self.volume.extent_size
        for first, count, pv_offset in self.volume.segments:
            start, stop = first * extent_size, (first + count) * extent_size
            if stop <= offset or start >= end:
                continue
            piece_start = max(offset, start)
            piece_end = min(end, stop)
            parts.append(self.disk.pread(pv_offset + piece_start - start, piece_end - piece_start))
        return b"".join(parts)
