# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A read-only XFS (v5, the format mkfs.xfs has made since 2015) reader: superblock, inodes located from their
numbers (no inode B+tree walk: everything is reached from the root inode), data forks in local, extents and B+tree
format, short-form, block, leaf and node directories (their data blocks, read in order), symlinks.

The log is not replayed: a restore point is a crash-consistent snapshot. Realtime files are refused by name.
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

MAGIC = b"XFSB"
INODE_MAGIC = 0x494E
BMAP_MAGIC = b"BMA3"
DATA_BLOCK_MAGICS = {b"XDB3": "block", b"XDD3": "data"}
SYMLINK_MAGIC = b"XSLM"
FORMAT_LOCAL, FORMAT_EXTENTS, FORMAT_BTREE = 1, 2, 3
INCOMPAT_FTYPE = 0x1
INCOMPAT_KNOWN = 0x1 | 0x2 | 0x4 | 0x8 | 0x20 | 0x40 | 0x80  # ftype, sparse inodes, meta uuid, bigtime, nrext64…
INCOMPAT_NEEDSREPAIR = 0x10
DINODE_CORE = 176
DIR_DATA_HEADER = 64
BTREE_BLOCK_HEADER = 72
SYMLINK_HEADER = 56
LEAF_OFFSET = 32 * 1024 ** 3  # directory blocks from here on are the hash index, not entries
FLAG_REALTIME = 0x1
FLAG2_BIGTIME = 0x8
FLAG2_NREXT64 = 0x10
MAX_BTREE_NODES = 65536
BIGTIME_EPOCH_OFFSET = 1 << 31


def probe(disk: Disk) -> bool:
    return disk.pread(0, 4) == MAGIC


class Xfs:
    name = "xfs"

    def __init__(self, disk: Disk) -> None:
        self.disk = disk
        sb = disk.pread(0, 512)
        if len(sb) < 256 or sb[:4] != MAGIC:
            raise UnsupportedFilesystem("no XFS superblock at byte 0")
        self.block_size, self.dblocks = struct.unpack_from(">IQ", sb, 4)
        self.root = struct.unpack_from(">Q", sb, 56)[0]
        self.ag_blocks, self.ag_count = struct.unpack_from(">II", sb, 84)
        version, _, self.inode_size, _ = struct.unpack_from(">HHHH", sb, 100)
        self.block_log, _, _, self.inopb_log, self.agblk_log = struct.unpack_from(">5B", sb, 120)
        self.dir_block_log = sb[192]
        incompat = struct.unpack_from(">I", sb, 216)[0]
        if version & 0xF != 5:
            raise UnsupportedFilesystem(f"the XFS filesystem is version {version & 0xF}; this reader reads version 5 "
                                        f"(mkfs.xfs's default since 2015); restore the whole volume instead")
        if incompat & INCOMPAT_NEEDSREPAIR:
            raise CorruptFilesystem("the XFS filesystem is marked as needing xfs_repair")
        unknown = incompat & ~INCOMPAT_KNOWN
        if unknown:
            raise UnsupportedFilesystem(f"the XFS filesystem uses incompatible features 0x{unknown:x} this reader "
                                        f"does not know")
        self.ftype = bool(incompat & INCOMPAT_FTYPE)
        if (self.block_size != 1 << self.block_log or not 512 <= self.block_size <= 65536
                or self.inode_size < 512 or self.inode_size > self.block_size or self.ag_blocks == 0
                or self.ag_blocks > 1 << self.agblk_log or self.dir_block_log > 6
                or (self.block_size // self.inode_size) != 1 << self.inopb_log):
            raise CorruptFilesystem("the XFS superblock's geometry is inconsistent (block, inode or directory block "
                                    "size, allocation group size)")
        self.dir_block_size = self.block_size << self.dir_block_log

    # -- addresses ----------------------------------------------------------------------------------------------

    def _disk_block(self, fsblock: int) -> int:
        ag, block = fsblock >> self.agblk_log, fsblock & ((1 << self.agblk_log) - 1)
        if ag >= self.ag_count or block >= self.ag_blocks:
            raise CorruptFilesystem(f"XFS block {fsblock} is outside the filesystem")
        return ag * self.ag_blocks + block

    def _raw_inode(self, number: int) -> bytes:
        shift = self.agblk_log + self.inopb_log
        ag, block, index = number >> shift, (number >> self.inopb_log) & ((1 << self.agblk_log) - 1), \
            number & ((1 << self.inopb_log) - 1)
        if ag >= self.ag_count or block >= self.ag_blocks:
            raise CorruptFilesystem(f"XFS inode number {number} is outside the filesystem")
        raw = self.disk.pread((ag * self.ag_blocks + block) * self.block_size + index * self.inode_size,
                              self.inode_size)
        if len(raw) < self.inode_size or struct.unpack_from(">H", raw, 0)[0] != INODE_MAGIC or raw[4] != 3:
            raise CorruptFilesystem(f"XFS inode {number} is damaged (no v3 inode magic where it should be)")
        if struct.unpack_from(">Q", raw, 152)[0] != number:
            raise CorruptFilesystem(f"XFS inode {number} records another inode number")
        return raw

    def node(self, number: int) -> Node:
        raw = self._raw_inode(number)
        mode = struct.unpack_from(">H", raw, 2)[0]
        flags2 = struct.unpack_from(">Q", raw, 120)[0]
        if flags2 & FLAG2_BIGTIME:
            mtime = struct.unpack_from(">Q", raw, 40)[0] // 1_000_000_000 - BIGTIME_EPOCH_OFFSET
        else:
            mtime = struct.unpack_from(">i", raw, 40)[0]
        return Node(number, mode, struct.unpack_from(">Q", raw, 56)[0], mtime)

    def _fork(self, raw: bytes) -> tuple[int, bytes, int]:
        """The data fork: its format, its bytes in the inode, its extent count."""
        fork_format, fork_offset = raw[5], raw[82]
        flags2 = struct.unpack_from(">Q", raw, 120)[0]
        extents = struct.unpack_from(">Q", raw, 24)[0] if flags2 & FLAG2_NREXT64 else \
            struct.unpack_from(">I", raw, 76)[0]
        end = DINODE_CORE + fork_offset * 8 if fork_offset else self.inode_size
        if end > self.inode_size:
            raise CorruptFilesystem("an XFS inode's attribute fork starts past its end")
        return fork_format, raw[DINODE_CORE:end], extents

    # -- block mapping ------------------------------------------------------------------------------------------

    def _extents(self, number: int) -> Iterator[tuple[int, int, int, bool]]:
        """``(logical block, filesystem block, blocks, written)`` in logical order."""
        raw = self._raw_inode(number)
        if struct.unpack_from(">H", raw, 90)[0] & FLAG_REALTIME:
            raise UnsupportedFilesystem(f"XFS inode {number} lives on the realtime device, which this reader does "
                                        f"not read")
        fork_format, fork, count = self._fork(raw)
        if fork_format == FORMAT_EXTENTS:
            if count * 16 > len(fork):
                raise CorruptFilesystem(f"XFS inode {number} claims {count} extents in a {len(fork)}-byte fork")
            yield from _records(fork, 0, count)
        elif fork_format == FORMAT_BTREE:
            level, records = struct.unpack_from(">HH", fork, 0)
            maximum = (len(fork) - 4) // 16
            if level == 0 or level > MAX_TREE_DEPTH or records > maximum:
                raise CorruptFilesystem(f"XFS inode {number}'s block map B+tree root is damaged")
            pointers = struct.unpack_from(f">{records}Q", fork, 4 + maximum * 8)
            budget = [MAX_BTREE_NODES]
            for pointer in pointers:
                yield from self._btree_block(pointer, level - 1, number, budget)
        elif fork_format != FORMAT_LOCAL:
            raise CorruptFilesystem(f"XFS inode {number} has data fork format {fork_format}")

    def _btree_block(self, fsblock: int, level: int, number: int, budget: list[int]):
        budget[0] -= 1
        if budget[0] < 0:
            raise CorruptFilesystem(f"XFS inode {number}'s block map B+tree has more than {MAX_BTREE_NODES} nodes")
        data = self._read_blocks(fsblock, 1)
        magic, block_level, records = struct.unpack_from(">4sHH", data, 0)
        owner = struct.unpack_from(">Q", data, 56)[0]
        if magic != BMAP_MAGIC or block_level != level or owner != number:
            raise CorruptFilesystem(f"XFS inode {number}'s block map B+tree has a damaged block at {fsblock}")
        if level == 0:
            if BTREE_BLOCK_HEADER + records * 16 > len(data):
                raise CorruptFilesystem(f"XFS inode {number}'s block map leaf at {fsblock} overflows")
            yield from _records(data, BTREE_BLOCK_HEADER, records)
            return
        maximum = (len(data) - BTREE_BLOCK_HEADER) // 16
        if records > maximum:
            raise CorruptFilesystem(f"XFS inode {number}'s block map node at {fsblock} overflows")
        for pointer in struct.unpack_from(f">{records}Q", data, BTREE_BLOCK_HEADER + maximum * 8):
            yield from self._btree_block(pointer, level - 1, number, budget)

    def _read_blocks(self, fsblock: int, count: int) -> bytes:
        start = self._disk_block(fsblock)
        self._disk_block(fsblock + count - 1)
        data = self.disk.pread(start * self.block_size, count * self.block_size)
        if len(data) != count * self.block_size:
            raise CorruptFilesystem(f"XFS block {fsblock} lies past the end of the disk")
        return data

    def _bytes(self, node: Node, limit: int) -> Iterator[bytes]:
        size = min(node.size, limit)
        done = 0
        for logical, fsblock, length, written in self._extents(node.number):
            start = logical * self.block_size
            if start < done:
                raise CorruptFilesystem(f"XFS inode {node.number} maps logical block {logical} twice")
            if start >= size:
                break
            yield from _zeros(start - done)
            done = start
            end = min(size, start + length * self.block_size)
            while done < end:
                piece = min(READ_PIECE, end - done)
                if written:
                    within = done - start
                    first = within // self.block_size
                    blocks = -(-(within % self.block_size + piece) // self.block_size)
                    data = self._read_blocks(fsblock + first, blocks)
                    skip = within % self.block_size
                    data = data[skip:skip + piece]
                else:
                    data = bytes(piece)
                yield data
                done += piece
        yield from _zeros(size - done)

    # -- what browse.py asks ------------------------------------------------------------------------------------

    def read(self, node: Node) -> Iterator[bytes]:
        if node.kind != FILE:
            raise CorruptFilesystem(f"XFS inode {node.number} is not a regular file")
        return self._bytes(node, node.size)

    def readlink(self, node: Node) -> str:
        if node.kind != SYMLINK or node.size > MAX_SYMLINK_BYTES:
            raise CorruptFilesystem(f"XFS inode {node.number} is not a readable symbolic link")
        fork_format, fork, _ = self._fork(self._raw_inode(node.number))
        if fork_format == FORMAT_LOCAL:
            target = fork[:node.size]
        else:
            parts = []
            for _, fsblock, length, _ in self._extents(node.number):
                for block in range(length):
                    data = self._read_blocks(fsblock + block, 1)
                    if data[:4] != SYMLINK_MAGIC:
                        raise CorruptFilesystem(f"XFS symbolic link {node.number} has a damaged block")
                    stored = struct.unpack_from(">I", data, 8)[0]
                    parts.append(data[SYMLINK_HEADER:SYMLINK_HEADER + stored])
            target = b"".join(parts)[:node.size]
        return target.decode("utf-8", "surrogateescape")

    def entries(self, node: Node) -> Iterator[tuple[str, int]]:
        if node.kind != DIRECTORY:
            raise CorruptFilesystem(f"XFS inode {node.number} is not a directory")
        fork_format, fork, _ = self._fork(self._raw_inode(node.number))
        if fork_format == FORMAT_LOCAL:
            yield from self._short_form(fork, node.number)
            return
        if node.size > MAX_DIRECTORY_BYTES:
            raise CorruptFilesystem(f"XFS directory inode {node.number} claims {node.size} bytes")
        per_dir_block = 1 << self.dir_block_log
        for logical, fsblock, length, _ in self._extents(node.number):
            if logical * self.block_size >= LEAF_OFFSET:
                break
            # A directory block spans 2^dirblklog filesystem blocks, allocated together.
            for first in range(0, length - length % per_dir_block, per_dir_block):
                yield from self._data_block(self._read_blocks(fsblock + first, per_dir_block), node.number)

    def _short_form(self, fork: bytes, number: int) -> Iterator[tuple[str, int]]:
        if len(fork) < 6:
            raise CorruptFilesystem(f"XFS directory {number}'s short form is truncated")
        count, wide = fork[0], fork[1]
        number_size = 8 if wide else 4
        offset = 2 + number_size
        for _ in range(count):
            if offset + 3 > len(fork):
                raise CorruptFilesystem(f"XFS directory {number}'s short form overflows its fork")
            name_len = fork[offset]
            name_at = offset + 3
            inode_at = name_at + name_len + (1 if self.ftype else 0)
            if name_len == 0 or inode_at + number_size > len(fork):
                raise CorruptFilesystem(f"XFS directory {number}'s short form has a damaged entry")
            inode = int.from_bytes(fork[inode_at:inode_at + number_size], "big")
            yield fork[name_at:name_at + name_len].decode("utf-8", "surrogateescape"), inode
            offset = inode_at + number_size

    def _data_block(self, block: bytes, number: int) -> Iterator[tuple[str, int]]:
        kind = DATA_BLOCK_MAGICS.get(block[:4])
        if kind is None:
            raise CorruptFilesystem(f"XFS directory {number} has a damaged data block (magic {block[:4]!r})")
        end = len(block)
        if kind == "block":  # the block form keeps its hash leaf and tail at the end
            leaf_count = struct.unpack_from(">I", block, end - 8)[0]
            end -= 8 + 8 * leaf_count
            if end < DIR_DATA_HEADER:
                raise CorruptFilesystem(f"XFS directory {number}'s block form has a damaged tail")
        offset = DIR_DATA_HEADER
        while offset + 8 <= end:
            if block[offset:offset + 2] == b"\xff\xff":  # free space: tag, length
                length = struct.unpack_from(">H", block, offset + 2)[0]
                if length < 8 or length % 8 or offset + length > end:
                    raise CorruptFilesystem(f"XFS directory {number} has a damaged free space at byte {offset}")
                offset += length
                continue
            inode = struct.unpack_from(">Q", block, offset)[0]
            name_len = block[offset + 8]
            length = (8 + 1 + name_len + (1 if self.ftype else 0) + 2 + 7) // 8 * 8
            if name_len == 0 or offset + length > end:
                raise CorruptFilesystem(f"XFS directory {number} has a damaged entry at byte {offset}")
            name = block[offset + 9:offset + 9 + name_len].decode("utf-8", "surrogateescape")
            if name not in (".", ".."):
                yield name, inode
            offset += length


def _records(data: bytes, start: int, count: int) -> Iterator[tuple[int, int, int, bool]]:
    for index in range(count):
        high, low = struct.unpack_from(">QQ", data, start + 16 * index)
        logical = (high & ((1 << 63) - 1)) >> 9
        fsblock = ((high & 0x1FF) << 43) | (low >> 21)
        yield logical, fsblock, low & ((1 << 21) - 1), not high >> 63


def _zeros(count: int) -> Iterator[bytes]:
    while count > 0:
        piece = min(READ_PIECE, count)
        yield bytes(piece)
        count -= piece
