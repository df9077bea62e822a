# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""End to end, image-booted: the demo's ``app-1`` (in ``az2``) and servers made here, through the ``az2`` proxy.

The root disk is captured with Nova ``createImage`` and read through a volume made from that image; on restore
the original Glance image is reused when the root disk is still exactly that image, else the backed-up root disk is
uploaded as a new image. A key pair, tags and metadata come back; a 10 GiB volume that is mostly empty is backed up
and restored without storing or writing its empty space. The repository of this module is encrypted.

The tests of this module run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import os
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from storage_backup.cloud import TEMPORARY_TAG, get_or_none
from storage_backup.cloud.waiting import wait_server, wait_volume, wait_volume_attached
from storage_backup.repository import PasswordRequired, Repository

from tests.functional.pipeline.support import allocated_bytes, volume_digest

SECRET = "pipeline-test-secret"
GIB = 1024 ** 3
MIB = 1024 * 1024
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


def _backup(cloud, server, **options):
    return cloud.backup(server, encrypted=True, repository_secret=SECRET, **options).result


def _restore(cloud, restore_point_id, project_id, zone="az2", **options):
    request = cloud.restore_request(restore_point_id, project_id, encrypted=True, repository_secret=SECRET,
                                    **options)
    return cloud.run("proxy.restore_instance", request, zone).result


def test_backup_of_an_image_booted_instance(pipeline_cloud):
    cloud = pipeline_cloud
    app = cloud.server_named("app-1")
    image = cloud.service.image.get_image(app.image.id)
    STATE.update(app=app, image=image, digest=volume_digest(cloud.root_disk(app.id)))

    result = _backup(cloud, app, strategy="full")
    STATE["rp"] = result["restore_point_id"]
    assert [v["volume_id"] for v in result["volumes"]] == ["root-disk"]
    assert result["volumes"][0]["size"] == 1 * GIB  # the m1.tiny root disk, captured whole
    assert result["consistency"] == "crash"
    metadata = result["metadata"]
    assert metadata["boot_source"] == "image"
    assert metadata["image"]["id"] == image.id
    assert metadata["image"]["checksum"] == image.checksum
    assert metadata["image"]["os_hash_value"] == image.hash_value
    assert metadata["image"]["properties"]["os_distro"] == "debian"
    assert metadata["availability_zone"] == "az2"
    # The createImage snapshot was a temporary image: gone, like its volume.
    assert cloud.leftovers() == {}
    with pytest.raises(PasswordRequired):
        Repository.open(cloud.repository)
    assert Repository.open(cloud.repository, password=SECRET).get_restore_point(STATE["rp"]).labels["name"] == "app-1"


def test_restore_reuses_the_original_image(pipeline_cloud):
    cloud, app = pipeline_cloud, STATE["app"]
    cloud.demo.compute.delete_server(app.id)
    result = _restore(cloud, STATE["rp"], app.project_id)
    assert result["image_reused"] is True
    assert result["image_id"] == STATE["image"].id
    server = cloud.service.compute.get_server(result["server_id"])
    assert server.image.id == STATE["image"].id
    assert (server.name, server.availability_zone) == ("app-1", "az2")
    assert server.flavor.original_name == "m1.tiny"
    assert volume_digest(cloud.root_disk(server.id)) == STATE["digest"]
    STATE["restored"] = server
    assert cloud.leftovers() == {}


def test_a_changed_root_disk_comes_back_through_a_new_image_with_key_pair_and_tags(pipeline_cloud):
    cloud, image = pipeline_cloud, STATE["image"]
    demo = cloud.demo
    public_key = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " alice@laptop"
    demo.compute.create_keypair(name="alice", public_key=public_key)
    network = next(demo.network.networks(name="demo-net"))
    created = demo.compute.create_server(
        name="shop-db", flavor_id="1", image_id=image.id, availability_zone="az2", networks=[{"uuid": network.id}],
        key_name="alice", metadata={"role": "db", "owner": "alice"}, tags=["gold", "pci"],
        description="the shop's database")
    server = wait_server(cloud.service, created.id, timeout=60)
    # The guest changes its root disk after boot: it is no longer the image.
    with open(cloud.root_disk(server.id), "r+b") as disk:
        disk.seek(300 * MIB)
        disk.write(b"INSERT INTO orders VALUES (42, 'gold');\n" * 2000)
    digest = volume_digest(cloud.root_disk(server.id))

    backup = _backup(cloud, server)
    assert backup["metadata"]["key_pair"]["public_key"] == public_key
    assert backup["metadata"]["tags"] == ["gold", "pci"]
    cloud.demo.compute.delete_server(server.id)
    demo.compute.delete_keypair("alice")  # gone too: the restore point has the public key

    result = _restore(cloud, backup["restore_point_id"], server.project_id)
    assert result["image_reused"] is False
    restored = cloud.service.compute.get_server(result["server_id"])
    assert volume_digest(cloud.root_disk(restored.id)) == digest
    uploaded = cloud.service.image.get_image(restored.image.id)
    assert uploaded.id == result["image_id"] != image.id
    assert uploaded.status == "active" and uploaded.owner == server.project_id
    assert uploaded.name == f"shop-db-root-{backup['restore_point_id'][:8]}"
    assert uploaded.os_distro == "debian"  # the original image's properties came along
    assert TEMPORARY_TAG not in (uploaded.properties or {})
    assert restored.key_name == "alice"
    assert sorted(restored.tags) == ["gold", "pci"]
    assert restored.metadata == {"role": "db", "owner": "alice"}
    assert restored.description == "the shop's database"
    # The key was imported for the service account only to boot the server; Nova keeps the instance's copy.
    assert get_or_none(cloud.service.compute.get_keypair, "alice") is None
    assert cloud.leftovers() == {}


def test_a_mostly_empty_10_gib_volume_is_neither_stored_nor_written_empty(pipeline_cloud):
    cloud, server = pipeline_cloud, STATE["restored"]
    volume = cloud.demo.block_storage.create_volume(size=10, name="archive", availability_zone="az2")
    wait_volume(cloud.service, volume.id, "available", timeout=60)
    cloud.demo.compute.create_volume_attachment(server.id, volume.id)
    wait_volume_attached(cloud.service, volume.id, server.id, timeout=60)
    with open(cloud.guest_device(server.id, volume.id), "r+b") as device:
        for offset in (0, 5 * GIB, 10 * GIB - MIB):
            device.seek(offset)
            device.write(os.urandom(MIB))
    digest = volume_digest(cloud.guest_device(server.id, volume.id))

    result = _backup(cloud, server)
    entry = next(v for v in result["volumes"] if v["volume_id"] == volume.id)
    assert entry["size"] == 10 * GIB
    assert entry["blocks_new"] == 3 * MIB // (256 * 1024)
    assert entry["bytes_read"] <= 16 * MIB  # holes are skipped, not read
    assert entry["bytes_stored"] < 4 * MIB  # 3 MiB of random data, nothing for the 10 GiB of zeros
    assert entry["bytes_zero"] >= 10 * GIB - 16 * MIB

    request = {"project_id": server.project_id, "restore_point_id": result["restore_point_id"],
               "destination": cloud.destination(encrypted=True), "repository_secret": SECRET,
               "volume_id": volume.id, "name": None, "availability_zone": "az2", "volume_type": None,
               "attach_to": None}
    restored = cloud.run("proxy.restore_volume", request, "az2").result
    assert restored["attached_to"] is None and restored["bytes_written"] == 3 * MIB
    new = cloud.service.block_storage.get_volume(restored["volume_id"])
    assert re.fullmatch(r"archive \(restored \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", new.name), new.name
    assert (new.size, new.status) == (10, "available")
    path = cloud.volume_file(restored["volume_id"])
    assert volume_digest(path) == digest
    assert allocated_bytes(path) < 16 * MIB  # the empty space was not written
    assert cloud.leftovers() == {}


def test_an_image_booted_instance_with_a_volume_comes_back_whole(pipeline_cloud):
    cloud, server = pipeline_cloud, STATE["restored"]
    result = _backup(cloud, server)
    digests = {a.volume_id: volume_digest(cloud.guest_device(server.id, a.volume_id))
               for a in cloud.service.compute.volume_attachments(server.id)}
    restored = _restore(cloud, result["restore_point_id"], server.project_id, name="app-1-whole")
    assert restored["image_reused"] is True  # the root disk is still the image; the archive volume is restored
    new_server = cloud.service.compute.get_server(restored["server_id"])
    assert new_server.image.id == STATE["image"].id
    assert volume_digest(cloud.root_disk(new_server.id)) == STATE["digest"]
    (original, new), = restored["volume_ids"].items()
    assert volume_digest(cloud.guest_device(new_server.id, new)) == digests[original]
    assert cloud.service.block_storage.get_volume(new).name.startswith("archive (restored ")
    assert cloud.leftovers() == {}


def test_an_image_with_the_same_checksum_is_reused_when_the_original_is_gone(pipeline_cloud):
    cloud, original = pipeline_cloud, STATE["image"]
    with open(os.path.join(cloud.state_dir, "images", original.id), "rb") as data:
        copy = cloud.demo.image.create_image(name="debian-12-mirror", disk_format="raw", container_format="bare",
                                             min_disk=1, min_ram=256, data=data, wait=True, timeout=60)
    copy = cloud.demo.image.get_image(copy.id)
    assert copy.status == "active" and copy.checksum == original.checksum
    cloud.admin.image.delete_image(original.id)

    result = _restore(cloud, STATE["rp"], STATE["app"].project_id, name="app-1-from-mirror")
    assert result["image_reused"] is True and result["image_id"] == copy.id
    server = cloud.service.compute.get_server(result["server_id"])
    assert server.image.id == copy.id
    assert volume_digest(cloud.root_disk(server.id)) == STATE["digest"]
    assert cloud.leftovers() == {}
