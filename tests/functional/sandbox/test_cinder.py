# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder of the embedded cloud driven by python-cinderclient over HTTP: real data, real constraints, tenancy.

The backup product relies on what these tests prove: volumes are sparse files, a snapshot freezes the volume's bytes
at the moment it is taken, a volume made from a snapshot holds exactly those bytes, attached volumes and snapshots
with dependent volumes cannot be deleted.
"""
from __future__ import annotations

import io
import json
import os
import struct
import uuid

import pytest
from cinderclient import exceptions
from storage_backup_sandbox.blockdev import allocated_bytes

from tests.functional.sandbox.volume_helpers import (
    GIB,
    blocks,
    cinder,
    files_equal,
    glance,
    new_snapshot,
    new_volume,
    private_sandbox,
    read_at,
    wait_for,
    wait_gone,
    write_at,
)


@pytest.fixture(scope="module")
def member(sandbox):
    return cinder(sandbox, "demo-member")


def attach_to_fake_server(client, volume_id: str) -> str:
    """Cinder's side of a Nova attach (os-reserve then os-attach), for a server id Cinder cannot check."""
    server_id = str(uuid.uuid4())
    client.volumes.reserve(volume_id)
    client.volumes.attach(volume_id, server_id, "/dev/vdb")
    wait_for(lambda: client.volumes.get(volume_id), "in-use")
    return server_id


def detach(client, volume_id: str) -> None:
    attachment = client.volumes.get(volume_id).attachments[0]
    client.volumes.begin_detaching(volume_id)
    client.volumes.detach(volume_id, attachment["attachment_id"])
    wait_for(lambda: client.volumes.get(volume_id), "available")


def delete_volume(client, volume_id: str) -> None:
    client.volumes.delete(volume_id)
    wait_gone(lambda: client.volumes.get(volume_id))


def test_versions_documents(sandbox):
    session = sandbox.session("demo-member")
    root = session.get(sandbox.url + "/volume/", raise_exc=False)
    assert root.status_code == 300
    assert root.json()["versions"][0]["version"] == "3.71"
    assert session.get(sandbox.url + "/volume/v3/").json()["versions"][0]["min_version"] == "3.0"


def test_blank_volume_is_a_sparse_file_of_its_size(sandbox, member):
    volume = member.volumes.create(10, name="big-and-empty")
    assert volume.status == "creating"
    volume = wait_for(lambda: member.volumes.get(volume.id), "available")
    path = blocks(sandbox).volume_path(volume.id)
    assert os.path.getsize(path) == 10 * GIB
    assert allocated_bytes(path) < 1024 * 1024
    delete_volume(member, volume.id)
    assert not os.path.exists(path)


def test_snapshot_freezes_content_and_volume_from_snapshot_has_it(sandbox, member):
    volume = new_volume(member, 1, name="source")
    path = blocks(sandbox).volume_path(volume.id)
    write_at(path, 0, b"before-the-snapshot")
    write_at(path, 700 * 1024 * 1024, b"deep-before")
    snapshot = new_snapshot(member, volume.id, name="frozen")
    write_at(path, 0, b"AFTER--the-snapshot")
    write_at(path, 700 * 1024 * 1024, b"deep-AFTER!")
    restored = new_volume(member, None, snapshot_id=snapshot.id, name="restored")
    restored_path = blocks(sandbox).volume_path(restored.id)
    assert restored.size == 1 and restored.snapshot_id == snapshot.id
    assert read_at(restored_path, 0, 19) == b"before-the-snapshot"
    assert read_at(restored_path, 700 * 1024 * 1024, 11) == b"deep-before"
    assert read_at(path, 0, 19) == b"AFTER--the-snapshot"
    assert files_equal(restored_path, blocks(sandbox).snapshot_path(snapshot.id))
    assert allocated_bytes(restored_path) < 1024 * 1024  # the copy kept the holes
    # a bigger volume from the same snapshot: same bytes, then zeros
    bigger = new_volume(member, 2, snapshot_id=snapshot.id)
    bigger_path = blocks(sandbox).volume_path(bigger.id)
    assert os.path.getsize(bigger_path) == 2 * GIB
    assert read_at(bigger_path, 0, 19) == b"before-the-snapshot"
    for dependant in (restored.id, bigger.id):
        delete_volume(member, dependant)
    member.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(snapshot.id))
    delete_volume(member, volume.id)


def test_volume_from_volume_is_an_exact_copy(sandbox, member):
    source = new_volume(member, 1)
    path = blocks(sandbox).volume_path(source.id)
    payload = os.urandom(3 * 1024 * 1024 + 17)
    write_at(path, 5 * 1024 * 1024, payload)
    write_at(path, GIB - 4096, os.urandom(4096))
    clone = new_volume(member, None, source_volid=source.id)
    assert clone.source_volid == source.id and clone.size == 1
    assert files_equal(path, blocks(sandbox).volume_path(clone.id))
    for volume_id in (clone.id, source.id):
        delete_volume(member, volume_id)


def test_volume_from_image_is_an_exact_copy_and_bootable(sandbox, member):
    images = glance(sandbox)
    payload = os.urandom(5 * 1024 * 1024)
    image = images.images.create(name="disk", disk_format="raw", container_format="bare", min_disk=1)
    images.images.upload(image.id, io.BytesIO(payload))
    volume = new_volume(member, 1, imageRef=image.id)
    assert volume.bootable == "true"
    assert volume.volume_image_metadata["image_id"] == image.id
    assert volume.volume_image_metadata["image_name"] == "disk"
    path = blocks(sandbox).volume_path(volume.id)
    assert os.path.getsize(path) == GIB
    assert read_at(path, 0, len(payload)) == payload
    assert read_at(path, len(payload), 4096) == bytes(4096)
    # volumes made from it inherit the image metadata, as Cinder copies glance metadata along
    snapshot = new_snapshot(member, volume.id)
    from_snapshot = new_volume(member, None, snapshot_id=snapshot.id)
    assert from_snapshot.bootable == "true"
    assert from_snapshot.volume_image_metadata["image_id"] == image.id
    delete_volume(member, from_snapshot.id)
    member.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(snapshot.id))
    delete_volume(member, volume.id)
    with pytest.raises(exceptions.BadRequest):  # an image the volume cannot hold
        member.volumes.create(1, imageRef=str(uuid.uuid4()))
    images.images.delete(image.id)


def test_extend_grows_the_file_and_keeps_data(sandbox, member):
    volume = new_volume(member, 1)
    path = blocks(sandbox).volume_path(volume.id)
    write_at(path, 100, b"keep me")
    member.volumes.extend(volume.id, 3)
    volume = wait_for(lambda: member.volumes.get(volume.id), "available")
    assert volume.size == 3 and os.path.getsize(path) == 3 * GIB
    assert read_at(path, 100, 7) == b"keep me"
    with pytest.raises(exceptions.BadRequest):  # shrinking is not a thing
        member.volumes.extend(volume.id, 2)
    delete_volume(member, volume.id)


def test_extend_in_use_needs_microversion_3_42(sandbox, member):
    volume = new_volume(member, 1)
    attach_to_fake_server(member, volume.id)
    with pytest.raises(exceptions.BadRequest):
        cinder(sandbox, version="3.41").volumes.extend(volume.id, 2)
    member.volumes.extend(volume.id, 2)
    volume = wait_for(lambda: member.volumes.get(volume.id), "in-use")
    assert volume.size == 2 and os.path.getsize(blocks(sandbox).volume_path(volume.id)) == 2 * GIB
    detach(member, volume.id)
    delete_volume(member, volume.id)


def test_attach_makes_the_device_appear_and_detach_removes_it(sandbox, member):
    volume = new_volume(member, 1)
    write_at(blocks(sandbox).volume_path(volume.id), 0, b"visible in the guest")
    server_id = attach_to_fake_server(member, volume.id)
    shown = member.volumes.get(volume.id)
    assert shown.attachments[0]["server_id"] == server_id and shown.attachments[0]["device"] == "/dev/vdb"
    by_id = blocks(sandbox).by_id_path(server_id, volume.id)
    assert os.path.basename(by_id) == "virtio-" + volume.id[:20]
    assert read_at(by_id, 0, 20) == b"visible in the guest"
    detach(member, volume.id)
    assert not os.path.exists(by_id)
    delete_volume(member, volume.id)


def test_delete_of_an_attached_volume_is_refused(sandbox, member):
    volume = new_volume(member, 1)
    attach_to_fake_server(member, volume.id)
    with pytest.raises(exceptions.BadRequest) as refused:
        member.volumes.delete(volume.id)
    assert "attached" in str(refused.value)
    assert member.volumes.get(volume.id).status == "in-use"
    detach(member, volume.id)
    delete_volume(member, volume.id)


def test_delete_of_a_volume_with_snapshots_is_refused(sandbox, member):
    volume = new_volume(member, 1)
    snapshot = new_snapshot(member, volume.id)
    with pytest.raises(exceptions.BadRequest) as refused:
        member.volumes.delete(volume.id)
    assert "snapshots" in str(refused.value)
    member.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(snapshot.id))
    delete_volume(member, volume.id)


def test_delete_of_a_snapshot_with_dependent_volumes_is_refused(sandbox, member):
    volume = new_volume(member, 1)
    snapshot = new_snapshot(member, volume.id)
    child = new_volume(member, None, snapshot_id=snapshot.id)
    with pytest.raises(exceptions.BadRequest) as refused:
        member.volume_snapshots.delete(snapshot.id)
    assert "dependent volumes" in str(refused.value)
    assert member.volume_snapshots.get(snapshot.id).status == "available"
    delete_volume(member, child.id)
    member.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(snapshot.id))
    delete_volume(member, volume.id)


def test_snapshot_of_in_use_volume_needs_force_before_3_66(sandbox, member):
    volume = new_volume(member, 1)
    attach_to_fake_server(member, volume.id)
    older = cinder(sandbox, version="3.65")
    with pytest.raises(exceptions.BadRequest):
        older.volume_snapshots.create(volume.id)
    forced = new_snapshot(older, volume.id, force=True)
    refused = sandbox.session("demo-member").post(  # 3.66: force=False is invalid (cinderclient refuses it too)
        member.client.get_endpoint() + "/snapshots", raise_exc=False,
        json={"snapshot": {"volume_id": volume.id, "force": False}},
        headers={"OpenStack-API-Version": "volume 3.66"})
    assert refused.status_code == 400 and "3.66" in refused.json()["badRequest"]["message"]
    unforced = new_snapshot(member, volume.id)
    for snapshot in (forced, unforced):
        member.volume_snapshots.delete(snapshot.id)
        wait_gone(lambda s=snapshot: member.volume_snapshots.get(s.id))
    detach(member, volume.id)
    delete_volume(member, volume.id)


def test_listing_filters_sorting_and_paging(sandbox, member):
    tag = uuid.uuid4().hex[:6]
    created = [member.volumes.create(1, name=f"{tag}-{n}", metadata={"batch": tag, "n": str(n)}) for n in range(3)]
    for volume in created:
        wait_for(lambda v=volume: member.volumes.get(v.id), "available")
    mine = member.volumes.list(search_opts={"metadata": {"batch": tag}})
    assert sorted(v.name for v in mine) == [f"{tag}-0", f"{tag}-1", f"{tag}-2"]
    by_name = member.volumes.list(search_opts={"name": f"{tag}-1"})
    assert [v.id for v in by_name] == [created[1].id]
    ordered = member.volumes.list(search_opts={"metadata": {"batch": tag}}, sort="name:desc")
    assert [v.name for v in ordered] == [f"{tag}-2", f"{tag}-1", f"{tag}-0"]
    first_page = member.volumes.list(search_opts={"metadata": {"batch": tag}}, sort="name:asc", limit=2)
    assert [v.name for v in first_page] == [f"{tag}-0", f"{tag}-1"]
    rest = member.volumes.list(search_opts={"metadata": {"batch": tag}}, sort="name:asc", limit=2,
                               marker=first_page[-1].id)
    assert [v.name for v in rest] == [f"{tag}-2"]
    raw = sandbox.session("demo-member").get(
        member.client.get_endpoint() + f"/volumes?limit=1&name={tag}-0",
        headers={"OpenStack-API-Version": "volume 3.71"}).json()
    assert raw["volumes_links"][0]["rel"] == "next" and "marker=" in raw["volumes_links"][0]["href"]
    assert member.volumes.list(search_opts={"status": "available", "name": f"{tag}-2"})[0].id == created[2].id
    assert member.volumes.list(search_opts={"bootable": True, "name": f"{tag}-2"}) == []
    summary = member.volumes.summary(all_tenants=False)["volume-summary"]
    assert summary["total_count"] >= 3
    for volume in created:
        delete_volume(member, volume.id)


def test_metadata_endpoints_and_update(sandbox, member):
    volume = new_volume(member, 1, name="meta", metadata={"a": "1"})
    member.volumes.set_metadata(volume.id, {"b": "2"})
    assert member.volumes.get(volume.id).metadata == {"a": "1", "b": "2"}
    member.volumes.delete_metadata(volume.id, ["a"])
    member.volumes.update(volume.id, name="renamed", description="described")
    shown = member.volumes.get(volume.id)
    assert (shown.name, shown.description, shown.metadata) == ("renamed", "described", {"b": "2"})
    member.volumes.set_bootable(volume.id, True)
    assert member.volumes.get(volume.id).bootable == "true"
    delete_volume(member, volume.id)


def test_tenancy_and_reader_rules(sandbox, member):
    volume = new_volume(member, 1, name="demo-only")
    alt = cinder(sandbox, "alt-member")
    with pytest.raises(exceptions.NotFound):
        alt.volumes.get(volume.id)
    assert volume.id not in [v.id for v in alt.volumes.list()]
    with pytest.raises(exceptions.NotFound):
        alt.volumes.delete(volume.id)
    with pytest.raises(exceptions.NotFound):
        alt.volume_snapshots.create(volume.id)
    reader = cinder(sandbox, "demo-reader")
    assert reader.volumes.get(volume.id).name == "demo-only"
    assert volume.id in [v.id for v in reader.volumes.list()]
    with pytest.raises(exceptions.Forbidden):
        reader.volumes.create(1)
    with pytest.raises(exceptions.Forbidden):
        reader.volumes.delete(volume.id)
    with pytest.raises(exceptions.Forbidden):
        reader.volume_snapshots.create(volume.id)
    with pytest.raises(exceptions.Forbidden):
        reader.volumes.extend(volume.id, 2)
    admin = cinder(sandbox, "admin")
    assert volume.id not in [v.id for v in admin.volumes.list()]
    everyone = admin.volumes.list(search_opts={"all_tenants": 1})
    assert volume.id in [v.id for v in everyone]
    shown = admin.volumes.get(volume.id)
    assert getattr(shown, "os-vol-tenant-attr:tenant_id") == sandbox.session("demo-member").get_project_id()
    admin.volumes.set_metadata(volume.id, {"checked-by": "admin"})
    admin.volumes.reset_state(volume.id, "error")
    assert member.volumes.get(volume.id).status == "error"
    with pytest.raises(exceptions.Forbidden):
        member.volumes.reset_state(volume.id, "available")
    delete_volume(admin, volume.id)


def test_quota_enforcement_answers_413(sandbox):
    with private_sandbox() as cloud:
        admin, demo = cinder(cloud, "admin"), cinder(cloud, "demo-member")
        project_id = cloud.session("demo-member").get_project_id()
        admin.quotas.update(project_id, gigabytes=5, volumes=3, snapshots=1)
        first = new_volume(demo, 3)
        with pytest.raises(exceptions.OverLimit) as over:
            demo.volumes.create(3)
        assert over.value.code == 413
        assert "exceeds allowed gigabytes quota" in str(over.value)
        second = new_volume(demo, 1)
        with pytest.raises(exceptions.OverLimit):  # snapshots count against gigabytes too (3 + 1 + 3 > 5)
            demo.volume_snapshots.create(first.id)
        new_snapshot(demo, second.id)
        with pytest.raises(exceptions.OverLimit) as over:
            demo.volume_snapshots.create(second.id)
        assert "snapshots allowed (1)" in str(over.value)
        with pytest.raises(exceptions.OverLimit):
            demo.volumes.extend(first.id, 4)
        limits = demo.limits.get()
        absolute = {limit.name: limit.value for limit in limits.absolute}
        assert absolute["maxTotalVolumeGigabytes"] == 5 and absolute["totalGigabytesUsed"] == 5
        assert absolute["totalVolumesUsed"] == 2 and absolute["totalSnapshotsUsed"] == 1
        usage = demo.quotas.get(project_id, usage=True)
        assert usage.gigabytes == {"limit": 5, "in_use": 5, "reserved": 0}
        with pytest.raises(exceptions.Forbidden):
            demo.quotas.update(project_id, gigabytes=100)
        with pytest.raises(exceptions.BadRequest):  # below what is in use
            admin.quotas.update(project_id, gigabytes=2)
        admin.quotas.update(project_id, volumes=2, gigabytes=100)
        with pytest.raises(exceptions.OverLimit) as over:
            demo.volumes.create(1)
        assert "Maximum number of volumes allowed (2)" in str(over.value)
        assert cinder(cloud, "alt-member").volumes.create(1).status == "creating"  # other projects are unaffected


def test_attachments_api_reserve_connect_complete_delete(sandbox):
    client = cinder(sandbox, "demo-member", "3.54")
    volume = new_volume(client, 1)
    server_id = str(uuid.uuid4())
    attachment = client.attachments.create(volume.id, None, server_id, "rw")  # a dict, as cinderclient returns
    assert attachment["status"] == "reserved" and attachment["instance"] == server_id
    assert client.volumes.get(volume.id).status == "reserved"
    connector = {"host": "compute-1", "ip": "127.0.0.1", "initiator": "iqn.x", "mountpoint": "/dev/vdc"}
    updated = client.attachments.update(attachment["id"], connector)
    assert updated.connection_info["driver_volume_type"] == "rbd"
    assert client.volumes.get(volume.id).status == "attaching"
    client = cinder(sandbox, "demo-member", "3.44")
    client.attachments.complete(attachment["id"])
    shown = client.volumes.get(volume.id)
    assert shown.status == "in-use" and shown.attachments[0]["attachment_id"] == attachment["id"]
    listed = client.attachments.list(search_opts={"volume_id": volume.id})
    assert [a.id for a in listed] == [attachment["id"]] and listed[0].status == "attached"
    assert client.attachments.show(attachment["id"]).instance == server_id
    client.attachments.delete(attachment["id"])
    assert client.volumes.get(volume.id).status == "available"
    delete_volume(client, volume.id)


def test_group_snapshot_snapshots_every_member_together(sandbox):
    client = cinder(sandbox, "demo-member", "3.71")
    group = client.groups.create("default", "__DEFAULT__", name="pair")
    wait_for(lambda: client.groups.get(group.id), "available")
    members = [new_volume(client, 1, group_id=group.id, volume_type="__DEFAULT__") for _ in range(2)]
    for number, volume in enumerate(members):
        write_at(blocks(sandbox).volume_path(volume.id), 0, f"member-{number}-old".encode())
    group_snapshot = client.group_snapshots.create(group.id, name="together")
    wait_for(lambda: client.group_snapshots.get(group_snapshot.id), "available")
    for number, volume in enumerate(members):
        write_at(blocks(sandbox).volume_path(volume.id), 0, f"member-{number}-new".encode())
    member_snapshots = client.volume_snapshots.list(search_opts={"group_snapshot_id": group_snapshot.id})
    assert len(member_snapshots) == 2
    restored = {}
    for snapshot in member_snapshots:
        volume = new_volume(client, None, snapshot_id=snapshot.id)
        restored[snapshot.volume_id] = read_at(blocks(sandbox).volume_path(volume.id), 0, 12)
        delete_volume(client, volume.id)
    assert restored == {members[0].id: b"member-0-old", members[1].id: b"member-1-old"}
    client.group_snapshots.delete(group_snapshot.id)
    wait_gone(lambda: client.group_snapshots.get(group_snapshot.id))
    client.groups.delete(group.id, delete_volumes=True)
    wait_gone(lambda: client.groups.get(group.id))
    for volume in members:
        wait_gone(lambda v=volume: client.volumes.get(v.id))


def test_transfer_moves_a_volume_to_another_project(sandbox, member):
    volume = new_volume(member, 1, name="gift")
    write_at(blocks(sandbox).volume_path(volume.id), 0, b"for alt")
    transfer = member.transfers.create(volume.id, name="gift")
    assert member.volumes.get(volume.id).status == "awaiting-transfer"
    assert transfer.id in [t.id for t in member.transfers.list()]
    alt = cinder(sandbox, "alt-member")
    with pytest.raises(exceptions.BadRequest):
        alt.transfers.accept(transfer.id, "wrong-key")
    alt.transfers.accept(transfer.id, transfer.auth_key)
    with pytest.raises(exceptions.NotFound):
        member.volumes.get(volume.id)
    moved = alt.volumes.get(volume.id)
    assert moved.status == "available"
    assert read_at(blocks(sandbox).volume_path(volume.id), 0, 7) == b"for alt"
    delete_volume(alt, volume.id)


def test_upload_to_image_makes_an_image_of_the_volume_data(sandbox, member):
    volume = new_volume(member, 1)
    path = blocks(sandbox).volume_path(volume.id)
    write_at(path, 4096, os.urandom(65536))
    response = member.volumes.upload_to_image(volume, False, "from-volume", "bare", "raw", "private", False)[1]
    assert response["os-volume_upload_image"]["status"] == "uploading"
    image_id = response["os-volume_upload_image"]["image_id"]
    images = glance(sandbox)
    image = wait_for(lambda: images.images.get(image_id), "active")
    assert image.size == GIB and image.min_disk == 1
    assert files_equal(blocks(sandbox).image_path(image_id), path)
    assert image.os_hash_algo == "sha512" and len(image.checksum) == 32
    head = sandbox.session("demo-member").get(sandbox.url + f"/image/v2/images/{image_id}/file",
                                              headers={"Range": "bytes=0-131071"})
    assert head.status_code == 206 and head.content == read_at(path, 0, 131072)
    wait_for(lambda: member.volumes.get(volume.id), "available")
    images.images.delete(image_id)
    delete_volume(member, volume.id)


def test_revert_to_latest_snapshot(sandbox):
    client = cinder(sandbox, "demo-member", "3.40")
    volume = new_volume(client, 1)
    path = blocks(sandbox).volume_path(volume.id)
    write_at(path, 0, b"good state")
    snapshot = new_snapshot(client, volume.id)
    write_at(path, 0, b"bad  state")
    client.volumes.revert_to_snapshot(volume, snapshot)
    wait_for(lambda: client.volumes.get(volume.id), "available")
    assert read_at(path, 0, 10) == b"good state"
    client.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: client.volume_snapshots.get(snapshot.id))
    delete_volume(client, volume.id)


def test_types_zones_services_and_messages(sandbox, member):
    assert {t.name for t in member.volume_types.list()} >= {"__DEFAULT__", "standard", "ssd"}
    assert member.volume_types.default().name == "__DEFAULT__"
    assert [z.zoneName for z in member.availability_zones.list()] == ["nova", "az2"]
    with pytest.raises(exceptions.Forbidden):
        member.services.list()
    services = cinder(sandbox, "admin").services.list()
    assert {(s.binary, s.zone) for s in services} == {
        ("cinder-scheduler", "nova"), ("cinder-volume", "nova"), ("cinder-volume", "az2")}
    volume = new_volume(member, 1, availability_zone="az2")
    assert volume.availability_zone == "az2"
    with pytest.raises(exceptions.BadRequest):
        member.volumes.create(1, availability_zone="az9")
    snapshot = new_snapshot(member, volume.id)
    with pytest.raises(exceptions.BadRequest):  # cloned_volume_same_az: copies stay in their source's zone
        member.volumes.create(None, snapshot_id=snapshot.id, availability_zone="nova")
    member.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(snapshot.id))
    assert isinstance(member.messages.list(), list)
    delete_volume(member, volume.id)


def test_volume_from_a_nova_volume_backed_image_uses_its_boot_snapshot(sandbox, member):
    volume = new_volume(member, 1)
    write_at(blocks(sandbox).volume_path(volume.id), 0, b"root filesystem")
    snapshot = new_snapshot(member, volume.id)
    images = glance(sandbox)
    mapping = [{"source_type": "snapshot", "destination_type": "volume", "snapshot_id": snapshot.id,
                "boot_index": 0, "volume_size": 1, "device_name": "/dev/vda"}]
    image = images.images.create(name="server-snapshot", disk_format="qcow2", container_format="bare",
                                 block_device_mapping=json.dumps(mapping), bdm_v2="True", root_device_name="/dev/vda")
    images.images.upload(image.id, io.BytesIO(b""))
    restored = new_volume(member, 1, imageRef=image.id)  # 3.46+: Cinder creates it from the boot snapshot
    assert restored.snapshot_id == snapshot.id
    assert read_at(blocks(sandbox).volume_path(restored.id), 0, 15) == b"root filesystem"
    delete_volume(member, restored.id)
    images.images.delete(image.id)
    member.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(snapshot.id))
    delete_volume(member, volume.id)


def make_qcow2(virtual_size: int, clusters: dict[int, bytes], cluster_bits: int = 16) -> bytes:
    """A minimal qcow2 v2 image (no refcounts; enough for a reader) holding ``clusters`` at guest offsets."""
    cluster = 1 << cluster_bits
    per_l2 = cluster // 8
    l1_size = -(-virtual_size // (cluster * per_l2))
    layout = {"l1": cluster}  # header in cluster 0, L1 in cluster 1, then L2 tables, then data
    l2_tables: dict[int, list[int]] = {}
    next_cluster = 2 + l1_size
    data = []
    for guest, payload in sorted(clusters.items()):
        l1_index, l2_index = divmod(guest // cluster, per_l2)
        l2_tables.setdefault(l1_index, [0] * per_l2)[l2_index] = next_cluster * cluster
        data.append(payload.ljust(cluster, b"\0"))
        next_cluster += 1
    l1 = [0] * l1_size
    for l1_index in l2_tables:
        l1[l1_index] = (2 + l1_index) * cluster
    header = b"QFI\xfb" + struct.pack(">IQIIQIIQQIIQ", 2, 0, 0, cluster_bits, virtual_size, 0, l1_size,
                                      layout["l1"], 0, 0, 0, 0)
    image = bytearray(header.ljust(cluster, b"\0"))
    image += struct.pack(f">{l1_size}Q", *l1).ljust(cluster, b"\0")
    for l1_index in range(l1_size):
        image += struct.pack(f">{per_l2}Q", *l2_tables.get(l1_index, [0] * per_l2))
    for payload in data:
        image += payload
    return bytes(image)


def test_volume_from_a_qcow2_image_holds_the_guest_disk(sandbox, member):
    first, far = os.urandom(65536), b"six hundred MiB in"
    qcow2 = make_qcow2(GIB, {0: first, 600 * 1024 * 1024: far})
    images = glance(sandbox)
    image = images.images.create(name="qcow2-disk", disk_format="qcow2", container_format="bare")
    images.images.upload(image.id, io.BytesIO(qcow2))
    assert images.images.get(image.id).virtual_size == GIB
    volume = new_volume(member, None, imageRef=image.id)
    assert volume.size == 1
    path = blocks(sandbox).volume_path(volume.id)
    assert read_at(path, 0, 65536) == first
    assert read_at(path, 600 * 1024 * 1024, len(far)) == far
    assert read_at(path, 65536, 4096) == bytes(4096)
    assert allocated_bytes(path) < 4 * 1024 * 1024
    delete_volume(member, volume.id)
    big = make_qcow2(3 * GIB, {0: b"x"})  # a 3 GiB disk does not fit a 1 GiB volume: the manager fails it
    too_big = images.images.create(name="qcow2-big", disk_format="qcow2", container_format="bare")
    images.images.upload(too_big.id, io.BytesIO(big))
    failed = member.volumes.create(1, imageRef=too_big.id)
    wait_for(lambda: member.volumes.get(failed.id), "error", allow_errors=True)
    delete_volume(member, failed.id)
    for ident in (image.id, too_big.id):
        images.images.delete(ident)
