# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Filesystem WORM (issue 10, item 11): a hardened destination's locked objects are immutable.

A real ``storage-backup-immutable`` process (as root, the way it runs in production) serves its unix socket; a
repository on a ``HardenedDestination`` asks it to lock what a locked restore point needs. ``rm`` of a locked pack or
document then fails with EPERM even as root; asking the helper to unlock early is refused, also after the helper
restarts; once the lock date has passed, deleting the restore point and pruning remove everything.
"""
from __future__ import annotations

import datetime as dt
import errno
import os
import subprocess
import sys
import time

import pytest
from storage_backup.immutable.client import ImmutableClient
from storage_backup.immutable.destination import HardenedDestination, lock_restore_point, restore_point_paths
from storage_backup.immutable.flags import is_immutable, set_immutable
from storage_backup.repository import Repository, RetentionLocked

from tests.support.repository_images import BLOCK, MiB, read, write_image

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.skipif(os.geteuid() != 0, reason="the immutable attribute needs root (CAP_LINUX_IMMUTABLE)")]


class Helper:
    """The helper as a process of its own, restartable."""

    def __init__(self, base) -> None:
        self.socket = str(base / "immutable.sock")
        self.state = str(base / "helper-state" / "locks.json")
        self.root = str(base / "destinations")
        os.makedirs(self.root, exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.log = open(base / "helper.log", "ab")

    def start(self) -> Helper:
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.process = subprocess.Popen([sys.executable, "-m", "storage_backup.immutable", "--socket", self.socket,
                                         "--state", self.state, "--root", self.root],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        client = ImmutableClient(self.socket, timeout=5)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return self
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def client(self) -> ImmutableClient:
        return ImmutableClient(self.socket, timeout=10)


@pytest.fixture
def helper(tmp_path):
    running = Helper(tmp_path).start()
    try:
        yield running
    finally:
        running.stop()
        for dirpath, _dirs, files in os.walk(running.root):  # so pytest can remove its temporary directory
            for name in files:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path) and is_immutable(path):
                    set_immutable(path, False)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _locked_backup(helper, tmp_path, seconds: float, name: str = "repo", seed: int = 1):
    root = os.path.join(helper.root, name)
    if not os.path.exists(root):
        Repository.init(root, block_size=BLOCK, pack_size=MiB)
    repository = Repository.open(HardenedDestination(root, helper.client()))
    image = tmp_path / f"disk-{seed}.img"
    write_image(image, 3 * MiB, seed=seed, pattern="rt")
    until = _iso(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds))
    with repository.start_restore_point({"name": "locked"}, lock_until=until) as writer:
        writer.backup_volume("disk", str(image))
        restore_point = writer.commit()
    assert lock_restore_point(repository, restore_point, until) >= 3  # document, a pack, an index object
    return repository, restore_point, image, until


def test_rm_of_a_locked_pack_or_document_fails_even_as_root(helper, tmp_path):
    repository, restore_point, _image, _until = _locked_backup(helper, tmp_path, 3600)
    paths = restore_point_paths(repository, restore_point)
    document, pack = paths[0], next(p for p in paths if "/data/" in p)
    for path in (document, pack):
        assert is_immutable(path)
        removed = subprocess.run(["rm", "-f", path], capture_output=True, text=True)
        assert removed.returncode != 0 and "Operation not permitted" in removed.stderr
        with pytest.raises(PermissionError) as raised:
            os.unlink(path)
        assert raised.value.errno == errno.EPERM
        with pytest.raises(PermissionError):
            os.rename(path, path + ".moved")
        assert os.path.exists(path)


def test_asking_the_helper_to_unlock_early_is_refused(helper, tmp_path):
    repository, restore_point, image, until = _locked_backup(helper, tmp_path, 3600)
    paths = restore_point_paths(repository, restore_point)
    client = helper.client()
    unlocked, refused = client.unlock(paths)
    assert unlocked == [] and len(refused) == len(paths)
    assert all(entry["until"] == until for entry in refused)
    # A shorter lock does not shorten the recorded one; the record outlives the helper.
    client.lock(paths, _iso(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)))
    helper.stop()
    helper.start()
    unlocked, refused = helper.client().unlock(paths)
    assert unlocked == [] and {entry["until"] for entry in refused} == {until}
    assert all(is_immutable(path) for path in paths)
    # Through the repository too: deleting the restore point is refused, and it still restores.
    with pytest.raises(RetentionLocked):
        repository.delete_restore_point(restore_point)
    target = tmp_path / "restored.img"
    repository.restore_volume(restore_point, "disk", str(target))
    assert read(target) == read(image)


def test_the_helper_touches_nothing_outside_its_roots(helper, tmp_path):
    outside = tmp_path / "outside"
    outside.write_bytes(b"a system file")
    with pytest.raises(Exception, match="not below a root"):
        helper.client().lock([str(outside)], _iso(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)))
    link = os.path.join(helper.root, "link")
    os.symlink(str(outside), link)
    with pytest.raises(Exception, match="not a regular file"):
        helper.client().lock([link], _iso(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)))
    assert not is_immutable(str(outside))


def test_after_expiry_delete_and_prune_work(helper, tmp_path):
    long_repo, long_point, long_image, _ = _locked_backup(helper, tmp_path, 3600, seed=1)
    repository, restore_point, _image, until = _locked_backup(helper, tmp_path, 3, seed=2)
    paths = restore_point_paths(repository, restore_point)
    long_paths = set(restore_point_paths(long_repo, long_point))
    report = repository.prune()  # before expiry: everything is still referenced, nothing is touched
    assert all(os.path.exists(path) and is_immutable(path) for path in paths)
    deadline = dt.datetime.fromisoformat(until.replace("Z", "+00:00"))
    while dt.datetime.now(dt.UTC) <= deadline:
        time.sleep(0.1)
    repository.delete_restore_point(restore_point)
    report = repository.prune()
    assert report.packs_deleted >= 1
    leftovers = [path for path in paths if os.path.exists(path)]
    # Whatever survived is needed by the restore point still locked (an index object naming both, say), and all
    # that one was locked with is there, immutable (prune's new index objects come beside the old ones, kept).
    assert set(leftovers) <= long_paths
    assert all(os.path.exists(path) and is_immutable(path) for path in long_paths)
    assert repository.check(read_data=True).ok
    target = tmp_path / "restored.img"
    long_repo.restore_volume(long_point, "disk", str(target))
    assert read(target) == read(long_image)
