# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What every filesystem reader gives ``browse.py``: nodes (inodes) by number, a directory's names, a file's bytes."""
from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

FILE, DIRECTORY, SYMLINK, OTHER = "file", "directory", "symlink", "other"

#: Bounds that keep a crafted filesystem from making a reader loop or grow without end.
MAX_DIRECTORY_BYTES = 256 * 1024 * 1024
MAX_SYMLINK_BYTES = 4096
MAX_TREE_DEPTH = 8
READ_PIECE = 1024 * 1024


def kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISDIR(mode):
        return DIRECTORY
    if stat.S_ISLNK(mode):
        return SYMLINK
    return OTHER


@dataclass(frozen=True)
class Node:
    number: int
    mode: int
    size: int
    mtime: int  # seconds since the epoch

    @property
    def kind(self) -> str:
        return kind_of(self.mode)


class Filesystem(Protocol):
    name: str  # "ext4", "xfs"
    root: int  # the root directory's inode number

    def node(self, number: int) -> Node: ...

    def entries(self, node: Node) -> Iterator[tuple[str, int]]:
        """``(name, inode number)`` of a directory, without ``.`` and ``..``."""

    def read(self, node: Node) -> Iterator[bytes]:
        """A regular file's bytes, in pieces of at most ``READ_PIECE``."""

    def readlink(self, node: Node) -> str: ...


class Disk(Protocol):
    size: int

    def pread(self, offset: int, length: int) -> bytes: ...


class Slice:
    """``length`` bytes of ``disk`` from ``start`` (a partition), read with ``pread`` like the disk."""

    def __init__(self, disk: Disk, start: int, length: int) -> None:
        self.disk, self.start, self.size = disk, start, length

    def pread(self, offset: int, length: int) -> bytes:
        if offset < 0 or offset >= self.size:
            return b""
        return self.disk.pread(self.start + offset, min(length, self.size - offset))
