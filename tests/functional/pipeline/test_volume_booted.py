# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""End to end, boot-from-volume: the demo's ``web-1`` (two ext4 volumes) through real proxy workers.

Full backup, a guest's writes then an incremental backup that stores only the changed blocks, a volume grown
between backups (incremental over the old size), then the instance and its volumes deleted and restored — every
volume compared byte for byte with what it held at backup time — an older restore point restored into ``az2``
through the ``az2`` proxy, and one volume restored alone and attached to an instance.

The tests of this module run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import os
import re

import pytest
from storage_backup.cloud import TEMPORARY_TAG
from storage_backup.cloud.waiting import wait_volume

from tests.functional.pipeline.support import volume_digest

BLOCK = 256 * 1024  # the repository's block size (DEFAULT_BLOCK_SIZE)
MIB = 1024 * 1024
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


def _digests(cloud, server_id: str) -> dict:
    """What the guest sees on each of its volumes now: ``{volume id: (size, digest)}``."""
    return {a.volume_id: volume_digest(cloud.guest_device(server_id, a.volume_id))
            for a in cloud.service.compute.volume_attachments(server_id)}


def _guest_write(cloud, server_id: str, volume_id: str, writes: list[tuple[int, bytes]]) -> None:
    with open(cloud.guest_device(server_id, volume_id), "r+b") as device:
        for offset, data in writes:
            device.seek(offset)
            device.write(data)
        device.flush()
        os.fsync(device.fileno())


def _volume(result: dict, volume_id: str) -> dict:
    return next(v for v in result["volumes"] if v["volume_id"] == volume_id)


def test_full_backup_of_a_volume_booted_instance(pipeline_cloud):
    cloud = pipeline_cloud
    web = cloud.server_named("web-1")
    attachments = list(cloud.service.compute.volume_attachments(web.id))
    root = next(a.volume_id for a in attachments if a.device == "/dev/vda")
    data = next(a.volume_id for a in attachments if a.device != "/dev/vda")
    STATE.update(web=web, root=root, data=data)
    STATE["image_name"] = (cloud.service.block_storage.get_volume(root).volume_image_metadata or {}).get("image_name")
    assert STATE["image_name"], "web-1 boots from a volume made from an image"
    STATE["digests_1"] = _digests(cloud, web.id)

    outcome = cloud.backup(web, strategy="full")
    result = outcome.result
    STATE["rp_1"] = result["restore_point_id"]
    assert result["consistency"] == "per-volume"  # two volumes, no Cinder group: snapshots taken back to back
    assert [v["volume_id"] for v in result["volumes"]] == [root, data]  # boot disk first
    for volume in result["volumes"]:
        assert volume["strategy"] == "full"
        assert volume["blocks_new"] > 0
    assert _volume(result, root)["size"] == 2 * 1024 ** 3
    assert result["bytes_stored"] < 4 * 1024 * 1024  # compressed, and the empty space is never stored
    metadata = result["metadata"]
    assert metadata["name"] == "web-1" and metadata["availability_zone"] == "nova"
    assert metadata["flavor"]["name"] == "m1.small" and metadata["flavor"]["id"] == "2"
    assert metadata["metadata"] == {"tier": "web"}
    assert metadata["nics"][0]["network_name"] == "demo-net" and metadata["nics"][0]["mac_address"]
    assert {g["name"] for g in metadata["security_groups"]} == {"default"}
    boot = metadata["block_device_mapping"][0]
    assert (boot["volume_id"], boot["boot_index"], boot["bootable"]) == (root, 0, True)
    assert boot["image_id"]  # the image web-1-root was made from, as Cinder remembers it

    # Progress reached the task state while it ran, with every field the panels read.
    assert outcome.progress, "no PROGRESS report was seen"
    steps = [p["step"] for p in outcome.progress]
    assert "snapshot" in steps and "read" in steps
    for report in outcome.progress:
        assert set(report) >= {"percent", "bytes_read", "bytes_stored", "bytes_total", "rate", "eta", "step"}
    assert {entry["step"] for entry in result["log"]} >= {"inspect", "snapshot", "prepare", "attach", "read",
                                                           "commit"}
    assert cloud.leftovers() == {}


def test_incremental_backup_stores_only_the_changed_blocks(pipeline_cloud):
    cloud, web, data = pipeline_cloud, STATE["web"], STATE["data"]
    # A guest rewrites 4 KiB in three places, each in a different repository block.
    writes = [(100 * 1024 * 1024 + 512, os.urandom(4096)), (300 * 1024 * 1024, os.urandom(4096)),
              (700 * 1024 * 1024 + 8192, os.urandom(4096))]
    _guest_write(cloud, web.id, data, writes)
    changed_blocks = {offset // BLOCK for offset, _ in writes}
    STATE["digests_2"] = _digests(cloud, web.id)

    result = cloud.backup(web, strategy="incremental").result
    STATE["rp_2"] = result["restore_point_id"]
    data_volume, root_volume = _volume(result, data), _volume(result, STATE["root"])
    assert data_volume["strategy"] == "incremental" and data_volume["parent"] == STATE["rp_1"]
    assert data_volume["blocks_new"] == len(changed_blocks)
    assert root_volume["blocks_new"] == 0
    # Each changed block is stored compressed; the rest of what was stored is the changed map segments.
    assert data_volume["bytes_stored"] <= len(changed_blocks) * BLOCK
    assert root_volume["bytes_stored"] < 64 * 1024
    assert cloud.leftovers() == {}


def test_a_volume_grown_between_backups_stays_incremental(pipeline_cloud):
    cloud, web, data = pipeline_cloud, STATE["web"], STATE["data"]
    cloud.demo.block_storage.extend_volume(data, 2)  # in use: Cinder 3.42+
    wait_volume(cloud.service, data, "in-use", timeout=60)
    assert cloud.demo.block_storage.get_volume(data).size == 2
    writes = [(1536 * 1024 * 1024, os.urandom(8192))]  # the guest uses the new space
    _guest_write(cloud, web.id, data, writes)
    STATE["digests_3"] = _digests(cloud, web.id)

    result = cloud.backup(web).result
    STATE["rp_3"] = result["restore_point_id"]
    data_volume = _volume(result, data)
    assert data_volume["size"] == 2 * 1024 ** 3
    assert data_volume["strategy"] == "incremental"
    assert data_volume["blocks_new"] == 1  # the old gigabyte unchanged, the new one all zero but one block
    assert any("grew from" in note for note in data_volume["notes"])
    assert cloud.leftovers() == {}


def test_restore_after_the_instance_and_its_volumes_are_deleted(pipeline_cloud):
    cloud, web = pipeline_cloud, STATE["web"]
    original_ip = web.addresses["demo-net"][0]["addr"]
    cloud.delete_server_and_volumes(web)

    request = cloud.restore_request(STATE["rp_3"], web.project_id)
    result = cloud.run("proxy.restore_instance", request, "nova").result
    server = cloud.service.compute.get_server(result["server_id"])
    assert server.status == "ACTIVE" and server.name == "web-1"
    assert server.project_id == web.project_id  # made in the tenant's project, not the service's
    assert server.availability_zone == "nova"
    assert server.flavor.original_name == "m1.small"
    assert server.metadata == {"tier": "web"}
    assert server.addresses["demo-net"][0]["addr"] == original_ip  # the fixed IP was free again: kept
    assert {g["name"] for g in server.security_groups} == {"default"}
    assert result["image_reused"] is False

    new_ids = result["volume_ids"]
    assert set(new_ids) == {STATE["root"], STATE["data"]}
    attachments = {a.volume_id: a for a in cloud.service.compute.volume_attachments(server.id)}
    assert attachments[new_ids[STATE["root"]]].device == "/dev/vda"  # boot order kept
    for original, new in new_ids.items():
        volume = cloud.service.block_storage.get_volume(new)
        assert volume.project_id == web.project_id
        assert TEMPORARY_TAG not in volume.metadata
        assert not volume.name.startswith("storage-backup-")
        assert volume.availability_zone == "nova"
        # Byte for byte what the guest had at the time of the backup, as the restored guest sees it.
        assert volume_digest(cloud.guest_device(server.id, new)) == STATE["digests_3"][original]
    root = cloud.service.block_storage.get_volume(new_ids[STATE["root"]])
    # told apart from the original in the Volumes panel, and still saying which image it was made from (issue 14)
    assert re.fullmatch(r"web-1-root \(restored \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", root.name), root.name
    assert (root.volume_image_metadata or {}).get("image_name") == STATE["image_name"]
    assert root.is_bootable is True
    STATE["restored"] = server
    assert cloud.leftovers() == {}


def test_restore_an_older_restore_point_into_another_zone_with_other_flavor_network_and_type(pipeline_cloud):
    cloud, web = pipeline_cloud, STATE["web"]
    network = cloud.demo.network.create_network(name="demo-net-2")
    cloud.demo.network.create_subnet(network_id=network.id, cidr="10.0.20.0/24", ip_version=4,
                                     name="demo-subnet-2")
    demo_net = next(cloud.demo.network.networks(name="demo-net"))
    request = cloud.restore_request(STATE["rp_2"], web.project_id, name="web-1-az2", availability_zone="az2",
                                    flavor_id="3", network_mapping={demo_net.id: network.id},
                                    volume_types={STATE["data"]: "ssd"})
    outcome = cloud.run("proxy.restore_instance", request, "az2")
    result = outcome.result
    assert "proxy-az2@" in result["log"][0]["message"]  # the az2 worker did it, attaching to its own proxy
    server = cloud.service.compute.get_server(result["server_id"])
    assert (server.name, server.availability_zone, server.status) == ("web-1-az2", "az2", "ACTIVE")
    assert server.flavor.original_name == "m1.medium"
    assert list(server.addresses) == ["demo-net-2"]
    assert server.addresses["demo-net-2"][0]["addr"].startswith("10.0.20.")
    for original, new in result["volume_ids"].items():
        volume = cloud.service.block_storage.get_volume(new)
        assert volume.availability_zone == "az2"
        assert volume.volume_type == ("ssd" if original == STATE["data"] else "__DEFAULT__")
        assert volume_digest(cloud.guest_device(server.id, new)) == STATE["digests_2"][original]
    assert cloud.leftovers() == {}


def test_restore_one_volume_and_attach_it_to_an_instance(pipeline_cloud):
    cloud, web, restored = pipeline_cloud, STATE["web"], STATE["restored"]
    request = {"project_id": web.project_id, "restore_point_id": STATE["rp_1"],
               "destination": cloud.destination(), "repository_secret": None, "volume_id": STATE["data"],
               "name": "web-1-data-monday", "availability_zone": "nova", "volume_type": "ssd",
               "attach_to": restored.id}
    result = cloud.run("proxy.restore_volume", request, "nova").result
    assert result["attached_to"] == restored.id
    volume = cloud.service.block_storage.get_volume(result["volume_id"])
    assert (volume.name, volume.volume_type, volume.status) == ("web-1-data-monday", "ssd", "in-use")
    assert volume.attachments[0]["server_id"] == restored.id
    assert volume_digest(cloud.guest_device(restored.id, result["volume_id"])) == \
        STATE["digests_1"][STATE["data"]]
    assert cloud.leftovers() == {}


def test_volumes_in_a_consistent_group_are_snapshotted_together(pipeline_cloud):
    cloud = pipeline_cloud
    server, _, data = cloud.grouped_server("db-1")
    _guest_write(cloud, server.id, data.id, [(4096, os.urandom(MIB))])
    digests = _digests(cloud, server.id)

    result = cloud.backup(server, strategy="full").result
    assert result["consistency"] == "group"
    assert result["metadata"]["consistency"]["group_snapshot"]
    assert any("one Cinder group snapshot" in entry["message"] for entry in result["log"])
    assert cloud.leftovers() == {}  # the group snapshot went too

    restored = cloud.run("proxy.restore_instance", cloud.restore_request(
        result["restore_point_id"], server.project_id, name="db-1-restored"), "nova").result
    restored_server = cloud.service.compute.get_server(restored["server_id"])
    for original, new in restored["volume_ids"].items():
        assert volume_digest(cloud.guest_device(restored_server.id, new)) == digests[original]
    assert cloud.leftovers() == {}
