# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A filesystem destination whose directory vanishes under a writer (an NFS export unmounted, the directory
removed) fails the write with a clear error; it never recreates the directory and fills the empty mount point on
the local disk with half a repository (found by the fault matrix's "destination unreachable" drill)."""
from __future__ import annotations

import os

import pytest
from storage_backup.repository import FilesystemDestination, RepositoryNotFound


def test_a_vanished_root_is_not_made_again(tmp_path):
    root = tmp_path / "repository"
    root.mkdir()
    destination = FilesystemDestination(str(root))
    destination.put("index/first", b"one")
    os.rename(root, tmp_path / "away")
    with pytest.raises(RepositoryNotFound, match="is gone"):
        destination.put("data/ab/pack", b"two")
    with pytest.raises(RepositoryNotFound, match="is gone"):
        destination.open_writer("snapshots/doc")
    assert not root.exists()


def test_a_new_repository_makes_its_directory(tmp_path):
    root = tmp_path / "new" / "repository"
    destination = FilesystemDestination(str(root))
    destination.put("config", b"{}")
    assert (root / "config").read_bytes() == b"{}"
