# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""On the genuine services: a server whose volumes share a Cinder group is backed up with one group snapshot
(Cinder's RBD driver has no group support of its own: Cinder's generic group snapshot takes it) and keeps that group
snapshot whole as the volumes' Ceph base for the next, changed-block backup; and retention deletes the restore
points a policy no longer keeps, from the catalog and from the repository, with the prune after.
"""
from __future__ import annotations

import os

import pytest
from storage_backup.cloud import BASE_GROUP_TAG

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


def _base_group_snapshot(stack, server_id: str, volume_ids: set) -> dict:
    """The single group snapshot of the volumes' group in Cinder, which is the kept Ceph base of every volume of the
    server (its members tagged as the bases); ``{volume id: member snapshot id}``."""
    group_id = stack.service.block_storage.get_volume(next(iter(volume_ids))).group_id
    group_snapshots = [g.id for g in stack.service.block_storage.group_snapshots(details=True, all_projects=True)
                       if g.group_id == group_id]
    bases = stack.bases(server_id)
    assert set(bases) == volume_ids and all(len(members) == 1 for members in bases.values()), bases
    assert [{members[0].metadata[BASE_GROUP_TAG] for members in bases.values()}] == [set(group_snapshots)], \
        (group_snapshots, bases)
    return {volume_id: members[0].id for volume_id, members in bases.items()}


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
    # The one group snapshot left is the volumes' Ceph base, kept whole (Cinder deletes members only with it).
    first_base = _base_group_snapshot(stack, server.id, {root, data})

    _write_random(stack.guest_device(server.id, data), 200 * MIB, 8 * MIB)  # the same blocks, new data
    second_job = stack.run_backup(server.id)
    second = second_job["restore_point_id"]
    volumes = {volume["volume_id"]: volume for volume in second_job["result"]["volumes"]}
    assert volumes[data]["strategy"] == "changed-extents", volumes[data]
    assert f"since base snapshot {first_base[data]} " in volumes[data]["strategy_reason"], volumes[data]
    assert _pack_bytes(repository) > 16 * MIB
    second_base = _base_group_snapshot(stack, server.id, {root, data})  # the first one replaced as one
    assert set(second_base.values()).isdisjoint(first_base.values())

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
