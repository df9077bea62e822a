# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Find the filesystem on a disk, resolve a path in it, list a directory, search by name.

A disk with a partition table is browsed one partition at a time; without ``partition`` the largest partition
holding a filesystem this product reads is taken. Every walk is bounded (entries returned, entries visited,
depth), and a directory reached twice (a crafted filesystem's loop) is walked once.
"""
from __future__ import annotations

import fnmatch
from collections import deque
from dataclasses import dataclass, field

from . import ext4, lvm, xfs
from .errors import NotADirectory, PathNotFound, UnsupportedFilesystem
from .filesystem import DIRECTORY, SYMLINK, Disk, Filesystem, Node, Slice
from .partitions import Partition, read_partitions
from .paths import path_parts

READERS = ((ext4.probe, ext4.Ext4), (xfs.probe, xfs.Xfs))
MAX_DEPTH = 64
DEFAULT_LIMIT = 1000
DEFAULT_VISIT_LIMIT = 200_000


@dataclass
class Opened:
    filesystem: Filesystem
    partition: Partition | None
    partitions: list[Partition] = field(default_factory=list)

    def describe(self) -> dict:
        return {"filesystem": self.filesystem.name,
                "partition": self.partition.number if self.partition else None,
                "partitions": [dict(part.as_dict(), filesystem=_probe_name(self, part)) for part in self.partitions]}


def _probe_name(opened: Opened, partition: Partition) -> str | None:
    if opened.partition is not None and partition.number == opened.partition.number:
        return opened.filesystem.name
    return None


def _reader_for(disk: Disk):
    for probe, reader in READERS:
        if probe(disk):
            return reader
    return None


def _places(disk: Disk) -> tuple[list[tuple[Partition, Disk | None]], bool]:
    """Every place a filesystem may be, numbered as the API names them: each partition, and each logical volume of
    an LVM physical volume (on a partition N: N*100 + 1, 2, …; on the whole disk: 1, 2, …); a view of None is a
    logical volume this product cannot read. And whether the disk has a partition table."""
    partitions = read_partitions(disk)
    holders = [(part, Slice(disk, part.start, part.size)) for part in partitions] or [(None, disk)]
    places: list[tuple[Partition, Disk | None]] = []
    for part, view in holders:
        if part is not None:
            places.append((part, view))
        if not lvm.probe(view):
            continue
        base, offset = (part.number * 100, part.start) if part is not None else (0, 0)
        for index, volume in enumerate(lvm.logical_volumes(view)[:99], 1):  # 99: numbers stay N*100 + 1…99
            first = volume.segments[0][2] if volume.segments else 0
            entry = Partition(base + index, offset + first, volume.size, "lvm", f"{volume.vg}/{volume.name}")
            places.append((entry, lvm.LogicalVolumeDisk(view, volume) if volume.readable else None))
    return places, bool(partitions)


def open_filesystem(disk: Disk, partition: int | None = None) -> Opened:
    """The filesystem of ``disk`` (a bare one), of one of its partitions or of one of its LVM logical volumes."""
    places, table = _places(disk)
    listed = [part for part, _ in places]
    if not places:
        if partition is not None:
            raise PathNotFound(f"the volume has no partition table, so no partition {partition}; leave partition "
                               f"out")
        reader = _reader_for(disk)
        if reader is None:
            raise UnsupportedFilesystem("the volume holds neither a partition table (GPT, MBR), an LVM physical "
                                        "volume nor a filesystem this product reads (ext4, XFS)")
        return Opened(reader(disk), None, [])
    if partition is not None:
        chosen = [(part, view) for part, view in places if part.number == partition]
        if not chosen:
            numbers = ", ".join(str(part.number) for part in listed)
            raise PathNotFound(f"the volume has no partition {partition} (it has: {numbers})")
        part, view = chosen[0]
        if view is None:
            raise UnsupportedFilesystem(f"partition {partition} is LVM volume {part.type}, which this product cannot "
                                        f"read (striped, mirrored, thin, or on several volumes)")
        reader = _reader_for(view)
        if reader is None:
            raise UnsupportedFilesystem(f"partition {partition} holds no filesystem this product reads (ext4, XFS)")
        return Opened(reader(view), part, listed)
    readable = [(part, view, reader) for part, view in places
                if view is not None and (reader := _reader_for(view)) is not None]
    if not readable:
        where = f"{len(listed)} partition(s)" if table else f"{len(listed)} LVM volume(s)"
        raise UnsupportedFilesystem(f"none of the volume's {where} holds a filesystem this product reads (ext4, "
                                    f"XFS)")
    part, view, reader = max(readable, key=lambda item: item[0].size)
    return Opened(reader(view), part, listed)


def resolve(filesystem: Filesystem, path: str) -> Node:
    """The node at ``path``; a symbolic link on the way is not followed (its target is named instead)."""
    node = filesystem.node(filesystem.root)
    walked = ""
    for part in path_parts(path):
        if node.kind == SYMLINK:
            raise NotADirectory(f"{walked} is a symbolic link to {filesystem.readlink(node)}; browse its target")
        if node.kind != DIRECTORY:
            raise NotADirectory(f"{walked or '/'} is not a directory")
        number = next((number for name, number in filesystem.entries(node) if name == part), None)
        walked += "/" + part
        if number is None:
            raise PathNotFound(f"{walked} does not exist in this restore point")
        node = filesystem.node(number)
    return node


def entry_of(filesystem: Filesystem, name: str, node: Node, path: str | None = None) -> dict:
    entry = {"name": name, "type": node.kind, "size": node.size if node.kind != DIRECTORY else 0,
             "mtime": node.mtime, "mode": f"{node.mode & 0o7777:04o}"}
    if path is not None:
        entry["path"] = path
    if node.kind == SYMLINK:
        entry["target"] = filesystem.readlink(node)
    return entry


def list_directory(filesystem: Filesystem, path: str, limit: int = DEFAULT_LIMIT) -> tuple[list[dict], bool]:
    """The directory's entries sorted (directories first, then by name), at most ``limit``; and whether more
    were left out."""
    node = resolve(filesystem, path)
    if node.kind != DIRECTORY:
        raise NotADirectory(f"{path} is not a directory")
    entries, truncated = [], False
    for name, number in filesystem.entries(node):
        if len(entries) >= limit:
            truncated = True
            break
        entries.append(entry_of(filesystem, name, filesystem.node(number)))
    entries.sort(key=lambda entry: (entry["type"] != DIRECTORY, entry["name"]))
    return entries, truncated


def search(filesystem: Filesystem, path: str, pattern: str, limit: int = DEFAULT_LIMIT,
           visit_limit: int = DEFAULT_VISIT_LIMIT) -> tuple[list[dict], bool]:
    """Entries below ``path`` whose name matches ``pattern``: a shell pattern (``*.conf``) when it has ``*``, ``?``
    or ``[``, otherwise a case-insensitive substring. Breadth first; at most ``limit`` results and ``visit_limit``
    entries looked at (``truncated`` then)."""
    start = resolve(filesystem, path)
    if start.kind != DIRECTORY:
        raise NotADirectory(f"{path} is not a directory")
    needle = pattern.lower()
    glob = any(char in pattern for char in "*?[")
    base = "/" + "/".join(path_parts(path))
    queue = deque([(base.rstrip("/"), start, 0)])
    seen = {start.number}
    results, visited = [], 0
    while queue:
        directory, node, depth = queue.popleft()
        for name, number in filesystem.entries(node):
            visited += 1
            if visited > visit_limit or len(results) >= limit:
                return results, True
            child = filesystem.node(number)
            child_path = f"{directory}/{name}"
            lowered = name.lower()
            if fnmatch.fnmatchcase(lowered, needle) if glob else needle in lowered:
                results.append(entry_of(filesystem, name, child, child_path))
            if child.kind == DIRECTORY and depth + 1 < MAX_DEPTH and number not in seen:
                seen.add(number)
                queue.append((child_path, child, depth + 1))
    return results, False
