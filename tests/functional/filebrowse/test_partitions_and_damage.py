# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Partition tables (GPT written by sgdisk, MBR with a logical partition, none) and damaged or hostile images: each
gives a clear error, quickly, never a hang or a growing memory."""
from __future__ import annotations

import os
import shutil
import struct

import pytest
from storage_backup.filebrowse import browse
from storage_backup.filebrowse.errors import CorruptFilesystem, PathNotFound, UnsupportedFilesystem
from storage_backup.filebrowse.ext4 import Ext4
from storage_backup.filebrowse.partitions import read_partitions
from storage_backup.filebrowse.xfs import Xfs

from tests.support.filesystem_images import index_directories, make_ext4, make_gpt, make_mbr, make_xfs

pytestmark = pytest.mark.timeout(60)


def test_gpt_disk_finds_the_filesystem_partition(ext4_image, tmp_path, open_disk, tree):
    disk_path = tmp_path / "gpt.img"
    offset = make_gpt(disk_path, ext4_image)
    disk = open_disk(disk_path)
    partitions = read_partitions(disk)
    assert [(part.number, part.table) for part in partitions] == [(1, "gpt"), (2, "gpt")]
    assert partitions[1].start == offset
    opened = browse.open_filesystem(disk)
    assert opened.partition.number == 2 and opened.filesystem.name == "ext4"
    assert opened.describe()["partitions"][1]["filesystem"] == "ext4"
    node = browse.resolve(opened.filesystem, "/etc/hostname")
    assert b"".join(opened.filesystem.read(node)) == tree[1]["etc/hostname"]
    with pytest.raises(UnsupportedFilesystem, match="partition 1 holds no filesystem"):
        browse.open_filesystem(disk, 1)
    with pytest.raises(PathNotFound, match=r"no partition 7 \(it has: 1, 2\)"):
        browse.open_filesystem(disk, 7)


def test_mbr_disk_with_a_logical_partition(xfs_image, tmp_path, open_disk, tree):
    disk_path = tmp_path / "mbr.img"
    offset = make_mbr(disk_path, xfs_image)
    disk = open_disk(disk_path)
    partitions = read_partitions(disk)
    assert [(part.number, part.type) for part in partitions] == [(1, "0x0b"), (5, "0x83")]
    assert partitions[1].start == offset
    opened = browse.open_filesystem(disk, 5)
    assert opened.filesystem.name == "xfs"
    node = browse.resolve(opened.filesystem, "/home/user/notes.txt")
    assert b"".join(opened.filesystem.read(node)) == tree[1]["home/user/notes.txt"]


def test_a_loop_in_the_mbr_chain_is_an_error(tmp_path, open_disk):
    disk_path = tmp_path / "loop.img"
    with open(disk_path, "wb") as handle:
        handle.truncate(8 * 1024 * 1024)
        handle.seek(446)
        handle.write(struct.pack("<B3xB3xII", 0, 0x05, 2048, 8192) + bytes(48) + b"\x55\xaa")
        for sector in (2048, 2148):  # the first extended boot record leads to a second that leads to itself
            handle.seek(sector * 512 + 446)
            handle.write(struct.pack("<B3xB3xII", 0, 0x83, 63, 10) + struct.pack("<B3xB3xII", 0, 0x05, 100, 100)
                         + bytes(32) + b"\x55\xaa")
    with pytest.raises(CorruptFilesystem, match="loops back"):
        read_partitions(open_disk(disk_path))


def test_a_volume_of_noise_or_zeros_holds_no_filesystem(tmp_path, open_disk):
    path = tmp_path / "noise.img"
    path.write_bytes(os.urandom(4 * 1024 * 1024))
    with pytest.raises(UnsupportedFilesystem, match="neither a partition table"):
        browse.open_filesystem(open_disk(path))
    zeros = tmp_path / "zeros.img"
    with open(zeros, "wb") as handle:
        handle.truncate(4 * 1024 * 1024)
    with pytest.raises(UnsupportedFilesystem):
        browse.open_filesystem(open_disk(zeros))


def _patch(path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def _ext4_copy(ext4_image, tmp_path):
    copy = tmp_path / "damaged.img"
    shutil.copyfile(ext4_image, copy)
    return copy


def _ext4_inode_offset(disk, number: int) -> tuple[Ext4, int]:
    filesystem = Ext4(disk)
    group, index = divmod(number - 1, filesystem.inodes_per_group)
    return filesystem, filesystem._inode_table(group) * filesystem.block_size + index * filesystem.inode_size


def test_ext4_bad_geometry(ext4_image, tmp_path, open_disk):
    copy = _ext4_copy(ext4_image, tmp_path)
    _patch(copy, 1024 + 40, struct.pack("<I", 0))  # inodes per group
    with pytest.raises(CorruptFilesystem, match="geometry is inconsistent"):
        Ext4(open_disk(copy))


def test_ext4_extent_tree_that_points_at_itself(ext4_image, tmp_path, open_disk):
    copy = _ext4_copy(ext4_image, tmp_path)
    filesystem, root = _ext4_inode_offset(open_disk(copy), 2)
    loop_block = filesystem.blocks_count - 1
    # The root directory: an index node of depth 2 whose child claims depth 2 again and points at itself.
    node = struct.pack("<HHHHI", 0xF30A, 1, 4, 2, 0) + struct.pack("<IIHH", 0, loop_block, 0, 0)
    _patch(copy, root + 40, node.ljust(60, b"\0"))
    _patch(copy, root + 32, struct.pack("<I", 0x80000))
    _patch(copy, loop_block * filesystem.block_size, node)
    damaged = Ext4(open_disk(copy))
    with pytest.raises(CorruptFilesystem, match="damaged extent tree node at depth 1"):
        browse.list_directory(damaged, "/")


def test_ext4_directory_entry_of_length_zero(ext4_image, tmp_path, open_disk):
    copy = _ext4_copy(ext4_image, tmp_path)
    filesystem = Ext4(open_disk(copy))
    _, physical, _, _ = next(filesystem._extents(2))
    _patch(copy, physical * filesystem.block_size + 4, struct.pack("<H", 0))  # rec_len of "."
    with pytest.raises(CorruptFilesystem, match="damaged entry at byte 0"):
        browse.list_directory(Ext4(open_disk(copy)), "/")


def test_ext4_inode_number_out_of_range(ext4_image, tmp_path, open_disk):
    copy = _ext4_copy(ext4_image, tmp_path)
    filesystem = Ext4(open_disk(copy))
    _, physical, _, _ = next(filesystem._extents(2))
    _patch(copy, physical * filesystem.block_size, struct.pack("<I", 0xFFFFFFF0))  # "." -> a huge inode
    _patch(copy, physical * filesystem.block_size + 8, b"x")  # named "x" so it is not skipped as "."
    with pytest.raises(CorruptFilesystem, match="inode number 4294967280 is outside"):
        browse.list_directory(Ext4(open_disk(copy)), "/")


def test_xfs_damaged_superblock_and_directory(xfs_image, tmp_path, open_disk):
    copy = tmp_path / "damaged-xfs.img"
    shutil.copyfile(xfs_image, copy)
    filesystem = Xfs(open_disk(copy))
    many = browse.resolve(filesystem, "/var/log/many")
    _, fsblock, _, _ = next(filesystem._extents(many.number))
    _patch(copy, filesystem._disk_block(fsblock) * filesystem.block_size, b"JUNK")
    with pytest.raises(CorruptFilesystem, match="damaged data block"):
        browse.list_directory(Xfs(open_disk(copy)), "/var/log/many")
    _patch(copy, 4, struct.pack(">I", 3000))  # a block size that is no power of two
    with pytest.raises(CorruptFilesystem, match="geometry is inconsistent"):
        Xfs(open_disk(copy))


def test_xfs_node_directory_of_two_thousand_names(tmp_path, open_disk):
    source = tmp_path / "source"
    (source / "big").mkdir(parents=True)
    for number in range(2000):
        (source / "big" / f"a-rather-long-file-name-number-{number:05d}.txt").write_bytes(b"%d" % number)
    filesystem = Xfs(open_disk(make_xfs(tmp_path / "node.img", source)))
    entries, truncated = browse.list_directory(filesystem, "/big", limit=5000)
    assert len(entries) == 2000 and not truncated
    node = browse.resolve(filesystem, "/big/a-rather-long-file-name-number-01999.txt")
    assert b"".join(filesystem.read(node)) == b"1999"


def test_ext4_htree_directory_reads_linearly(tmp_path, open_disk):
    source = tmp_path / "source"
    (source / "many").mkdir(parents=True)
    for number in range(3000):
        (source / "many" / f"name-{number}").write_bytes(b"%d" % number)
    image = make_ext4(tmp_path / "htree.img", source, 64 * 1024 * 1024, "-b", "1024")
    index_directories(image)
    filesystem = Ext4(open_disk(image))
    node = browse.resolve(filesystem, "/many")
    assert struct.unpack_from("<I", filesystem._raw_inode(node.number), 32)[0] & 0x1000  # indexed (htree)
    entries, _ = browse.list_directory(filesystem, "/many", limit=5000)
    assert {entry["name"] for entry in entries} == {f"name-{number}" for number in range(3000)}
    assert b"".join(filesystem.read(browse.resolve(filesystem, "/many/name-2999"))) == b"2999"
