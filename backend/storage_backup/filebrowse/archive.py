# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A file or a folder of a restore point written out: the file's own bytes (``raw``), or a tar or zip archive.

Written to a file object as it is read (a file's bytes a piece at a time, never whole in memory), refusing to go
past ``max_bytes`` of file content (``TooLarge``). Symbolic links go in as links; devices, FIFOs and sockets are
left out and counted.
"""
from __future__ import annotations

import stat
import tarfile
import time
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from .browse import MAX_DEPTH, resolve
from .errors import NotADirectory, TooLarge
from .filesystem import DIRECTORY, FILE, SYMLINK, Filesystem, Node
from .paths import path_parts

MAX_ENTRIES = 1_000_000
SUFFIXES = {"raw": "", "tar": ".tar", "zip": ".zip"}
ZIP_EPOCH = 315532800  # 1980-01-01: zip cannot say earlier


@dataclass
class ArchiveFigures:
    format: str
    name: str  # what the download is called: the file's name, or the folder's with .tar / .zip
    files: int = 0
    directories: int = 0
    symlinks: int = 0
    skipped: int = 0
    bytes: int = 0


class _Pieces:
    """A file's pieces as the ``read`` that tarfile wants."""

    def __init__(self, pieces) -> None:
        self._pieces, self._buffer = iter(pieces), b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def choose_format(node: Node, requested: str) -> str:
    if requested == "auto":
        return "raw" if node.kind == FILE else "tar"
    if requested == "raw" and node.kind != FILE:
        raise NotADirectory("only a regular file downloads as it is (format raw); choose tar or zip for a "
                            f"{node.kind}")
    return requested


def write_archive(filesystem: Filesystem, path: str, requested: str, out: BinaryIO, max_bytes: int) -> ArchiveFigures:
    node = resolve(filesystem, path)
    fmt = choose_format(node, requested)
    parts = path_parts(path)
    base = parts[-1] if parts else "root"
    figures = ArchiveFigures(fmt, base + SUFFIXES[fmt])
    if fmt == "raw":
        _check_size(figures, node.size, max_bytes, path)
        for piece in filesystem.read(node):
            out.write(piece)
        figures.files, figures.bytes = 1, node.size
        return figures
    writer = _TarWriter(out) if fmt == "tar" else _ZipWriter(out)
    try:
        for member, child in _walk(filesystem, node, base):
            if child.kind == FILE:
                _check_size(figures, child.size, max_bytes, path)
                writer.file(member, child, filesystem.read(child))
                figures.files += 1
                figures.bytes += child.size
            elif child.kind == DIRECTORY:
                writer.directory(member, child)
                figures.directories += 1
            elif child.kind == SYMLINK:
                writer.symlink(member, child, filesystem.readlink(child))
                figures.symlinks += 1
            else:
                figures.skipped += 1
    finally:
        writer.close()
    return figures


def _check_size(figures: ArchiveFigures, size: int, max_bytes: int, path: str) -> None:
    if figures.bytes + size > max_bytes:
        raise TooLarge(f"{path} holds more than {max_bytes} bytes, the most a download may hold; download a "
                       f"smaller folder, or restore the whole volume")


def _walk(filesystem: Filesystem, node: Node, base: str):
    """``(member name, node)`` depth first, the folder first; bounded in depth and count, each directory once."""
    stack = [(base, node, 0)]
    seen = {node.number}
    count = 0
    while stack:
        member, current, depth = stack.pop()
        count += 1
        if count > MAX_ENTRIES:
            raise TooLarge(f"the folder holds more than {MAX_ENTRIES} entries; download a smaller one")
        yield member, current
        if current.kind != DIRECTORY or depth >= MAX_DEPTH:
            continue
        children = []
        for name, number in filesystem.entries(current):
            child = filesystem.node(number)
            if child.kind == DIRECTORY:
                if number in seen:
                    continue
                seen.add(number)
            children.append((f"{member}/{name}", child, depth + 1))
        stack.extend(sorted(children, reverse=True, key=lambda item: item[0]))


class _TarWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)

    def _info(self, member: str, node: Node, kind: bytes) -> tarfile.TarInfo:
        info = tarfile.TarInfo(member)
        info.type, info.mode, info.mtime = kind, node.mode & 0o7777, max(node.mtime, 0)
        return info

    def file(self, member: str, node: Node, pieces) -> None:
        info = self._info(member, node, tarfile.REGTYPE)
        info.size = node.size
        self._tar.addfile(info, _Pieces(pieces))

    def directory(self, member: str, node: Node) -> None:
        self._tar.addfile(self._info(member, node, tarfile.DIRTYPE))

    def symlink(self, member: str, node: Node, target: str) -> None:
        info = self._info(member, node, tarfile.SYMTYPE)
        info.linkname = target
        self._tar.addfile(info)

    def close(self) -> None:
        self._tar.close()


class _ZipWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)

    def _info(self, member: str, node: Node) -> zipfile.ZipInfo:
        when = time.gmtime(max(node.mtime, ZIP_EPOCH))
        info = zipfile.ZipInfo(member, date_time=when[:6])
        info.external_attr = (node.mode & 0xFFFF) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    def file(self, member: str, node: Node, pieces) -> None:
        info = self._info(member, node)
        info.file_size = node.size
        with self._zip.open(info, "w", force_zip64=node.size > 0x7FFFFFFF) as target:
            for piece in pieces:
                target.write(piece)

    def directory(self, member: str, node: Node) -> None:
        info = self._info(member + "/", node)
        info.external_attr |= 0x10  # MS-DOS directory flag
        self._zip.writestr(info, b"")

    def symlink(self, member: str, node: Node, target: str) -> None:
        info = self._info(member, node)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        self._zip.writestr(info, target.encode("utf-8", "surrogateescape"))

    def close(self) -> None:
        self._zip.close()
