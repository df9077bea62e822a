# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Ceph changed-block backups, the whole product on the real Ceph of this tier (``ceph`` fixture, cephx on).

The embedded cloud keeps its volumes in the tier's pool as Cinder's RBD driver does; the proxies back up with
``STORAGE_BACKUP_CHANGED_BLOCKS=ceph``; the diff worker beside Ceph answers as the read-only cephx user (``profile
rbd-read-only``); the sweeper runs every 2 s throughout, so every test also checks it never removes a live base.

A chain full → changed blocks → checksum (its base deleted by hand) → changed blocks restores byte for byte at each
step; every fallback the product promises is met for real (base gone, volume resized, diff worker away) and said in
the restore point; a group-snapshotted instance keeps one group snapshot as its base; unprotecting an instance makes
its base an orphan the sweeper removes. The tests run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import hashlib
import os

import pytest
from storage_backup.cloud import BASE_GROUP_TAG, BASE_INSTANCE_TAG, base_name, base_of
from storage_backup_sandbox.launch import CephDiffWorkerProcess

from tests.functional.e2e.support import Stack, wait_until
from tests.support.instances import create_instance

MiB = 1 << 20
GiB = 1 << 30
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)
STACK_SETTINGS = {"STORAGE_BACKUP_SWEEPER_SECONDS": "2"}
WORKER_SETTINGS = {"STORAGE_BACKUP_CHANGED_BLOCKS": "ceph", "STORAGE_BACKUP_TIMEOUT_DIFF": "8",
                   "STORAGE_BACKUP_CHANGED_BLOCKS_SAMPLE": "16"}


@pytest.fixture(scope="module")
def stack(ceph, tmp_path_factory):
    base = str(tmp_path_factory.mktemp("ceph-e2e"))
    stack = Stack(base, settings=STACK_SETTINGS, worker_settings=WORKER_SETTINGS, rbd=ceph.rbd_settings())
    stack.diff_worker = None
    try:
        stack.start()
        stack.diff_worker = start_diff_worker(stack, ceph)
        yield stack
    finally:
        if stack.diff_worker is not None:
            stack.diff_worker.stop()
        stack.stop()


def start_diff_worker(stack: Stack, ceph) -> CephDiffWorkerProcess:
    """The diff worker as a deployment runs it: the read-only cephx user, the volumes' pool, no cloud account."""
    return CephDiffWorkerProcess(stack.redis.url, os.path.join(stack.base_dir, "logs"), ceph.conf, [ceph.pool],
                                 client=ceph.readonly_id, keyring=ceph.readonly_keyring,
                                 ceph_pythonpath=ceph.python_path, timeout=10).start(timeout=60)


def write_guest(stack: Stack, server_id: str, volume_id: str, offset: int, data: bytes) -> None:
    """The guest writes ``data`` at ``offset`` of its disk (through its device: the RBD image, by rbd-fuse). A new
    server is ACTIVE a moment before its volume's attach completes (as in Nova): its device shows up then."""
    device = stack.guest_device(server_id, volume_id)
    wait_until(lambda: os.path.exists(device), timeout=30, what=f"the guest's device {device}")
    with open(device, "r+b") as disk:
        disk.seek(offset)
        disk.write(data)
        disk.flush()
        os.fsync(disk.fileno())


def image_digest(ceph, volume_id: str) -> dict[int, str]:
    """sha256 of every non-zero 1 MiB block of the volume's RBD image (as Cinder names it), by offset: a mismatch
    names the blocks that differ."""
    digests = {}
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, f"volume-{volume_id}", read_only=True) as image:
        size = image.size()
        for offset in range(0, size, MiB):
            block = image.read(offset, min(MiB, size - offset))
            if block.strip(b"\0"):
                digests[offset] = hashlib.sha256(block).hexdigest()
    return digests


def differences(restored: dict[int, str], original: dict[int, str]) -> str:
    """Which MiB of a restore differ from the original: missing, extra, or with other bytes."""
    def what(offset: int) -> str:
        return "missing" if offset not in restored else "extra" if offset not in original else "differs"

    return ", ".join(f"{offset // MiB} MiB {what(offset)}" for offset in sorted(restored.keys() | original.keys())
                     if restored.get(offset) != original.get(offset))


def bases(stack: Stack, volume_id: str) -> list:
    return [s for s in stack.service.block_storage.snapshots(details=True, all_projects=True, volume_id=volume_id)
            if base_of(s)]


def volume_result(job: dict, volume_id: str) -> dict:
    return next(v for v in job["result"]["volumes"] if v["volume_id"] == volume_id)


def restored_digest(stack: Stack, ceph, restore_point_id: str, volume_id: str) -> dict[int, str]:
    job = stack.run_restore(restore_point_id, volume_id=volume_id, name=f"restored-{restore_point_id[:8]}")
    return image_digest(ceph, job["result"]["volume_id"])


def test_a_first_backup_is_full_and_keeps_its_snapshot_as_the_base(stack, ceph):
    server = create_instance(stack.handle.session("demo-member"), name="cbt-1")
    volume_id = server["os-extended-volumes:volumes_attached"][0]["id"]
    policy = stack.policy(name="cbt", strategy="incremental")
    stack.client().protect(server["id"], policy["id"])
    write_guest(stack, server["id"], volume_id, 1 * MiB, os.urandom(6 * MiB))
    STATE.update(server=server, volume=volume_id, policy=policy, digests=[], points=[], reasons=[])

    job = stack.run_backup(server["id"])
    volume = volume_result(job, volume_id)
    assert volume["strategy"] == "full"
    assert "kept as the Ceph base" in volume["strategy_reason"]
    kept = bases(stack, volume_id)
    assert [(s.id, s.name, s.status) for s in kept] == [(kept[0].id, base_name(volume_id), "available")]
    assert kept[0].metadata[BASE_INSTANCE_TAG] == server["id"]
    STATE["points"].append(job["result"]["restore_point_id"])
    STATE["digests"].append(image_digest(ceph, volume_id))
    STATE["reasons"].append(f"{volume['strategy']}: {volume['strategy_reason']} (read {volume['bytes_read']} bytes)")
    STATE["base"] = kept[0].id
    assert stack.leftovers() == {}


def test_the_next_backup_reads_only_what_ceph_says_changed(stack, ceph):
    server_id, volume_id = STATE["server"]["id"], STATE["volume"]
    write_guest(stack, server_id, volume_id, 300 * MiB, os.urandom(300 * 1024))
    job = stack.run_backup(server_id)
    volume = volume_result(job, volume_id)
    assert volume["strategy"] == "changed-extents", volume
    assert volume["strategy_reason"].startswith("changed blocks from Ceph: 1 extent(s)"), volume["strategy_reason"]
    assert STATE["base"] in volume["strategy_reason"]
    assert volume["sampled_blocks"] == 16 and volume["sample_mismatches"] == 0
    # One 4 MiB RADOS object changed, and the sample: a 1 GiB volume read in under 1 %.
    assert volume["bytes_read"] <= 4 * MiB + 16 * 256 * 1024, volume
    kept = bases(stack, volume_id)
    assert len(kept) == 1 and kept[0].id != STATE["base"], "the older base is deleted once the new one is kept"
    STATE["base"] = kept[0].id
    STATE["points"].append(job["result"]["restore_point_id"])
    STATE["digests"].append(image_digest(ceph, volume_id))
    STATE["reasons"].append(f"{volume['strategy']}: {volume['strategy_reason']} (read {volume['bytes_read']} bytes)")
    point = stack.client().restore_point_get(job["result"]["restore_point_id"])
    assert point["strategy"] == "incremental"
    assert point["volumes"][0]["strategy_reason"] == volume["strategy_reason"]  # what Horizon shows
    assert stack.leftovers() == {}


def test_a_base_deleted_by_hand_means_a_checksum_backup_that_says_so(stack, ceph):
    server_id, volume_id = STATE["server"]["id"], STATE["volume"]
    stack.service.block_storage.delete_snapshot(STATE["base"])
    wait_until(lambda: not bases(stack, volume_id), timeout=30, what="the base to be deleted")
    write_guest(stack, server_id, volume_id, 500 * MiB, os.urandom(2 * MiB))
    job = stack.run_backup(server_id)
    volume = volume_result(job, volume_id)
    assert volume["strategy"] == "incremental"
    assert volume["strategy_reason"] == (f"checksum: its base snapshot {STATE['base']} is gone; snapshot "
                                         f"{bases(stack, volume_id)[0].id} kept as the Ceph base of the next backup")
    assert volume["bytes_read"] == GiB  # every block, compared by checksum
    assert volume["bytes_stored"] < 4 * MiB
    STATE["base"] = bases(stack, volume_id)[0].id
    STATE["points"].append(job["result"]["restore_point_id"])
    STATE["digests"].append(image_digest(ceph, volume_id))
    STATE["reasons"].append(f"{volume['strategy']}: {volume['strategy_reason']} (read {volume['bytes_read']} bytes)")


def test_and_the_one_after_it_reads_changed_blocks_again(stack, ceph):
    server_id, volume_id = STATE["server"]["id"], STATE["volume"]
    write_guest(stack, server_id, volume_id, 2 * MiB, os.urandom(64 * 1024))
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, f"volume-{volume_id}") as image:
        image.discard(8 * MiB, 4 * MiB)  # the guest trims a whole object: zeros, never read
    job = stack.run_backup(server_id)
    volume = volume_result(job, volume_id)
    assert volume["strategy"] == "changed-extents", volume
    assert volume["bytes_read"] <= 4 * MiB + 16 * 256 * 1024
    STATE["points"].append(job["result"]["restore_point_id"])
    STATE["digests"].append(image_digest(ceph, volume_id))
    STATE["reasons"].append(f"{volume['strategy']}: {volume['strategy_reason']} (read {volume['bytes_read']} bytes)")
    assert len(bases(stack, volume_id)) == 1


def test_every_restore_point_of_the_chain_restores_byte_for_byte(stack, ceph):
    assert len(STATE["points"]) == 4
    for number, (point, digest) in enumerate(zip(STATE["points"], STATE["digests"], strict=True), 1):
        restored = restored_digest(stack, ceph, point, STATE["volume"])
        assert restored == digest, (f"restore point {number} of the chain ({point}): {differences(restored, digest)}; "
                                    f"{STATE['reasons'][number - 1]}")
    assert stack.leftovers() == {}


def test_a_resized_volume_is_read_whole_and_says_why(stack, ceph):
    server_id, volume_id = STATE["server"]["id"], STATE["volume"]
    session = stack.handle.session("demo-member")
    response = session.post(f"/volumes/{volume_id}/action", endpoint_filter={"service_type": "block-storage"},
                            json={"os-extend": {"new_size": 2}}, headers={"OpenStack-API-Version": "volume 3.42"},
                            raise_exc=False)
    assert response.status_code == 202, response.text
    wait_until(lambda: stack.service.block_storage.get_volume(volume_id).size == 2, timeout=30,
               what="the volume to be extended")
    job = stack.run_backup(server_id)
    volume = volume_result(job, volume_id)
    assert volume["strategy"] == "incremental"
    assert "resized from 1 to 2 GiB since the base" in volume["strategy_reason"]
    assert volume_result(stack.run_backup(server_id), volume_id)["strategy"] == "changed-extents"


def test_a_retyped_volume_is_read_whole_and_says_why(stack, ceph):
    server_id, volume_id = STATE["server"]["id"], STATE["volume"]
    before = stack.service.block_storage.get_volume(volume_id).volume_type
    response = stack.handle.session("demo-member").post(
        f"/volumes/{volume_id}/action", endpoint_filter={"service_type": "block-storage"},
        json={"os-retype": {"new_type": "ssd", "migration_policy": "never"}}, raise_exc=False)
    assert response.status_code == 202, response.text
    job = stack.run_backup(server_id)
    volume = volume_result(job, volume_id)
    assert volume["strategy"] == "incremental"
    assert f"retyped from {before} to ssd since the base" in volume["strategy_reason"]
    assert volume_result(stack.run_backup(server_id), volume_id)["strategy"] == "changed-extents"


def test_with_the_diff_worker_away_a_backup_compares_checksums_and_says_so(stack, ceph):
    server_id, volume_id = STATE["server"]["id"], STATE["volume"]
    stack.diff_worker.stop()
    try:
        job = stack.run_backup(server_id)
    finally:
        stack.diff_worker = start_diff_worker(stack, ceph)
    volume = volume_result(job, volume_id)
    assert volume["strategy"] == "incremental"
    assert "gave no answer within 8 s" in volume["strategy_reason"]
    # Not known to be in Ceph this time: its snapshot was not kept; the recorded base is the one before.
    assert len(bases(stack, volume_id)) == 1
    assert volume_result(stack.run_backup(server_id), volume_id)["strategy"] == "incremental", \
        "the last restore point recorded no base: checksums once more, then a base again"
    assert volume_result(stack.run_backup(server_id), volume_id)["strategy"] == "changed-extents"


def test_a_group_snapshotted_instance_keeps_its_group_snapshot_as_the_base(stack, ceph):
    server, root, data = stack.grouped_server("cbt-db")
    stack.client().protect(server.id, STATE["policy"]["id"])
    first = stack.run_backup(server.id)
    assert first["result"]["consistency"] == "group"
    groups = {bases(stack, v.id)[0].metadata[BASE_GROUP_TAG] for v in (root, data)}
    assert len(groups) == 1
    write_guest(stack, server.id, data.id, 0, os.urandom(100 * 1024))
    second = stack.run_backup(server.id)
    assert {volume_result(second, v.id)["strategy"] for v in (root, data)} == {"changed-extents"}
    new_groups = {bases(stack, v.id)[0].metadata[BASE_GROUP_TAG] for v in (root, data)}
    assert len(new_groups) == 1 and new_groups != groups
    kept = [g.id for g in stack.service.block_storage.group_snapshots(all_projects=True)]
    assert kept == list(new_groups), "the older group snapshot is deleted with its members"
    assert stack.leftovers() == {}
    STATE["group_server"] = server.id


def test_unprotecting_an_instance_makes_its_base_an_orphan_the_sweeper_removes(stack, ceph):
    volume_id = STATE["volume"]
    assert len(bases(stack, volume_id)) == 1  # alive through every sweep so far (every 2 s)
    stack.client().unprotect(STATE["server"]["id"])
    wait_until(lambda: not bases(stack, volume_id), timeout=30, what="the sweeper to remove the orphaned base")
    stack.client().unprotect(STATE["group_server"])
    wait_until(lambda: not list(stack.service.block_storage.group_snapshots(all_projects=True)), timeout=30,
               what="the sweeper to remove the orphaned group snapshot")
