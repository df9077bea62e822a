# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Repositories written by older formats stay readable: listed, verified, checked and restored byte for byte, and
new backups (in a deduplication domain) go into them beside the old restore points (``data/README.md``)."""
from __future__ import annotations

import shutil

import pytest
from storage_backup.repository import FORMAT_VERSION, Repository

from tests.support.repository_images import BLOCK, read
from tests.unit.repository.legacy_images import legacy_change, legacy_image

DATA = __file__.rsplit("/", 1)[0] + "/data"
LEGACY = [("format-v1-plain", None), ("format-v1-encrypted", "format-v1-password")]


@pytest.fixture(params=LEGACY, ids=[name for name, _ in LEGACY])
def legacy(request, tmp_path):
    name, password = request.param
    root = tmp_path / name
    shutil.copytree(f"{DATA}/{name}", root)  # a copy: the tests write into it
    return Repository.open(str(root), password=password), password


def test_a_format_1_repository_lists_verifies_checks_and_restores(legacy, tmp_path):
    repo, _ = legacy
    points = repo.list_restore_points(labels={"instance_id": "i-1"})
    assert len(points) == 2
    assert all(point.format_version == 1 and point.dedup_domain is None for point in points)
    for point, expected in zip(points, (legacy_image(), legacy_change(legacy_image())), strict=True):
        assert repo.verify_volume(point, "disk")["chunks"] > 0
        target = tmp_path / f"{point.id}.img"
        repo.restore_volume(point.id, "disk", str(target))
        assert read(target) == expected
    report = repo.check(read_data=True)
    assert report.ok, report.errors


def test_new_backups_go_into_a_format_1_repository_beside_the_old_ones(legacy, tmp_path):
    repo, password = legacy
    old = repo.latest_restore_point(labels={"instance_id": "i-1"})
    image = tmp_path / "disk.img"
    image.write_bytes(legacy_change(legacy_image()))
    with repo.start_restore_point({"instance_id": "i-1"}, dedup_domain="project:p-1") as writer:
        entry = writer.backup_volume("disk", str(image), previous=old)
        new = writer.commit()
    assert entry.strategy == "full"  # another key: the old ids cannot be carried over
    point = repo.get_restore_point(new)
    assert (point.format_version, point.dedup_domain) == (FORMAT_VERSION, "project:p-1")
    reopened = Repository.open(repo.location, password=password)
    assert len(reopened.restore_point_ids()) == 3
    target = tmp_path / "new.img"
    reopened.restore_volume(new, "disk", str(target))
    assert read(target) == image.read_bytes()
    assert reopened.check(read_data=True).ok
    assert BLOCK == reopened.config.block_size
