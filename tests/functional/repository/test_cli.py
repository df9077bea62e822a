# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The operator CLI end to end, through the real ``storage-backup`` console script in the virtualenv."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from tests.support.repository_images import MiB, read, write_image

CLI = os.path.join(os.path.dirname(sys.executable), "storage-backup")


def run(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    environment = dict(os.environ)
    environment.pop("STORAGE_BACKUP_PASSWORD", None)
    environment.update(env or {})
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=environment, **kwargs)


def assert_user_error(result: subprocess.CompletedProcess, text: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("storage-backup: error: "), result.stderr
    assert text in lines[0]


def test_init_backup_incremental_list_stats_check_restore(tmp_path):
    repo = str(tmp_path / "repo")
    image = tmp_path / "vm.img"
    write_image(image, 12 * MiB, pattern="rzt")
    assert "created repository" in run("repo", "init", repo).stdout

    first = run("image", "backup", "--repo", repo, "--name", "vm", str(image))
    assert first.returncode == 0, first.stderr
    first_id = first.stdout.split()[2]
    assert "full" in first.stdout and "stored" in first.stdout and "MB/s" in first.stdout

    rng = random.Random(3)
    with open(image, "r+b") as handle:
        for _ in range(3):
            handle.seek(rng.randrange(0, 11 * MiB) // 4096 * 4096)
            handle.write(rng.randbytes(300_000))
    second = run("image", "backup", "--repo", repo, "--name", "vm", "--json", str(image))
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["strategy"] == "incremental" and summary["parent"] == first_id
    assert 0 < summary["bytes_new"] <= 3 * (300_000 + 2 * 256 * 1024)

    listing = run("repo", "list", "--repo", repo)
    assert first_id in listing.stdout and summary["id"] in listing.stdout
    assert len(json.loads(run("repo", "list", "--repo", repo, "--name", "vm", "--json").stdout)) == 2
    stats = run("repo", "stats", "--repo", repo)
    assert "restore points   2" in stats.stdout and "deduplication" in stats.stdout
    check = run("repo", "check", "--repo", repo, "--read-data")
    assert check.returncode == 0 and "no errors found" in check.stdout

    target = tmp_path / "restored.img"
    restore = run("image", "restore", "--repo", repo, summary["id"][:10], str(target))
    assert restore.returncode == 0, restore.stderr
    assert read(target) == read(image)
    assert os.stat(target).st_blocks * 512 < 12 * MiB  # the zero stripes stayed holes
    old = tmp_path / "old.img"
    assert run("image", "restore", "--repo", repo, first_id, str(old)).returncode == 0
    assert read(old) != read(image) and len(read(old)) == 12 * MiB
    assert_user_error(run("image", "restore", "--repo", repo, summary["id"], str(old)), "add --force")
    assert run("image", "restore", "--repo", repo, "--force", summary["id"], str(old)).returncode == 0
    assert read(old) == read(image)

    assert run("repo", "delete", "--repo", repo, first_id).returncode == 0
    prune = run("repo", "prune", "--repo", repo)
    assert prune.returncode == 0 and "prune:" in prune.stdout


def test_encrypted_repository_through_the_cli(tmp_path):
    repo = str(tmp_path / "repo")
    password_file = tmp_path / "password"
    password_file.write_text("s3cret\n")
    assert_user_error(run("repo", "init", repo, "--encrypt"), "--encrypt needs a password")
    created = run("repo", "init", repo, "--encrypt", "--password-file", str(password_file))
    assert created.returncode == 0 and "aes-256-gcm" in created.stdout
    image = tmp_path / "disk.img"
    write_image(image, 2 * MiB, pattern="rt")
    assert_user_error(run("image", "backup", "--repo", repo, "--name", "d", str(image)), "is encrypted")
    assert_user_error(run("image", "backup", "--repo", repo, "--name", "d", str(image),
                          env={"STORAGE_BACKUP_PASSWORD": "nope"}), "wrong password")
    done = run("image", "backup", "--repo", repo, "--name", "d", "--json", str(image),
               env={"STORAGE_BACKUP_PASSWORD": "s3cret"})
    assert done.returncode == 0, done.stderr
    restore_point = json.loads(done.stdout)["id"]
    target = tmp_path / "out.img"
    assert run("image", "restore", "--repo", repo, "--password-file", str(password_file), restore_point,
               str(target)).returncode == 0
    assert read(target) == read(image)


@pytest.mark.parametrize("args, text", [
    (("repo", "list", "--repo", "/nonexistent/repo"), "there is no repository at /nonexistent/repo"),
    (("repo", "check"), "--repo DIR"),
])
def test_user_errors_are_one_line_and_exit_2(args, text):
    assert_user_error(run(*args), text)


def test_more_user_errors(tmp_path):
    repo = str(tmp_path / "repo")
    run("repo", "init", repo)
    assert_user_error(run("repo", "init", repo), "already holds a repository")
    assert_user_error(run("image", "backup", "--repo", repo, "--name", "x", str(tmp_path / "missing.img")),
                      "does not exist")
    assert_user_error(run("image", "restore", "--repo", repo, "0123456789abcdef", str(tmp_path / "t")),
                      "no restore point")
    assert_user_error(run("image", "backup", "--repo", repo, "--name", "x", "--label", "oops", str(tmp_path)),
                      "KEY=VALUE")
    usage = run()
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_check_exits_1_on_damage(tmp_path):
    repo = str(tmp_path / "repo")
    run("repo", "init", repo)
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(2 * MiB))
    assert run("image", "backup", "--repo", repo, "--name", "d", str(image)).returncode == 0
    pack = next(os.path.join(d, n) for d, _s, files in os.walk(os.path.join(repo, "data")) for n in files)
    with open(pack, "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\xff" * 8)
    check = run("repo", "check", "--repo", repo, "--read-data")
    assert check.returncode == 1
    assert "is damaged" in check.stdout and "used by restore point" in check.stdout
    restore = run("image", "restore", "--repo", repo,
                  json.loads(run("repo", "list", "--repo", repo, "--json").stdout)[0]["id"], str(tmp_path / "o"))
    # Workers fill a pack in the order they finish their batches: the damaged blob is one of the first ones.
    assert_user_error(restore, "volume 'image', offset ")
