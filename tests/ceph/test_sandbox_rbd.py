# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The embedded cloud on RBD (``SANDBOX_VOLUME_BACKEND=rbd``), driven by the official clients over HTTP, checked in
Ceph itself: what Cinder's RBD driver (2024.1) would have left in the pool, and what an admin would see.

Data goes in through ``rbd`` (as a guest writes its disk) and comes out through the server's device view (as the
backup proxy reads it), or the other way round.
"""
from __future__ import annotations

import io
import os
import uuid

import pytest
from storage_backup_sandbox.blockdev import BlockStore

from tests.functional.sandbox.volume_helpers import (
    GIB,
    cinder,
    glance,
    new_snapshot,
    new_volume,
    wait_for,
    wait_gone,
)

MIB = 1024 ** 2


@pytest.fixture(scope="module")
def member(rbd_sandbox):
    return cinder(rbd_sandbox, "demo-member")


@pytest.fixture(scope="module")
def admin(rbd_sandbox):
    return cinder(rbd_sandbox, "admin")


def write(ceph, image: str, offset: int, data: bytes) -> None:
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, image) as handle:
        handle.write(data, offset)


def read(ceph, image: str, offset: int, length: int, snapshot: str | None = None) -> bytes:
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, image, snapshot=snapshot, read_only=True) as handle:
        return handle.read(offset, length)


def images(ceph) -> set[str]:
    with ceph.open_pool() as (rbd, ioctx):
        return set(rbd.RBD().list(ioctx))


def snapshots(ceph, image: str) -> dict[str, bool]:
    """RBD snapshots of an image: name -> protected."""
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, image, read_only=True) as handle:
        return {snap["name"]: handle.is_protected_snap(snap["name"]) for snap in handle.list_snaps()}


def parent(ceph, image: str) -> tuple[str, str, str] | None:
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, image, read_only=True) as handle:
        try:
            return tuple(handle.parent_info())
        except rbd.ImageNotFound:
            return None


def delete_volume(client, volume_id: str) -> None:
    client.volumes.delete(volume_id)
    wait_gone(lambda: client.volumes.get(volume_id))


def attach_to_fake_server(client, volume_id: str, device: str = "/dev/vdb") -> str:
    """Cinder's side of a Nova attach (os-reserve then os-attach) for a server Cinder cannot check."""
    server_id = str(uuid.uuid4())
    client.volumes.reserve(volume_id)
    client.volumes.attach(volume_id, server_id, device)
    wait_for(lambda: client.volumes.get(volume_id), "in-use")
    return server_id


def rbd_fuse_mounts() -> list[str]:
    with open("/proc/mounts") as handle:
        return [line.split()[1] for line in handle if "fuse" in line.split()[2] and "rbd" in line.split()[0]]


def test_a_volume_is_an_rbd_image_named_as_cinder_names_it(rbd_sandbox, ceph, member):
    volume = member.volumes.create(2, name="plain")
    volume = wait_for(lambda: member.volumes.get(volume.id), "available")
    name = f"volume-{volume.id}"
    assert name in images(ceph)
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, name, read_only=True) as handle:
        assert handle.size() == 2 * GIB
        assert handle.features() & rbd.RBD_FEATURE_LAYERING
    # not a file: the file store's layout stays empty
    assert not os.path.exists(BlockStore(rbd_sandbox.state_dir).volume_path(volume.id))
    member.volumes.extend(volume.id, 3)
    wait_for(lambda: member.volumes.get(volume.id), "available")
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, name, read_only=True) as handle:
        assert handle.size() == 3 * GIB
    delete_volume(member, volume.id)
    assert name not in images(ceph)


def test_snapshot_is_a_protected_rbd_snapshot_and_a_volume_from_it_a_clone(ceph, member):
    source = new_volume(member, 1, name="origin")
    image = f"volume-{source.id}"
    write(ceph, image, 0, b"before the snapshot")
    snapshot = new_snapshot(member, source.id, name="frozen")
    assert snapshots(ceph, image) == {f"snapshot-{snapshot.id}": True}
    write(ceph, image, 0, b"AFTER  the snapshot")
    clone = new_volume(member, 2, snapshot_id=snapshot.id)
    clone_image = f"volume-{clone.id}"
    assert parent(ceph, clone_image) == (ceph.pool, image, f"snapshot-{snapshot.id}")
    assert read(ceph, clone_image, 0, 19) == b"before the snapshot"
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, clone_image, read_only=True) as handle:
        assert handle.size() == 2 * GIB  # grown past its snapshot's size, as the driver resizes
    assert read(ceph, image, 0, 19) == b"AFTER  the snapshot"

    # Cinder 2024.1 accepts deleting a snapshot with clones: its RBD driver flattens them, then removes it.
    member.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(snapshot.id))
    assert snapshots(ceph, image) == {}
    assert parent(ceph, clone_image) is None
    assert read(ceph, clone_image, 0, 19) == b"before the snapshot"
    for volume_id in (clone.id, source.id):
        delete_volume(member, volume_id)
    assert not {image, clone_image} & images(ceph)


def test_volume_from_volume_clones_a_clone_snap_as_the_driver_does(ceph, member):
    source = new_volume(member, 1)
    image = f"volume-{source.id}"
    write(ceph, image, MIB, b"copied along")
    copy = new_volume(member, 1, source_volid=source.id)
    copy_image = f"volume-{copy.id}"
    clone_snap = f"{copy_image}.clone_snap"
    assert snapshots(ceph, image) == {clone_snap: True}
    assert parent(ceph, copy_image) == (ceph.pool, image, clone_snap)
    assert read(ceph, copy_image, MIB, 12) == b"copied along"
    # the source goes first: with a clone left it stays, renamed, until the clone is gone
    delete_volume(member, source.id)
    assert f"{image}.deleted" in images(ceph) and image not in images(ceph)
    delete_volume(member, copy.id)
    assert copy_image not in images(ceph)
    # The driver's fast path (a plain remove of the clone succeeds) returns before it walks up to the parent, so
    # the renamed source and its .clone_snap stay in the pool, exactly as a Cinder 2024.1 RBD backend leaves them.
    assert f"{image}.deleted" in images(ceph)


def test_volume_from_image_holds_the_image_bytes(rbd_sandbox, ceph, member):
    payload = os.urandom(3 * MIB) + bytes(2 * MIB) + b"tail"
    images_client = glance(rbd_sandbox)
    image = images_client.images.create(name="rbd-disk", disk_format="raw", container_format="bare", min_disk=1)
    images_client.images.upload(image.id, io.BytesIO(payload))
    volume = new_volume(member, 1, imageRef=image.id)
    assert volume.bootable == "true"
    assert read(ceph, f"volume-{volume.id}", 0, len(payload)) == payload
    # and back: the volume uploaded to Glance is the image's bytes, grown to the volume's size
    write(ceph, f"volume-{volume.id}", GIB - 4, b"last")
    _, answer = member.volumes.upload_to_image(volume, False, "from-rbd", "bare", "raw", "private", False)
    uploaded = answer["os-volume_upload_image"]["image_id"]
    wait_for(lambda: images_client.images.get(uploaded), "active", timeout=60)
    wait_for(lambda: member.volumes.get(volume.id), "available")
    data = b"".join(images_client.images.data(uploaded))
    assert len(data) == GIB and data[:len(payload)] == payload and data[-4:] == b"last"
    images_client.images.delete(uploaded)
    delete_volume(member, volume.id)


def test_admin_sees_an_rbd_backend_and_its_connection_info(ceph, member, admin):
    volume = new_volume(member, 1, volume_type="standard")
    shown = admin.volumes.get(volume.id)
    host = getattr(shown, "os-vol-host-attr:host")
    assert host.startswith("cinder-volume-nova@") and host.split("@")[1] == "ceph#ceph"
    assert getattr(shown, "os-vol-mig-status-attr:name_id") is None  # never migrated: data named after its id
    standard = next(t for t in admin.volume_types.list() if t.name == "standard")
    assert standard.extra_specs["volume_backend_name"] == "ceph"
    connector = {"host": "compute-1", "ip": "127.0.0.1", "initiator": "iqn.x"}
    info = admin.volumes.initialize_connection(volume, connector)
    assert info["driver_volume_type"] == "rbd"
    data = info["data"]
    assert data["name"] == f"{ceph.pool}/volume-{volume.id}"
    assert data["hosts"] == ["127.0.0.1"] and data["ports"] == [str(ceph.mon_port_v1)]
    assert data["auth_enabled"] is True and data["auth_username"] == "admin"
    assert data["secret_type"] == "ceph" and data["secret_uuid"]
    assert data["cluster_name"] == "ceph" and data["volume_id"] == volume.id
    delete_volume(member, volume.id)


def test_an_attached_volume_is_the_image_in_the_servers_device_view(rbd_sandbox, ceph, member):
    volume = new_volume(member, 1)
    image = f"volume-{volume.id}"
    write(ceph, image, 5 * MIB, b"written by the guest")
    server_id = attach_to_fake_server(member, volume.id)
    store = BlockStore(rbd_sandbox.state_dir)
    by_id = store.by_id_path(server_id, volume.id)
    with open(by_id, "rb") as device:
        assert os.fstat(device.fileno()).st_size == GIB
        device.seek(5 * MIB)
        assert device.read(20) == b"written by the guest"
    with open(store.device_path(server_id, "/dev/vdb"), "rb") as device:
        device.seek(5 * MIB)
        assert device.read(20) == b"written by the guest"
    mount = os.path.join(store.server_dir(server_id), "rbd", volume.id)
    assert mount in rbd_fuse_mounts()
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, image, read_only=True) as handle:
        assert len(list(handle.watchers_list())) == 1  # rbd-fuse holds it open
    attachment = member.volumes.get(volume.id).attachments[0]
    member.volumes.begin_detaching(volume.id)
    member.volumes.detach(volume.id, attachment["attachment_id"])
    wait_for(lambda: member.volumes.get(volume.id), "available")
    assert not os.path.lexists(by_id)
    assert mount not in rbd_fuse_mounts()
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, image, read_only=True) as handle:
        assert list(handle.watchers_list()) == []
    delete_volume(member, volume.id)


def test_group_snapshot_members_are_rbd_snapshots(rbd_sandbox, ceph):
    client = cinder(rbd_sandbox, "demo-member", "3.71")
    group = client.groups.create("default", "__DEFAULT__", name="pair")
    wait_for(lambda: client.groups.get(group.id), "available")
    members = [new_volume(client, 1, group_id=group.id, volume_type="__DEFAULT__") for _ in range(2)]
    for number, volume in enumerate(members):
        write(ceph, f"volume-{volume.id}", 0, f"member-{number}-old".encode())
    group_snapshot = client.group_snapshots.create(group.id, name="together")
    wait_for(lambda: client.group_snapshots.get(group_snapshot.id), "available")
    for number, volume in enumerate(members):
        write(ceph, f"volume-{volume.id}", 0, f"member-{number}-new".encode())
    member_snapshots = client.volume_snapshots.list(search_opts={"group_snapshot_id": group_snapshot.id})
    assert {s.volume_id for s in member_snapshots} == {v.id for v in members}
    for snapshot in member_snapshots:
        image = f"volume-{snapshot.volume_id}"
        assert snapshots(ceph, image) == {f"snapshot-{snapshot.id}": True}
        number = [v.id for v in members].index(snapshot.volume_id)
        assert read(ceph, image, 0, 12, snapshot=f"snapshot-{snapshot.id}") == f"member-{number}-old".encode()
    client.group_snapshots.delete(group_snapshot.id)
    wait_gone(lambda: client.group_snapshots.get(group_snapshot.id))
    for volume in members:
        assert snapshots(ceph, f"volume-{volume.id}") == {}
    client.groups.delete(group.id, delete_volumes=True)
    wait_gone(lambda: client.groups.get(group.id))
    for volume in members:
        wait_gone(lambda v=volume: client.volumes.get(v.id))
    assert not {f"volume-{v.id}" for v in members} & images(ceph)


def test_revert_to_snapshot_rolls_the_image_back(ceph, member):
    client = member
    volume = new_volume(client, 1)
    image = f"volume-{volume.id}"
    write(ceph, image, 0, b"kept")
    snapshot = new_snapshot(client, volume.id)
    write(ceph, image, 0, b"lost")
    client.volumes.revert_to_snapshot(volume, snapshot)
    wait_for(lambda: client.volumes.get(volume.id), "available")
    assert read(ceph, image, 0, 4) == b"kept"
    client.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: client.volume_snapshots.get(snapshot.id))
    delete_volume(client, volume.id)


def test_demo_seed_on_rbd_and_its_device_views_across_a_restart(ceph, tmp_path):
    """The demo's cloud (what ``Stack(rbd=...)`` and ``make demo VOLUMES=rbd`` run): web-1's volumes are ext4 in RBD
    images, seen through web-1's device view; a stop unmounts every view and a start mounts them again."""
    import json

    from storage_backup_sandbox.launch import SandboxProcess

    state_dir = str(tmp_path / "demo-cloud")

    def web_1() -> tuple[str, str]:
        with open(os.path.join(state_dir, "state.json")) as handle:
            state = json.load(handle)
        server = next(s for s in state["servers"].values() if s["name"] == "web-1")
        data = next(v for v in state["volumes"].values() if v["name"] == "web-1-data")
        return server["id"], data["id"]

    def ext4_magic(path: str) -> bytes:
        with open(path, "rb") as handle:
            handle.seek(1080)
            return handle.read(2)

    store = BlockStore(state_dir)
    with SandboxProcess(state_dir, seed="demo", rbd=ceph.rbd_settings()).start(timeout=300):
        server_id, volume_id = web_1()
        assert read(ceph, f"volume-{volume_id}", 1080, 2) == b"\x53\xef"
        assert ext4_magic(store.by_id_path(server_id, volume_id)) == b"\x53\xef"
    assert not [m for m in rbd_fuse_mounts() if m.startswith(state_dir + os.sep)]
    with SandboxProcess(state_dir, seed="demo", rbd=ceph.rbd_settings()).start(timeout=300):
        assert ext4_magic(store.by_id_path(server_id, volume_id)) == b"\x53\xef"
        assert os.path.join(store.server_dir(server_id), "rbd", volume_id) in rbd_fuse_mounts()
    assert not [m for m in rbd_fuse_mounts() if m.startswith(state_dir + os.sep)]


def test_nova_attach_shows_the_image_and_deleting_the_server_unmounts_it(rbd_sandbox, ceph):
    """Through Nova, as the proxy attaches volumes: the guest writes its device, the bytes are in the image; deleting
    the server (volume still attached) lets go of the image: no mount, no watcher."""
    from tests.functional.sandbox.nova_helpers import ComputeApi, VolumeApi, make_ext4_image, upload_image

    compute, volumes = ComputeApi(rbd_sandbox, "demo-member"), VolumeApi(rbd_sandbox)
    image_id = upload_image(rbd_sandbox, make_ext4_image(8, {"/etc/hostname": "rbd-guest\n"}))
    server = compute.create_server(f"rbd-guest-{uuid.uuid4().hex[:6]}", image=image_id)
    compute.wait_server(server["id"])
    volume = volumes.create(1, name="rbd-attached")
    volumes.wait(volume["id"], "available")
    compute.body("POST", f"/servers/{server['id']}/os-volume_attachments",
                 json={"volumeAttachment": {"volumeId": volume["id"]}}, expect=200)
    volumes.wait(volume["id"], "in-use")
    store = BlockStore(rbd_sandbox.state_dir)
    with open(store.by_id_path(server["id"], volume["id"]), "r+b") as device:
        device.seek(MIB)
        device.write(b"written by the guest")
        device.flush()
        os.fsync(device.fileno())
    assert read(ceph, f"volume-{volume['id']}", MIB, 20) == b"written by the guest"
    mount = os.path.join(store.server_dir(server["id"]), "rbd", volume["id"])
    assert mount in rbd_fuse_mounts()
    compute.delete_server(server["id"])
    volumes.wait(volume["id"], "available")
    assert mount not in rbd_fuse_mounts()
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, f"volume-{volume['id']}", read_only=True) as handle:
        assert list(handle.watchers_list()) == []
    assert read(ceph, f"volume-{volume['id']}", MIB, 20) == b"written by the guest"
    volumes.delete(volume["id"])



def test_a_snapshot_whose_clone_cannot_let_go_stays_busy(rbd_sandbox, ceph, member):
    """Cinder's SnapshotIsBusy: the delete is accepted, the driver cannot free the snapshot, and the volume manager
    puts it back to ``available`` with the user message "Snapshot is busy.". Here the clone lacks deep-flatten (as
    images made before it was a default do) and has a snapshot of its own, which keeps needing the parent after the
    clone itself is flattened."""
    source = new_volume(member, 1)
    snapshot = new_snapshot(member, source.id)
    clone = new_volume(member, 1, snapshot_id=snapshot.id)
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, f"volume-{clone.id}") as handle:
        handle.update_features(rbd.RBD_FEATURE_DEEP_FLATTEN, False)
    clone_snapshot = new_snapshot(member, clone.id)
    member.volume_snapshots.delete(snapshot.id)
    wait_for(lambda: member.volume_snapshots.get(snapshot.id), "available", timeout=60)
    project = rbd_sandbox.session("demo-member").get_project_id()
    messages = rbd_sandbox.session("demo-member").get(
        f"{rbd_sandbox.url}/volume/v3/{project}/messages",
        headers={"OpenStack-API-Version": "volume 3.5"}).json()["messages"]
    assert any(m["resource_uuid"] == snapshot.id and m["user_message"] == "delete snapshot:Snapshot is busy."
               for m in messages)
    assert snapshots(ceph, f"volume-{source.id}") == {f"snapshot-{snapshot.id}": True}
    # once the clone's snapshot is gone, the same delete goes through
    member.volume_snapshots.delete(clone_snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(clone_snapshot.id))
    member.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: member.volume_snapshots.get(snapshot.id), timeout=60)
    for volume_id in (clone.id, source.id):
        delete_volume(member, volume_id)
