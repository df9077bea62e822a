# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""An image-booted server with a data volume on the genuine services: its root disk goes through Nova's createImage
(the device-view driver uploads the disk to Glance, as libvirt would) and a Cinder volume made from that image;
backed up full, then incremental after the guest wrote to both disks; restored whole into the other zone, where
the root disk and the volume hold, byte for byte, what they held at the second backup, and the volume alone.
"""
from __future__ import annotations

import os

import pytest
from storage_backup.cloud.waiting import wait_volume, wait_volume_attached

from tests.functional.pipeline.support import volume_digest
from tests.genuine.instances import TIMEOUT, boot_from_image

MIB = 1024 * 1024
STATE: dict = {}
pytestmark = pytest.mark.timeout(600)


def _write(path: str, offset: int, payload: bytes) -> None:
    with open(path, "r+b") as device:  # the guest writes to its disk
        device.seek(offset)
        device.write(payload)
        device.flush()
        os.fsync(device.fileno())


def _digests(stack) -> dict:
    server, data = STATE["server"], STATE["data"]
    return {"root": volume_digest(stack.cloud.root_disk(server.id))[1],
            "data": volume_digest(stack.guest_device(server.id, data))}


def test_an_image_booted_server_with_a_data_volume_is_protected(stack):
    demo = stack.connect("demo-member")
    server = boot_from_image(stack, demo, "app-1", zone="nova")
    volume = demo.block_storage.create_volume(size=1, name="app-1-data", availability_zone="nova")
    wait_volume(stack.service, volume.id, "available", timeout=TIMEOUT)
    demo.compute.create_volume_attachment(server.id, volume_id=volume.id)
    wait_volume_attached(stack.service, volume.id, server.id, timeout=TIMEOUT)
    STATE.update(server=server, data=volume.id)
    _write(stack.cloud.root_disk(server.id), 2 * MIB, os.urandom(MIB))
    _write(stack.guest_device(server.id, volume.id), 100 * MIB, os.urandom(2 * MIB))
    policy = stack.client().policy_create(name="genuine-image", destination_id=stack.destination()["id"],
                                          strategy="incremental", keep_last=7, retention_lock_days=0)
    stack.client().protect(server.id, policy["id"])


def test_full_then_incremental(stack):
    server = STATE["server"]
    STATE["digests_1"] = _digests(stack)
    first = stack.client().restore_point_get(stack.run_backup(server.id)["restore_point_id"])
    assert first["strategy"] == "full" and len(first["volumes"]) == 2
    _write(stack.cloud.root_disk(server.id), 5 * MIB, os.urandom(4096))
    _write(stack.guest_device(server.id, STATE["data"]), 300 * MIB, os.urandom(4096))
    STATE["digests_2"] = _digests(stack)
    second = stack.client().restore_point_get(stack.run_backup(server.id)["restore_point_id"])
    assert second["strategy"] == "incremental"
    assert second["bytes_stored"] < first["bytes_stored"] / 4
    STATE["rp_2"] = second
    assert stack.leftovers() == {}


def test_restored_whole_into_the_other_zone(stack):
    job = stack.run_restore(STATE["rp_2"]["id"], name="app-1-copy", availability_zone="az2")
    server = stack.service.compute.get_server(job["result"]["server_id"])
    assert (server.name, server.availability_zone, server.status) == ("app-1-copy", "az2", "ACTIVE")
    assert not server.attached_volumes or all(v["id"] != STATE["data"] for v in server.attached_volumes)
    # Booted from an image (the original, or the backed-up root disk uploaded) in place of the first disk.
    assert volume_digest(stack.cloud.root_disk(server.id))[1] == STATE["digests_2"]["root"]
    data = job["result"]["volume_ids"][STATE["data"]]
    assert volume_digest(stack.guest_device(server.id, data)) == STATE["digests_2"]["data"]
    assert stack.leftovers() == {}


def test_its_data_volume_restored_alone(stack):
    job = stack.run_restore(STATE["rp_2"]["id"], volume_id=STATE["data"], name="app-1-data-copy",
                            availability_zone="az2")
    volume = stack.service.block_storage.get_volume(job["result"]["volume_id"])
    assert (volume.name, volume.status, volume.availability_zone) == ("app-1-data-copy", "available", "az2")
    with stack.cloud.volume_file(volume.id) as path:
        assert volume_digest(path) == STATE["digests_2"]["data"]
    assert stack.leftovers() == {}
