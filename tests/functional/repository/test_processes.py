# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Real processes: concurrent writers into one repository, and a backup killed with SIGKILL half-way."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from storage_backup.repository import Repository

from tests.support.repository_images import MiB, read, write_image

CLI = os.path.join(os.path.dirname(sys.executable), "storage-backup")


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, **kwargs)


def _packs(root) -> list[str]:
    found = []
    for dirpath, _dirs, files in os.walk(os.path.join(root, "data")):
        found += [os.path.join(dirpath, name) for name in files if not name.startswith(".tmp-")]
    return found


def _temporaries(root) -> list[str]:
    return [os.path.join(d, n) for d, _s, files in os.walk(root) for n in files if n.startswith(".tmp-")]


def test_two_processes_back_up_into_one_repository_at_once(tmp_path):
    root = str(tmp_path / "repo")
    Repository.init(root, pack_size=MiB)
    images = [tmp_path / "one.img", tmp_path / "two.img"]
    for seed, image in enumerate(images):
        write_image(image, 24 * MiB, seed=seed, pattern="rrt")
    processes = [subprocess.Popen([CLI, "image", "backup", "--repo", root, "--name", image.stem, "--json",
                                   str(image)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for image in images]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    repo = Repository.open(root)
    assert len(os.listdir(os.path.join(root, "index"))) >= 2  # one index object per writer, no shared file
    for image in images:
        point = repo.latest_restore_point({"name": image.stem})
        target = tmp_path / f"{image.stem}.out"
        repo.restore_volume(point.id, "image", str(target))
        assert read(target) == read(image)
    assert repo.check(read_data=True).ok


def test_backup_killed_mid_way_leaves_a_valid_repository_that_prune_cleans(tmp_path):
    root = str(tmp_path / "repo")
    repo = Repository.init(root, block_size=64 * 1024, pack_size=256 * 1024)
    small = tmp_path / "small.img"
    write_image(small, 2 * MiB, pattern="rt")
    assert _run("image", "backup", "--repo", root, "--name", "small", str(small)).returncode == 0
    big = tmp_path / "big.img"
    big.write_bytes(os.urandom(96 * MiB))
    packs_before = len(_packs(root))
    process = subprocess.Popen([CLI, "image", "backup", "--repo", root, "--name", "big", str(big)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(_packs(root)) < packs_before + 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert process.poll() is None, "the backup finished before it could be killed; make the image bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert len(_packs(root)) > packs_before  # it had written data

    check = _run("repo", "check", "--repo", root, "--read-data")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no errors found" in check.stdout
    assert "in no index (left by an interrupted backup)" in check.stdout
    assert [point.labels["name"] for point in repo.list_restore_points()] == ["small"]
    restored = tmp_path / "small.out"
    assert _run("image", "restore", "--repo", root, repo.list_restore_points()[0].id, str(restored)).returncode == 0
    assert read(restored) == read(small)
    assert os.listdir(os.path.join(root, "locks"))  # the dead process's lock is still there ...

    prune = _run("repo", "prune", "--repo", root)
    assert prune.returncode == 0, prune.stderr
    assert _temporaries(root) == []
    assert os.listdir(os.path.join(root, "locks")) == []  # ... and prune removed it as stale
    assert len(_packs(root)) == packs_before
    clean = _run("repo", "check", "--repo", root, "--read-data")
    assert clean.returncode == 0 and "warning" not in clean.stdout, clean.stdout

    again = _run("image", "backup", "--repo", root, "--name", "big", str(big))
    assert again.returncode == 0, again.stderr
    point = Repository.open(root).latest_restore_point({"name": "big"})
    Repository.open(root).restore_volume(point.id, "image", str(tmp_path / "big.out"))
    assert read(tmp_path / "big.out") == read(big)
