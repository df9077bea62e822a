# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Prune: removes what no restore point uses, keeps everything that one does, refuses to run beside a backup."""
from __future__ import annotations

import os

import pytest
from storage_backup.repository import Repository, RepositoryLocked

from tests.support.repository_images import BLOCK, MiB, backup, read, repository_bytes


def test_prune_frees_deleted_restore_point_and_keeps_the_rest(repo, tmp_path):
    keep_image, drop_image = tmp_path / "keep.img", tmp_path / "drop.img"
    keep_image.write_bytes(os.urandom(3 * MiB))
    drop_image.write_bytes(os.urandom(3 * MiB))
    keep, _ = backup(repo, keep_image, labels={"name": "keep"})
    drop, _ = backup(repo, drop_image, labels={"name": "drop"})
    nothing = repo.prune()
    assert nothing.packs_deleted == 0 and nothing.chunks_removed == 0
    before = repository_bytes(repo.destination.root)
    repo.delete_restore_point(drop)
    report = repo.prune()
    assert report.packs_deleted >= 3 and report.bytes_freed >= 3 * MiB
    assert before - repository_bytes(repo.destination.root) >= 3 * MiB
    repo.restore_volume(keep, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(keep_image)
    assert repo.check(read_data=True).ok


def test_prune_repacks_half_used_packs(repo, tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(4 * MiB))
    old, _ = backup(repo, image)
    with open(image, "r+b") as handle:  # rewrite every other block
        for block in range(0, 4 * MiB // BLOCK, 2):
            handle.seek(block * BLOCK)
            handle.write(os.urandom(BLOCK))
    new, _ = backup(repo, image, previous=old)
    repo.delete_restore_point(old)
    report = repo.prune()
    assert report.packs_repacked >= 3 and report.packs_written >= 1
    fresh = Repository.open(repo.destination.root)
    fresh.restore_volume(new, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)
    assert fresh.check(read_data=True).ok
    # A long-lived Repository object notices the rewritten index and does not dedup against removed chunks.
    third, entry = backup(repo, tmp_path / "out.img", labels={"name": "again"}, strategy="full")
    assert entry.stats["bytes_new"] == 0
    repo.restore_volume(third, "disk", str(tmp_path / "again.img"))
    assert read(tmp_path / "again.img") == read(image)


def test_prune_refused_while_a_backup_runs(repo, tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(MiB))
    writer = repo.start_restore_point({"name": "running"})
    writer.backup_volume("disk", str(image))
    with pytest.raises(RepositoryLocked, match="shared lock"):
        Repository.open(repo.destination.root).prune()
    writer.commit()
    Repository.open(repo.destination.root).prune()
    other = repo.start_restore_point({"name": "blocked"})
    other.abort()
