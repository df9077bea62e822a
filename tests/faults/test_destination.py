# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The destination fails: full (ENOSPC) or gone (unreachable) in the middle of a write; a chunk corrupted or missing
after the fact. Each drill has a destination of its own."""
from __future__ import annotations

import os
import subprocess

import pytest

from tests.faults.matrix import (
    own_destination,
    pausing_worker,
    plain_worker,
    points_of,
    protected_instance,
    recover,
    wait_step,
)


def _mount_tmpfs(path: str, size: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], check=True)


@pytest.mark.fault("destination full (ENOSPC) in the middle of a write",
                   "job failed saying the destination is full; nothing half-written; works once space is freed")
def test_destination_full(stack, drill):
    policy, real = own_destination(stack, "matrix-full")
    _mount_tmpfs(real, "2m")  # room for the repository's small files, not for the instance's 8 MiB of data
    try:
        server = protected_instance(stack, policy, "dest-full", data_mib=8)
        before = points_of(stack, server["id"])
        drill.restart_clock()
        job = stack.wait_job(stack.client().backup_create(server["id"])["id"], timeout=90)
        assert job["state"] == "failed" and "destination is full" in job["error"], job
        assert not [name for _, _, files in os.walk(real) for name in files if name.startswith(".tmp-")]
        subprocess.run(["mount", "-o", "remount,size=256m", real], check=True)  # the operator makes room
        recover(stack, drill, server["id"], job, before, repository=real)
    finally:
        subprocess.run(["umount", "-l", real], check=False)


@pytest.mark.fault("destination unreachable (its mount gone) while committing",
                   "job failed naming the destination as unreachable; works once it is back")
def test_destination_unreachable(stack, drill):
    policy, real = own_destination(stack, "matrix-gone")
    server = protected_instance(stack, policy, "dest-gone")
    stack.run_backup(server["id"])  # the repository exists and holds a restore point
    before = points_of(stack, server["id"])
    pausing_worker(stack, "nova", "commit=5")
    try:
        job = stack.client().backup_create(server["id"])
        wait_step(stack, job["id"], "commit")
        drill.restart_clock()
        os.rename(real, real + ".away")
        job = stack.wait_job(job["id"], timeout=90)
        os.rename(real + ".away", real)  # the mount is back
    finally:
        plain_worker(stack, "nova")
    assert job["state"] == "failed", job
    recover(stack, drill, server["id"], job, before, repository=real)


def _packs(real: str) -> list[str]:
    data = os.path.join(real, "data")
    return sorted(os.path.join(folder, name) for folder, _, files in os.walk(data) for name in files
                  if not name.startswith(".tmp-"))


def _largest_pack(real: str) -> str:
    return max(_packs(real), key=os.path.getsize)


@pytest.mark.parametrize("damage", ["corrupted", "missing"])
@pytest.mark.fault("a chunk of the repository corrupted (one byte flipped) or missing (its pack deleted)",
                   "verify fails naming the damage; the next backup stores the chunk again and verifies")
def test_damaged_chunk(stack, drill, damage):
    policy, real = own_destination(stack, f"matrix-{damage}")
    server = protected_instance(stack, policy, f"chunk-{damage}", data_mib=6)
    first = stack.run_backup(server["id"])
    pack = _largest_pack(real)
    if damage == "corrupted":
        with open(pack, "r+b") as handle:
            handle.seek(os.path.getsize(pack) // 2)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0xFF]))
    else:
        os.unlink(pack)
    before = points_of(stack, server["id"])
    drill.restart_clock()
    verify = stack.wait_job(stack.client().verify(first["restore_point_id"])["id"], timeout=90)
    assert verify["state"] == "failed", verify
    following = recover(stack, drill, server["id"], verify, before, repository=real)
    # The new restore point does not lean on the damaged chunk: it verifies.
    check = stack.wait_job(stack.client().verify(following["restore_point_id"])["id"], timeout=90)
    assert check["state"] == "succeeded", check
