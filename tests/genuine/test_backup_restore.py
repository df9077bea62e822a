# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The tenant's day on the genuine services, through the REST API only: a server booted from a Cinder RBD volume with
a second volume is backed up full, the guest writes, an incremental stores only the changed blocks (read where Ceph
says they changed: the tier's proxies back up with Ceph changed blocks), the server comes back whole in the other
zone and one volume alone — every disk byte for byte what it held at backup time.

The tests run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import os

import pytest

from tests.functional.pipeline.support import volume_digest
from tests.genuine.instances import boot_from_volume

BLOCK = 256 * 1024  # the repository's block size
STATE: dict = {}
pytestmark = pytest.mark.timeout(600)


def _digests(stack, server_id: str) -> dict:
    return {a.volume_id: volume_digest(stack.guest_device(server_id, a.volume_id))
            for a in stack.service.compute.volume_attachments(server_id)}


def _write(path: str, writes: list[tuple[int, bytes]]) -> None:
    """The guest writes to its disk."""
    with open(path, "r+b") as device:
        for offset, payload in writes:
            device.seek(offset)
            device.write(payload)
        device.flush()
        os.fsync(device.fileno())


def test_a_volume_booted_server_with_two_volumes_is_protected(stack):
    demo = stack.connect("demo-member")
    server, root, data = boot_from_volume(stack, demo, "db-1", zone="nova")
    _write(stack.guest_device(server.id, root), [(0, b"boot" * 128), (300 * 1024 * 1024, os.urandom(BLOCK * 3))])
    _write(stack.guest_device(server.id, data), [(4096, os.urandom(BLOCK)), (700 * 1024 * 1024, os.urandom(9000))])
    policy = stack.client().policy_create(name="genuine-daily", destination_id=stack.destination()["id"],
                                          strategy="incremental", keep_last=7, retention_lock_days=0)
    protected = stack.client().protect(server.id, policy["id"])
    assert (protected["policy_id"], protected["availability_zone"]) == (policy["id"], "nova")
    STATE.update(server=server, root=root, data=data, policy=policy)


def test_a_full_backup_reads_the_rbd_volumes_through_the_proxy(stack):
    server = STATE["server"]
    STATE["digests_1"] = _digests(stack, server.id)
    job = stack.run_backup(server.id)
    assert job["proxy"].startswith("proxy-nova@")
    point = stack.client().restore_point_get(job["restore_point_id"])
    assert point["strategy"] == "full" and point["instance_id"] == server.id
    assert {volume["volume_id"] for volume in point["volumes"]} == {STATE["root"], STATE["data"]}
    assert point["bytes_total"] == 2 * 1024 ** 3
    assert 0 < point["bytes_stored"] <= point["bytes_read"]
    STATE["rp_1"] = point
    assert stack.leftovers() == {}


def test_an_incremental_backup_stores_only_the_changed_blocks(stack):
    server, data = STATE["server"], STATE["data"]
    writes = [(64 * 1024 * 1024 + 512, os.urandom(4096)), (500 * 1024 * 1024, os.urandom(4096))]
    _write(stack.guest_device(server.id, data), writes)
    STATE["digests_2"] = _digests(stack, server.id)
    assert STATE["digests_2"][data] != STATE["digests_1"][data]
    job = stack.run_backup(server.id)
    point = stack.client().restore_point_get(job["restore_point_id"])
    assert point["strategy"] == "incremental"
    volumes = {volume["volume_id"]: volume for volume in point["volumes"]}
    # Changed blocks on (the tier's proxies ask Ceph): the volumes read only the extents Ceph names since the
    # base snapshot the full backup kept, so the per-volume strategy says changed-extents, not checksums.
    assert volumes[data]["strategy"] == "changed-extents" and volumes[data]["parent"] == STATE["rp_1"]["id"]
    assert volumes[data]["strategy_reason"].startswith("changed blocks from Ceph"), volumes[data]
    assert volumes[STATE["root"]]["strategy"] == "changed-extents", volumes[STATE["root"]]
    assert volumes[data]["blocks_new"] == len({offset // BLOCK for offset, _ in writes})
    assert volumes[STATE["root"]]["blocks_new"] == 0
    assert point["bytes_stored"] < STATE["rp_1"]["bytes_stored"] / 4
    STATE["rp_2"] = point
    assert stack.leftovers() == {}


def test_the_server_is_restored_whole_into_the_other_zone(stack):
    job = stack.run_restore(STATE["rp_2"]["id"], name="db-1-copy", availability_zone="az2")
    assert job["proxy"].startswith("proxy-az2@")
    server = stack.service.compute.get_server(job["result"]["server_id"])
    assert (server.name, server.availability_zone, server.status) == ("db-1-copy", "az2", "ACTIVE")
    assert server.project_id == STATE["server"].project_id
    restored = job["result"]["volume_ids"]
    assert set(restored) == {STATE["root"], STATE["data"]}
    for original, new in restored.items():
        assert stack.service.block_storage.get_volume(new).availability_zone == "az2"
        assert volume_digest(stack.guest_device(server.id, new)) == STATE["digests_2"][original]
    if stack.cloud.meta.get("networks"):  # the genuine Neutron: the copy has a port on the same network
        ports = list(stack.service.network.ports(device_id=server.id))
        originals = list(stack.service.network.ports(device_id=STATE["server"].id))
        assert [p.network_id for p in ports] == [p.network_id for p in originals] == \
            [stack.cloud.meta["networks"]["demo-net"]]
        assert ports[0].fixed_ips and ports[0].mac_address and ports[0].id != originals[0].id
    assert stack.leftovers() == {}


def test_a_single_volume_is_restored_from_the_first_restore_point(stack):
    job = stack.run_restore(STATE["rp_1"]["id"], volume_id=STATE["data"], name="db-1-data-before")
    volume = stack.service.block_storage.get_volume(job["result"]["volume_id"])
    assert (volume.name, volume.status, volume.availability_zone) == ("db-1-data-before", "available", "nova")
    assert volume.project_id == STATE["server"].project_id
    with stack.cloud.volume_file(volume.id) as path:
        assert volume_digest(path) == STATE["digests_1"][STATE["data"]]
    assert stack.leftovers() == {}
