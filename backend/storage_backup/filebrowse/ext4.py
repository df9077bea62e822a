# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A read-only ext2/3/4 reader: superblock, group descriptors, inodes, extent trees and legacy block maps,
directories read linearly (an htree directory's index blocks read as empty entries), symlinks.

The journal is not replayed: a restore point is a crash-consistent snapshot, and what the journal held back is
what the filesystem would have lost on a power cut. Inline data and encrypted files are refused by name.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator

from .errors import CorruptFilesystem, UnsupportedFilesystem
from .filesystem import (
    DIRECTORY,
    FILE,
    MAX_DIRECTORY_BYTES,
    MAX_SYMLINK_BYTES,
    MAX_TREE_DEPTH,
    READ_PIECE,
    SYMLINK,
    Disk,
    Node,
)

MAGIC = 0xEF53
EXTENT_MAGIC = 0xF30A
INCOMPAT_META_BG = 0x10
INCOMPAT_64BIT = 0x80
INCOMPAT_INLINE_DATA = 0x8000
#: What this reader understands; any other incompat feature means it would misread the filesystem.
INCOMPAT_KNOWN = (0x2 | 0x4 | INCOMPAT_META_BG | 0x40 | INCOMPAT_64BIT | 0x100 | 0x200 | 0x400 | 0x1000 | 0x2000
                  | INCOMPAT_INLINE_DATA | 0x10000 | 0x20000)
FLAG_EXTENTS = 0x80000
FLAG_INLINE_DATA = 0x10000000
FLAG_ENCRYPT = 0x800
#: A 16 TiB file in 128 MiB extents has 131072 of them, in about 400 leaves: this bounds a crafted tree's walk.
MAX_EXTENT_NODES = 65536


def probe(disk: Disk) -> bool:
    data = disk.pread(1024 + 56, 2)
    return len(data) == 2 and struct.unpack("<H", data)[0] == MAGIC


class Ext4:
    name = "ext4"
    root = 2

    def __init__(self, disk: Disk) -> None:
        self.disk = disk
        sb = disk.pread(1024, 1024)
        if len(sb) < 1024 or struct.unpack_from("<H", sb, 56)[0] != MAGIC:
            raise UnsupportedFilesystem("no ext2/3/4 superblock at byte 1024")
        (self.inodes_count, blocks_lo, _, _, _, self.first_data_block, log_block_size, _, self.blocks_per_group, _,
         self.inodes_per_group) = struct.unpack_from("<11I", sb, 0)
        rev_level = struct.unpack_from("<I", sb, 76)[0]
        self.inode_size = struct.unpack_from("<H", sb, 88)[0] if rev_level >= 1 else 128
        self.incompat = struct.unpack_from("<I", sb, 96)[0]
        if log_block_size > 6:
            raise CorruptFilesystem(f"ext4 superblock gives a block size of 1024 << {log_block_size}")
        self.block_size = 1024 << log_block_size
        wide = bool(self.incompat & INCOMPAT_64BIT)
        self.desc_size = struct.unpack_from("<H", sb, 254)[0] if wide else 32
        blocks_hi = struct.unpack_from("<I", sb, 336)[0] if wide else 0
        self.blocks_count = blocks_lo | (blocks_hi << 32)
        unknown = self.incompat & ~INCOMPAT_KNOWN
        if unknown:
            raise UnsupportedFilesystem(f"the ext4 filesystem uses incompatible features 0x{unknown:x} this reader "
                                        f"does not know")
        if self.incompat & INCOMPAT_META_BG:
            raise UnsupportedFilesystem("the ext4 filesystem uses meta_bg group descriptors, which this reader does "
                                        "not read; restore the whole volume instead")
        if (self.inodes_per_group == 0 or self.blocks_per_group == 0 or self.inode_size < 128
                or self.inode_size > self.block_size or self.desc_size < 32 or self.desc_size > 1024
                or self.blocks_count == 0 or self.blocks_count * self.block_size > disk.size * 2):
            raise CorruptFilesystem("the ext4 superblock's geometry is inconsistent (inodes or blocks per group, "
                                    "inode or descriptor size, block count)")
        self.groups = -(-self.inodes_count // self.inodes_per_group)
        self._tables: dict[int, int] = {}

    # -- inodes -------------------------------------------------------------------------------------------------

    def _inode_table(self, group: int) -> int:
        table = self._tables.get(group)
        if table is None:
            offset = (self.first_data_block + 1) * self.block_size + group * self.desc_size
            desc = self.disk.pread(offset, self.desc_size)
            if len(desc) < 32:
                raise CorruptFilesystem(f"ext4 group descriptor {group} lies past the end of the disk")
            table = struct.unpack_from("<I", desc, 8)[0]
            if self.desc_size >= 64:
                table |= struct.unpack_from("<I", desc, 0x28)[0] << 32
            if table == 0 or table >= self.blocks_count:
                raise CorruptFilesystem(f"ext4 group {group}'s inode table is at block {table}, outside the "
                                        f"filesystem")
            if len(self._tables) < 4096:
                self._tables[group] = table
        return table

    def _raw_inode(self, number: int) -> bytes:
        if number < 1 or number > self.inodes_count:
            raise CorruptFilesystem(f"ext4 inode number {number} is outside 1..{self.inodes_count}")
        group, index = divmod(number - 1, self.inodes_per_group)
        raw = self.disk.pread(self._inode_table(group) * self.block_size + index * self.inode_size, self.inode_size)
        if len(raw) < 128:
            raise CorruptFilesystem(f"ext4 inode {number} lies past the end of the disk")
        return raw

    def node(self, number: int) -> Node:
        raw = self._raw_inode(number)
        mode, _, size_lo, _, _, mtime = struct.unpack_from("<HHIIII", raw, 0)
        size_hi = struct.unpack_from("<I", raw, 108)[0]
        return Node(number, mode, size_lo | (size_hi << 32), mtime)

    # -- data ---------------------------------------------------------------------------------------------------

    def _extents(self, number: int) -> Iterator[tuple[int, int, int, bool]]:
        """``(logical block, physical block, blocks, initialized)`` in logical order."""
        raw = self._raw_inode(number)
        flags = struct.unpack_from("<I", raw, 32)[0]
        if flags & FLAG_ENCRYPT:
            raise UnsupportedFilesystem(f"ext4 inode {number} is encrypted (fscrypt); its data cannot be read "
                                        f"without the key")
        if flags & FLAG_INLINE_DATA:
            raise UnsupportedFilesystem(f"ext4 inode {number} keeps its data inline, which this reader does not "
                                        f"read; restore the whole volume instead")
        i_block = raw[40:100]
        if flags & FLAG_EXTENTS:
            yield from self._extent_node(i_block, 0, number, None, [MAX_EXTENT_NODES])
        else:
            yield from self._block_map(i_block, number)

    def _extent_node(self, data: bytes, level: int, number: int, expected_depth: int | None, budget: list[int]):
        budget[0] -= 1
        if budget[0] < 0:
            raise CorruptFilesystem(f"ext4 inode {number}'s extent tree has more than {MAX_EXTENT_NODES} nodes")
        magic, entries, maximum, depth = struct.unpack_from("<HHHH", data, 0)
        if magic != EXTENT_MAGIC or entries > maximum or 12 + 12 * entries > len(data) or depth > MAX_TREE_DEPTH \
                or (expected_depth is not None and depth != expected_depth):
            raise CorruptFilesystem(f"ext4 inode {number} has a damaged extent tree node at depth {level}")
        for index in range(entries):
            at = 12 + 12 * index
            if depth == 0:
                logical, length, start_hi, start_lo = struct.unpack_from("<IHHI", data, at)
                initialized = length <= 32768
                yield logical, start_lo | (start_hi << 32), length if initialized else length - 32768, initialized
            else:
                _, leaf_lo, leaf_hi = struct.unpack_from("<IIH", data, at)
                child = self._block(leaf_lo | (leaf_hi << 32), number)
                yield from self._extent_node(child, level + 1, number, depth - 1, budget)

    def _block_map(self, i_block: bytes, number: int) -> Iterator[tuple[int, int, int, bool]]:
        pointers = struct.unpack("<15I", i_block)
        per_block = self.block_size // 4
        logical = 0
        for pointer in pointers[:12]:
            if pointer:
                yield logical, pointer, 1, True
            logical += 1
        for level, pointer in enumerate(pointers[12:], 1):
            span = per_block ** level
            if pointer:
                yield from self._indirect(pointer, level, logical, number)
            logical += span

    def _indirect(self, block: int, level: int, logical: int, number: int):
        pointers = struct.unpack(f"<{self.block_size // 4}I", self._block(block, number))
        span = (self.block_size // 4) ** (level - 1)
        for index, pointer in enumerate(pointers):
            if not pointer:
                continue
            if level == 1:
                yield logical + index, pointer, 1, True
            else:
                yield from self._indirect(pointer, level - 1, logical + index * span, number)

    def _block(self, block: int, number: int) -> bytes:
        if block == 0 or block >= self.blocks_count:
            raise CorruptFilesystem(f"ext4 inode {number} points at block {block}, outside the filesystem")
        data = self.disk.pread(block * self.block_size, self.block_size)
        if len(data) != self.block_size:
            raise CorruptFilesystem(f"ext4 inode {number} points at block {block}, past the end of the disk")
        return data

    def _bytes(self, node: Node, limit: int | None = None) -> Iterator[bytes]:
        """The node's ``size`` bytes (holes and unwritten extents as zeros)."""
        size = node.size if limit is None else min(node.size, limit)
        done = 0
        block_size = self.block_size
        for logical, physical, length, initialized in self._extents(node.number):
            start = logical * block_size
            if start < done:
                raise CorruptFilesystem(f"ext4 inode {node.number} maps logical block {logical} twice")
            if start >= size:
                break
            if physical + length > self.blocks_count:
                raise CorruptFilesystem(f"ext4 inode {node.number} maps blocks {physical}+{length}, past the end "
                                        f"of the filesystem")
            yield from _zeros(start - done)
            done = start
            end = min(size, start + length * block_size)
            while done < end:
                piece = min(READ_PIECE, end - done)
                if initialized:
                    data = self.disk.pread(physical * block_size + (done - start), piece)
                    if len(data) != piece:
                        raise CorruptFilesystem(f"ext4 inode {node.number}'s data lies past the end of the disk")
                else:
                    data = bytes(piece)
                yield data
                done += piece
        yield from _zeros(size - done)

    def read(self, node: Node) -> Iterator[bytes]:
        if node.kind != FILE:
            raise CorruptFilesystem(f"ext4 inode {node.number} is not a regular file")
        return self._bytes(node)

    def readlink(self, node: Node) -> str:
        if node.kind != SYMLINK or node.size > MAX_SYMLINK_BYTES:
            raise CorruptFilesystem(f"ext4 inode {node.number} is not a readable symbolic link")
        raw = self._raw_inode(node.number)
        flags = struct.unpack_from("<I", raw, 32)[0]
        blocks = struct.unpack_from("<I", raw, 28)[0]
        if node.size < 60 and not flags & (FLAG_EXTENTS | FLAG_INLINE_DATA) and (blocks == 0
                                                                                 or _fast_symlink(raw, node.size)):
            target = raw[40:40 + node.size]
        else:
            target = b"".join(self._bytes(node))
        return target.decode("utf-8", "surrogateescape")

    def entries(self, node: Node) -> Iterator[tuple[str, int]]:
        if node.kind != DIRECTORY:
            raise CorruptFilesystem(f"ext4 inode {node.number} is not a directory")
        if node.size > MAX_DIRECTORY_BYTES:
            raise CorruptFilesystem(f"ext4 directory inode {node.number} claims {node.size} bytes")
        buffer = b""
        for piece in self._bytes(node):
            buffer += piece
            whole = len(buffer) - len(buffer) % self.block_size
            for offset in range(0, whole, self.block_size):
                yield from self._block_entries(buffer[offset:offset + self.block_size], node.number)
            buffer = buffer[whole:]

    def _block_entries(self, block: bytes, number: int) -> Iterator[tuple[str, int]]:
        offset = 0
        while offset + 8 <= len(block):
            inode, rec_len, name_len = struct.unpack_from("<IHB", block, offset)
            if rec_len < 8 or offset + rec_len > len(block) or (inode and 8 + name_len > rec_len):
                raise CorruptFilesystem(f"ext4 directory inode {number} has a damaged entry at byte {offset} of a "
                                        f"block")
            if inode:
                name = block[offset + 8:offset + 8 + name_len].decode("utf-8", "surrogateescape")
                if name not in (".", ".."):
                    yield name, inode
            offset += rec_len


def _fast_symlink(raw: bytes, size: int) -> bool:
    """A fast symlink keeps its target in i_block; some tools count an xattr block in i_blocks, so look at the
    bytes: a target has no NUL before ``size``."""
    return b"\x00" not in raw[40:40 + size]


def _zeros(count: int) -> Iterator[bytes]:
    while count > 0:
        piece = min(READ_PIECE, count)
        yield bytes(piece)
        count -= piece
