# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Filesystem images made once per module (mkfs takes a second or two each)."""
from __future__ import annotations

import pytest

from tests.support.filesystem_images import ImageDisk, make_ext4, make_xfs, populate


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    return root, populate(root)


@pytest.fixture(scope="module")
def ext4_image(tree, tmp_path_factory):
    return make_ext4(tmp_path_factory.mktemp("ext4") / "ext4.img", tree[0])


@pytest.fixture(scope="module")
def xfs_image(tree, tmp_path_factory):
    return make_xfs(tmp_path_factory.mktemp("xfs") / "xfs.img", tree[0])


@pytest.fixture
def open_disk():
    opened = []

    def opener(path):
        disk = ImageDisk(path)
        opened.append(disk)
        return disk

    yield opener
    for disk in opened:
        disk.close()
