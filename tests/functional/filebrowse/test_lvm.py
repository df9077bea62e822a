# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""LVM2 physical volumes: the label and metadata written by lvm2 itself, logical volumes mapped onto extents, the
filesystem inside read through them.

``data/lvm2-pv-first-mib.img.gz`` is the first MiB (label, metadata area; the extents start at 1 MiB) of a 48 MiB
physical volume made by lvm2 2.03 (``pvcreate``, ``vgcreate fbvg`` with 4 MiB extents) whose logical volumes were
written by ``vgcfgrestore`` from ``data/lvm2-vg-restored.txt`` (no device-mapper is needed for that, unlike
``lvcreate``): ``fbvg/root`` is extents 0-2 then 5-6 (20 MiB in two segments), ``fbvg/other`` extents 3-4, as
``lvs -o seg_pe_ranges`` reported. The test writes filesystems where lvm2 says those extents are."""
from __future__ import annotations

import gzip
import pathlib
import shutil

import pytest
from storage_backup.filebrowse import browse, lvm
from storage_backup.filebrowse.errors import CorruptFilesystem, UnsupportedFilesystem

from tests.support.filesystem_images import MiB, make_ext4, make_gpt

pytestmark = pytest.mark.timeout(60)
FIXTURE = pathlib.Path(__file__).parent / "data" / "lvm2-pv-first-mib.img.gz"
EXTENT = 4 * MiB
PE_START = 1 * MiB
ROOT_EXTENTS = [(0, 0, 3), (3, 5, 2)]  # (LV extent, PV extent, count), from lvm2's own lvs
OTHER_PV_EXTENT = 3


def _write(disk, offset: int, data: bytes) -> None:
    with open(disk, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


@pytest.fixture(scope="module")
def physical_volume(tmp_path_factory, tree):
    base = tmp_path_factory.mktemp("lvm")
    disk = base / "pv.img"
    with open(disk, "wb") as handle:
        handle.write(gzip.decompress(FIXTURE.read_bytes()))
        handle.truncate(48 * MiB)
    root = make_ext4(base / "root.img", tree[0], 20 * MiB).read_bytes()
    for lv_extent, pv_extent, count in ROOT_EXTENTS:
        _write(disk, PE_START + pv_extent * EXTENT, root[lv_extent * EXTENT:(lv_extent + count) * EXTENT])
    small = base / "small"
    (small / "notes").mkdir(parents=True)
    (small / "notes" / "todo.txt").write_bytes(b"in the other volume\n")
    _write(disk, PE_START + OTHER_PV_EXTENT * EXTENT, make_ext4(base / "other.img", small, 8 * MiB).read_bytes())
    return disk, root


def test_logical_volumes_as_lvm2_wrote_them(physical_volume, open_disk):
    disk = open_disk(physical_volume[0])
    assert lvm.probe(disk)
    volumes = {volume.name: volume for volume in lvm.logical_volumes(disk)}
    assert volumes["root"].segments == [(0, 3, PE_START), (3, 2, PE_START + 5 * EXTENT)]
    assert volumes["other"].segments == [(0, 2, PE_START + 3 * EXTENT)] and volumes["other"].size == 8 * MiB
    whole = lvm.LogicalVolumeDisk(disk, volumes["root"])
    assert whole.pread(0, whole.size) == physical_volume[1]  # across the two segments, byte for byte
    assert whole.pread(12 * MiB - 5, 10) == physical_volume[1][12 * MiB - 5:12 * MiB + 5]


def test_the_largest_readable_volume_is_browsed_and_the_others_by_number(physical_volume, open_disk, tree):
    disk = open_disk(physical_volume[0])
    opened = browse.open_filesystem(disk)
    assert [(part["number"], part["table"], part["type"]) for part in opened.describe()["partitions"]] == [
        (1, "lvm", "fbvg/root"), (2, "lvm", "fbvg/other")]
    assert (opened.partition.number, opened.filesystem.name) == (1, "ext4")
    for path, data in tree[1].items():
        assert b"".join(opened.filesystem.read(browse.resolve(opened.filesystem, "/" + path))) == data, path
    other = browse.open_filesystem(disk, 2).filesystem
    assert b"".join(other.read(browse.resolve(other, "/notes/todo.txt"))) == b"in the other volume\n"


def test_a_physical_volume_in_a_gpt_partition(physical_volume, open_disk, tmp_path):
    disk_path = tmp_path / "gpt-lvm.img"
    make_gpt(disk_path, physical_volume[0])
    opened = browse.open_filesystem(open_disk(disk_path))
    assert [part["number"] for part in opened.describe()["partitions"]] == [1, 2, 201, 202]
    assert opened.partition.number == 201 and opened.partition.type == "fbvg/root"


def test_damaged_metadata_is_an_error(physical_volume, open_disk, tmp_path):
    copy = tmp_path / "damaged.img"
    shutil.copyfile(physical_volume[0], copy)
    disk = open_disk(physical_volume[0])
    _, text = lvm.read_metadata(disk)
    at = gzip.decompress(FIXTURE.read_bytes()).index(b"stripe_count = 1")
    _write(copy, at, b"stripe_count } 1")
    with pytest.raises(CorruptFilesystem, match="LVM metadata"):
        browse.open_filesystem(open_disk(copy))
    assert lvm.parse('a { b = [ "x", 1 ] c = "say \\"hi\\"" } # comment') == {"a": {"b": ["x", 1], "c": 'say "hi"'}}
    with pytest.raises(CorruptFilesystem, match="ends inside a section"):
        lvm.parse("a { b = 1")
    striped = lvm.LogicalVolume("vg", "fast", EXTENT, readable=False, why_not="a striped volume is not read here")
    with pytest.raises(CorruptFilesystem, match="cannot be read: a striped volume"):
        lvm.LogicalVolumeDisk(disk, striped)
    assert "fbvg" in text


def test_a_physical_volume_without_the_filesystem_says_so(tmp_path, open_disk):
    disk = tmp_path / "empty-pv.img"
    with open(disk, "wb") as handle:
        handle.write(gzip.decompress(FIXTURE.read_bytes()))
        handle.truncate(48 * MiB)
    with pytest.raises(UnsupportedFilesystem, match="none of the volume's 2 LVM volume"):
        browse.open_filesystem(open_disk(disk))
