# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""On the genuine services: a server whose volumes share a Cinder group is backed up with one group snapshot
(Cinder's RBD driver has no group support of its own: Cinder's generic group snapshot takes it), and retention
deletes the restore points a policy no longer keeps, from the catalog and from the repository, with the prune after.
"""
from __future__ import annotations

import os

import pytest

from tests.functional.e2e.support import expect_api_error, wait_until
from tests.genuine.instances import grouped_server

STACK_SETTINGS = {"STORAGE_BACKUP_RETENTION_SECONDS": "2"}
MIB = 1024 * 1024
pytestmark = pytest.mark.timeout(600)


def _write_random(path: str, offset: int, size: int) -> None:
    with open(path, "r+b") as device:  # the guest writes (incompressible: it shows in the packs)
        device.seek(offset)
        device.write(os.urandom(size))
        device.flush()
        os.fsync(device.fileno())


def _pack_bytes(path: str) -> int:
    total = 0
    for root, _, names in os.walk(os.path.join(path, "data")):
        total += sum(os.stat(os.path.join(root, name)).st_blocks * 512 for name in names)
    return total


def test_one_group_snapshot_then_retention_keeps_the_last(stack):
    server, root, data = grouped_server(stack, stack.connect("demo-member"), "grouped-1")
    path = "/storage-backup-genuine/keep-one"
    repository = stack.on_data_plane(path)
    os.makedirs(repository)
    destination = stack.client("admin").destination_create(name="keep-one", path=path)
    member = stack.client()
    policy = member.policy_create(name="keep-one", destination_id=destination["id"], keep_last=1,
                                  strategy="incremental")
    member.protect(server.id, policy["id"])

    _write_random(stack.guest_device(server.id, data), 200 * MIB, 8 * MIB)
    job = stack.run_backup(server.id)
    first = member.restore_point_get(job["restore_point_id"])
    assert first["consistency"] == "group", first
    assert any(entry["step"] == "snapshot" and "group" in entry["message"] for entry in job["log"]), job["log"]
    assert stack.leftovers() == {}
    assert list(stack.service.block_storage.group_snapshots(all_projects=True)) == []

    _write_random(stack.guest_device(server.id, data), 200 * MIB, 8 * MIB)  # the same blocks, new data
    second = stack.run_backup(server.id)["restore_point_id"]
    assert _pack_bytes(repository) > 16 * MIB

    wait_until(lambda: [p["id"] for p in member.restore_point_list(instance_id=server.id)] == [second],
               timeout=60, what="retention to delete the older restore point")
    expect_api_error(404, member.restore_point_get, first["id"])
    deleted = wait_until(lambda: [j for j in member.job_list() if j["type"] == "delete" and j["state"] == "succeeded"],
                         timeout=60, what="the delete job on the data worker")
    assert deleted[0]["result"]["deleted"] == [first["id"]]
    assert first["id"] not in os.listdir(os.path.join(repository, "restore-points"))
    wait_until(lambda: _pack_bytes(repository) < 12 * MIB, timeout=60, what="the prune to give the space back")
    assert stack.wait_job(member.verify(second)["id"])["state"] == "succeeded"
    member.unprotect(server.id)
