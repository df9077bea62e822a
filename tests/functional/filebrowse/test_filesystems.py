# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ext4 and XFS readers against real images made by mkfs (ext4 with extents and with legacy block maps, 1 KiB
and 4 KiB blocks; XFS v5 with short-form, block and node directories): every file's bytes, listings, symlinks,
search, and tar / zip archives compared with the tree the images were made from."""
from __future__ import annotations

import io
import tarfile
import zipfile

import pytest
from storage_backup.filebrowse import archive, browse
from storage_backup.filebrowse.errors import NotADirectory, PathNotFound, TooLarge

from tests.support.filesystem_images import make_ext4

EXT4_VARIANTS = {"ext4-1k": ("-b", "1024"), "ext4-4k": ("-b", "4096"),
                 "ext4-block-maps": ("-b", "1024", "-O", "^extent,^64bit,^flex_bg")}


@pytest.fixture(scope="module", params=[*EXT4_VARIANTS, "xfs"])
def image(request, tree, tmp_path_factory):
    if request.param == "xfs":
        return request.param, request.getfixturevalue("xfs_image")
    path = tmp_path_factory.mktemp(request.param) / "fs.img"
    return request.param, make_ext4(path, tree[0], 64 * 1024 * 1024, *EXT4_VARIANTS[request.param])


@pytest.fixture
def filesystem(image, open_disk):
    opened = browse.open_filesystem(open_disk(image[1]))
    assert opened.partition is None and opened.partitions == []
    assert opened.filesystem.name == ("xfs" if image[0] == "xfs" else "ext4")
    return opened.filesystem


def test_every_file_reads_back_byte_for_byte(filesystem, tree):
    _, files = tree
    for path, data in files.items():
        node = browse.resolve(filesystem, "/" + path)
        assert node.kind == "file" and node.size == len(data), path
        assert b"".join(filesystem.read(node)) == data, path


def test_listing_sorts_folders_first_and_describes_entries(filesystem):
    entries, truncated = browse.list_directory(filesystem, "/etc")
    assert not truncated
    by_name = {entry["name"]: entry for entry in entries}
    assert [entry["name"] for entry in entries][:1] == ["ssh"]
    assert by_name["hostname"] | {"mtime": 0} == {"name": "hostname", "type": "file", "size": 6, "mtime": 0,
                                                  "mode": "0644"}
    assert by_name["hostname"]["mtime"] > 1_700_000_000
    assert by_name["link-to-hostname"]["type"] == "symlink"
    assert by_name["link-to-hostname"]["target"] == "hostname"
    many, _ = browse.list_directory(filesystem, "/var/log/many")
    assert len(many) == 300
    assert browse.list_directory(filesystem, "/empty-dir") == ([], False)
    first, truncated = browse.list_directory(filesystem, "/var/log/many", limit=10)
    assert len(first) == 10 and truncated


def test_paths_that_lead_nowhere_say_so(filesystem):
    with pytest.raises(PathNotFound, match="/etc/nothing does not exist"):
        browse.list_directory(filesystem, "/etc/nothing")
    with pytest.raises(NotADirectory, match="/etc/hostname is not a directory"):
        browse.list_directory(filesystem, "/etc/hostname/x")
    with pytest.raises(NotADirectory, match="symbolic link to hostname"):
        browse.resolve(filesystem, "/etc/link-to-hostname/x")


def test_search_by_part_of_a_name_and_by_pattern(filesystem):
    found, truncated = browse.search(filesystem, "/", "SSHD_")
    assert [entry["path"] for entry in found] == ["/etc/ssh/sshd_config"] and not truncated
    logs, _ = browse.search(filesystem, "/var", "entry-01*.log")
    assert len(logs) == 100 and all(entry["path"].startswith("/var/log/many/entry-01") for entry in logs)
    capped, truncated = browse.search(filesystem, "/", "entry-", limit=5)
    assert len(capped) == 5 and truncated


def test_a_folder_as_tar_and_zip_holds_every_byte(filesystem, tree):
    _, files = tree
    expected = {f"var/{path[4:]}": data for path, data in files.items() if path.startswith("var/")}
    out = io.BytesIO()
    figures = archive.write_archive(filesystem, "/var", "tar", out, 1 << 30)
    assert (figures.name, figures.files) == ("var.tar", len(expected))
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        got = {member.name: tar.extractfile(member).read() for member in tar.getmembers() if member.isfile()}
    assert got == expected
    out = io.BytesIO()
    figures = archive.write_archive(filesystem, "/etc", "zip", out, 1 << 30)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
        assert package.testzip() is None
        assert package.read("etc/ssh/sshd_config") == files["etc/ssh/sshd_config"]
        assert package.read("etc/link-to-hostname") == b"hostname"  # a link, stored as its target
        assert package.getinfo("etc/link-to-hostname").external_attr >> 16 & 0o170000 == 0o120000
    assert figures.symlinks == 1


def test_a_file_downloads_as_itself_and_the_size_cap_holds(filesystem, tree):
    out = io.BytesIO()
    figures = archive.write_archive(filesystem, "/var/lib/app/data.bin", "auto", out, 1 << 30)
    assert (figures.format, figures.name) == ("raw", "data.bin")
    assert out.getvalue() == tree[1]["var/lib/app/data.bin"]
    with pytest.raises(TooLarge, match="more than 1000000 bytes"):
        archive.write_archive(filesystem, "/var", "zip", io.BytesIO(), 1_000_000)
    with pytest.raises(NotADirectory, match="choose tar or zip"):
        archive.write_archive(filesystem, "/etc", "raw", io.BytesIO(), 1 << 30)
