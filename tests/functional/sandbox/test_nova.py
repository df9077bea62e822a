# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Nova of the embedded cloud over real HTTP: tenancy, roles, paging, volume attachments seen by the guest,
createImage of both kinds, delete clean-up, faults, quotas."""
from __future__ import annotations

import hashlib
import json
import os
import time
import uuid

import pytest

from tests.functional.sandbox.nova_helpers import (
    ComputeApi,
    VolumeApi,
    delete_image,
    make_ext4_image,
    upload_image,
    wait_until,
)

IMAGE_FILES = {"/etc/hostname": "nova-test\n", "/etc/os-release": 'NAME="Test Linux"\nID=debian\n',
               "/srv/payload.txt": "payload " * 4096}


@pytest.fixture(scope="module")
def image(sandbox):
    image_id = upload_image(sandbox, make_ext4_image(8, IMAGE_FILES))
    yield image_id
    delete_image(sandbox, image_id)


@pytest.fixture()
def member(sandbox):
    return ComputeApi(sandbox, "demo-member")


@pytest.fixture()
def server(sandbox, member, image):
    created = member.create_server(f"nova-test-{uuid.uuid4().hex[:6]}", image=image)
    member.wait_server(created["id"])
    yield member.server(created["id"])
    member.delete_server(created["id"])


def by_id_link(sandbox, server_id: str, volume_id: str) -> str:
    return os.path.join(sandbox.state_dir, "servers", server_id, "dev", "disk", "by-id", f"virtio-{volume_id[:20]}")


# ---------------------------------------------------------------------------------------------------------------
# tenancy and roles


def test_another_project_never_sees_a_server(sandbox, server):
    alt = ComputeApi(sandbox, "alt-member")
    assert alt.request("GET", f"/servers/{server['id']}").status_code == 404
    assert alt.request("DELETE", f"/servers/{server['id']}").status_code == 404
    assert alt.request("POST", f"/servers/{server['id']}/action", json={"os-stop": None}).status_code == 404
    assert server["id"] not in {s["id"] for s in alt.body("GET", "/servers/detail")["servers"]}
    # alt asking for all projects is refused; an admin sees everyone's servers only when asking
    assert alt.request("GET", "/servers?all_tenants=1").status_code == 403
    admin = ComputeApi(sandbox, "admin")
    assert server["id"] not in {s["id"] for s in admin.body("GET", "/servers")["servers"]}
    everyone = admin.body("GET", "/servers/detail?all_tenants=1")["servers"]
    assert server["id"] in {s["id"] for s in everyone}
    demo_only = admin.body("GET", f"/servers?all_tenants=1&project_id={server['tenant_id']}")["servers"]
    assert server["id"] in {s["id"] for s in demo_only}
    assert admin.request("GET", f"/servers/{server['id']}").status_code == 200


def test_reader_can_look_but_not_touch(sandbox, server, image):
    reader = ComputeApi(sandbox, "demo-reader")
    assert reader.server(server["id"])["name"] == server["name"]
    assert reader.request("POST", "/servers", json={"server": {"name": "nope", "flavorRef": "1",
                                                               "imageRef": image, "networks": "auto"}}
                          ).status_code == 403
    assert reader.request("DELETE", f"/servers/{server['id']}").status_code == 403
    assert reader.request("POST", f"/servers/{server['id']}/action", json={"os-stop": None}).status_code == 403
    assert reader.request("PUT", f"/servers/{server['id']}", json={"server": {"name": "x"}}).status_code == 403
    assert reader.request("POST", f"/servers/{server['id']}/os-volume_attachments",
                          json={"volumeAttachment": {"volumeId": str(uuid.uuid4())}}).status_code == 403
    assert reader.request("POST", "/os-keypairs", json={"keypair": {"name": "k"}}).status_code == 403


def test_keypairs_belong_to_their_user(sandbox):
    member, reader = ComputeApi(sandbox, "demo-member"), ComputeApi(sandbox, "demo-reader")
    name = f"key-{uuid.uuid4().hex[:6]}"
    member.request("POST", "/os-keypairs", json={"keypair": {"name": name}}, expect=201, microversion="2.91")
    try:
        assert name in {k["keypair"]["name"] for k in member.body("GET", "/os-keypairs")["keypairs"]}
        assert name not in {k["keypair"]["name"] for k in reader.body("GET", "/os-keypairs")["keypairs"]}
        assert reader.request("GET", f"/os-keypairs/{name}").status_code == 404
        assert member.request("POST", "/os-keypairs", json={"keypair": {"name": name}},
                              microversion="2.91").status_code == 409
    finally:
        member.request("DELETE", f"/os-keypairs/{name}", expect=204)


# ---------------------------------------------------------------------------------------------------------------
# listing


def test_paging_sorting_and_filters(sandbox, member, image):
    tag = uuid.uuid4().hex[:6]
    ids = []
    try:
        for index in range(3):
            ids.append(member.create_server(f"page-{tag}-{index}", image=image)["id"])
        for server_id in ids:
            member.wait_server(server_id)
        first = member.body("GET", f"/servers?name=^page-{tag}&limit=2&sort_key=display_name&sort_dir=asc")
        assert [s["name"] for s in first["servers"]] == [f"page-{tag}-0", f"page-{tag}-1"]
        next_link = first["servers_links"][0]["href"]
        assert "marker=" in next_link
        second = member.body("GET", next_link)
        assert [s["name"] for s in second["servers"]] == [f"page-{tag}-2"]
        assert "servers_links" not in second
        newest_first = member.body("GET", f"/servers?name=page-{tag}")["servers"]
        assert [s["id"] for s in newest_first] == list(reversed(ids))
        assert member.request("GET", "/servers?marker=" + str(uuid.uuid4())).status_code == 400
        assert member.request("GET", "/servers?sort_key=bogus").status_code == 400
        # status filter, and changes-since that shows deleted servers too
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        member.request("POST", f"/servers/{ids[0]}/action", json={"os-stop": None}, expect=202)
        member.wait_server(ids[0], "SHUTOFF")
        shutoff = member.body("GET", f"/servers?status=SHUTOFF&name=page-{tag}")["servers"]
        assert [s["id"] for s in shutoff] == [ids[0]]
        assert member.request("GET", "/servers?status=NOPE").status_code == 400
        member.delete_server(ids[1])
        changed = member.body("GET", f"/servers/detail?changes-since={since}&name=page-{tag}")["servers"]
        statuses = {s["id"]: s["status"] for s in changed}
        assert statuses[ids[1]] == "DELETED" and statuses[ids[0]] == "SHUTOFF"
    finally:
        for server_id in ids:
            member.delete_server(server_id)


def test_server_shape_depends_on_microversion(sandbox, server):
    old = ComputeApi(sandbox, "demo-member", "2.1").server(server["id"])
    new = ComputeApi(sandbox, "demo-member", "2.96").server(server["id"])
    assert set(old["flavor"]) == {"id", "links"} and new["flavor"]["original_name"] == "m1.tiny"
    for key in ("locked", "description", "tags", "pinned_availability_zone", "server_groups"):
        assert key not in old and key in new
    assert "OS-EXT-SRV-ATTR:host" not in new  # admin-only
    assert ComputeApi(sandbox, "admin", "2.96").server(server["id"])["OS-EXT-SRV-ATTR:host"] == "compute-nova"
    assert ComputeApi(sandbox, "demo-member", "2.97").request("GET", "/servers").status_code == 406


# ---------------------------------------------------------------------------------------------------------------
# volumes seen by the guest


def test_attach_and_detach_make_the_device_appear_and_go(sandbox, member, server):
    volumes = VolumeApi(sandbox)
    volume = volumes.create(1, name="attach-me")
    link = by_id_link(sandbox, server["id"], volume["id"])
    try:
        attached = member.body("POST", f"/servers/{server['id']}/os-volume_attachments",
                               json={"volumeAttachment": {"volumeId": volume["id"], "tag": "data",
                                                          "delete_on_termination": False}}, expect=200)
        assert attached["volumeAttachment"]["device"] == "/dev/vdb"
        assert volumes.get(volume["id"])["status"] in ("attaching", "in-use")
        volumes.wait(volume["id"], "in-use")
        assert os.path.exists(link)
        assert os.path.realpath(os.path.join(os.path.dirname(link), "..", "..", "vdb")) == os.path.realpath(link)
        # what the guest writes through its device lands in the volume
        with open(link, "r+b") as device:
            device.write(b"written by the guest")
        with open(os.path.join(sandbox.state_dir, "volumes", f"{volume['id']}.img"), "rb") as data:
            assert data.read(20) == b"written by the guest"
        shown = member.server(server["id"])
        assert shown["os-extended-volumes:volumes_attached"] == [{"id": volume["id"], "delete_on_termination": False}]
        # a second attach of the same volume, and the root disk, are refused as Nova does
        assert member.request("POST", f"/servers/{server['id']}/os-volume_attachments",
                              json={"volumeAttachment": {"volumeId": volume["id"]}}).status_code == 400
        member.request("DELETE", f"/servers/{server['id']}/os-volume_attachments/{volume['id']}", expect=202)
        volumes.wait(volume["id"], "available")
        assert not os.path.lexists(link)
        assert not os.path.lexists(os.path.join(sandbox.state_dir, "servers", server["id"], "dev", "vdb"))
        listed = member.body("GET", f"/servers/{server['id']}/os-volume_attachments")["volumeAttachments"]
        assert listed == []
        assert member.request("DELETE", f"/servers/{server['id']}/os-volume_attachments/{volume['id']}"
                              ).status_code == 404
    finally:
        volumes.delete(volume["id"])


def test_admin_attaches_another_projects_volume_to_its_proxy(sandbox, image):
    """How the backup proxy (a server in the service project) reads a tenant's volume."""
    service = ComputeApi(sandbox, "backup-service")
    proxy = service.create_server(f"proxy-{uuid.uuid4().hex[:6]}", image=image, networks="auto")
    demo_volumes = VolumeApi(sandbox, "demo-member")
    volume = demo_volumes.create(1, name="tenant-data")
    try:
        service.wait_server(proxy["id"])
        # a tenant cannot do this with another project's volume
        alt = ComputeApi(sandbox, "alt-member")
        alt_server = alt.create_server(f"alt-{uuid.uuid4().hex[:6]}", image=image)
        alt.wait_server(alt_server["id"])
        assert alt.request("POST", f"/servers/{alt_server['id']}/os-volume_attachments",
                           json={"volumeAttachment": {"volumeId": volume["id"]}}).status_code == 404
        alt.delete_server(alt_server["id"])
        service.request("POST", f"/servers/{proxy['id']}/os-volume_attachments",
                        json={"volumeAttachment": {"volumeId": volume["id"]}}, expect=200)
        demo_volumes.wait(volume["id"], "in-use")
        assert os.path.exists(by_id_link(sandbox, proxy["id"], volume["id"]))
        service.request("DELETE", f"/servers/{proxy['id']}/os-volume_attachments/{volume['id']}", expect=202)
        demo_volumes.wait(volume["id"], "available")
        assert not os.path.lexists(by_id_link(sandbox, proxy["id"], volume["id"]))
    finally:
        service.delete_server(proxy["id"])
        demo_volumes.delete(volume["id"])


def test_boot_from_volume_with_two_volumes(sandbox, member, image):
    volumes = VolumeApi(sandbox)
    data = volumes.create(1, name="bfv-data")
    created = member.create_server(f"bfv-{uuid.uuid4().hex[:6]}", block_device_mapping_v2=[
        {"boot_index": 0, "uuid": image, "source_type": "image", "destination_type": "volume", "volume_size": 1,
         "delete_on_termination": True},
        {"boot_index": -1, "uuid": data["id"], "source_type": "volume", "destination_type": "volume",
         "delete_on_termination": False}])
    try:
        server = member.wait_server(created["id"])
        attached = server["os-extended-volumes:volumes_attached"]
        assert len(attached) == 2
        root_id = next(a["id"] for a in attached if a["id"] != data["id"])
        root = volumes.wait(root_id, "in-use")
        assert root["bootable"] == "true" and root["volume_image_metadata"]["image_id"] == image
        devices = {a["volumeId"]: a["device"] for a in member.body(
            "GET", f"/servers/{created['id']}/os-volume_attachments")["volumeAttachments"]}
        assert devices == {root_id: "/dev/vda", data["id"]: "/dev/vdb"}
        dev = os.path.join(sandbox.state_dir, "servers", created["id"], "dev")
        wait_until(lambda: sorted(os.listdir(dev)), lambda names: "vdb" in names)
        with open(os.path.join(dev, "vda"), "rb") as disk:
            disk.seek(1024 + 56)
            assert disk.read(2) == b"\x53\xef"  # the ext4 superblock magic of the image, now on the volume
        assert member.request("DELETE", f"/servers/{created['id']}/os-volume_attachments/{root_id}"
                              ).status_code == 400  # "Cannot detach a root device volume"
        member.delete_server(created["id"])
        wait_until(lambda: volumes.get(root_id), lambda v: v is None)  # delete_on_termination
        volumes.wait(data["id"], "available")  # kept
    finally:
        member.request("DELETE", f"/servers/{created['id']}")
        volumes.delete(data["id"])


def test_an_image_with_v2_mappings_needs_the_image_mapping_at_boot_index_0(sandbox, member, image):
    """As genuine Nova 29 (found by the genuine tier): imageRef plus block_device_mapping_v2 entries, none of them at
    boot index 0, is an invalid boot sequence; the image's own mapping (source image, destination local, boot index
    0) in the list makes it a valid image-booted server with a volume."""
    volumes = VolumeApi(sandbox)
    data = volumes.create(1, name="image-plus-volume")
    volume_bdm = {"boot_index": -1, "uuid": data["id"], "source_type": "volume", "destination_type": "volume",
                  "delete_on_termination": False}
    refused = member.request("POST", "/servers", json={"server": {
        "name": "no-boot-index-0", "flavorRef": "1", "networks": "none", "imageRef": image,
        "block_device_mapping_v2": [volume_bdm]}})
    assert refused.status_code == 400 and "Boot sequence" in refused.text, refused.text
    created = member.create_server(f"image-plus-volume-{uuid.uuid4().hex[:6]}", image=image, networks="none",
                                   block_device_mapping_v2=[
                                       {"boot_index": 0, "uuid": image, "source_type": "image",
                                        "destination_type": "local", "delete_on_termination": True}, volume_bdm])
    try:
        server = member.wait_server(created["id"])
        assert [a["id"] for a in server["os-extended-volumes:volumes_attached"]] == [data["id"]]
        assert os.path.exists(os.path.join(sandbox.state_dir, "servers", created["id"], "disk.img"))
    finally:
        member.delete_server(created["id"])
        volumes.wait(data["id"], "available")
        volumes.delete(data["id"])


# ---------------------------------------------------------------------------------------------------------------
# createImage


def _image_api(sandbox, user="demo-member"):
    session = sandbox.session(user)
    base = sandbox.url + "/image/v2"
    return session, base


def test_create_image_of_an_image_booted_server(sandbox, member, server, image):
    session, base = _image_api(sandbox)
    response = member.request("POST", f"/servers/{server['id']}/action",
                              json={"createImage": {"name": "snap", "metadata": {"purpose": "test"}}}, expect=202)
    image_id = response.json()["image_id"]
    try:
        assert member.server(server["id"])["OS-EXT-STS:task_state"] in ("image_snapshot", "image_uploading", None)
        snap = wait_until(lambda: session.get(base + f"/images/{image_id}").json(), lambda i: i["status"] == "active")
        assert snap["image_type"] == "snapshot" and snap["instance_uuid"] == server["id"]
        assert snap["base_image_ref"] == image and snap["owner_project_name"] == "demo"
        assert snap["owner_user_name"] == "demo-member" and snap["purpose"] == "test"
        assert snap["visibility"] == "private" and snap["min_disk"] == 1 and snap["disk_format"] == "raw"
        root = os.path.join(sandbox.state_dir, "servers", server["id"], "disk.img")
        md5 = hashlib.md5(usedforsecurity=False)
        with open(root, "rb") as disk:
            while chunk := disk.read(8 << 20):
                md5.update(chunk)
        assert snap["checksum"] == md5.hexdigest() and snap["size"] == os.path.getsize(root) == 1 << 30
        member.wait_task_done(server["id"])
        actions = member.body("GET", f"/servers/{server['id']}/os-instance-actions")["instanceActions"]
        assert actions[0]["action"] == "createImage"
        # an older microversion answers with a Location header instead of a body
        old = ComputeApi(sandbox, "demo-member", "2.44")
        legacy = old.request("POST", f"/servers/{server['id']}/action", json={"createImage": {"name": "legacy"}},
                             expect=202)
        legacy_id = legacy.headers["Location"].rsplit("/", 1)[-1]
        assert not legacy.content
        member.wait_task_done(server["id"])
        session.delete(base + f"/images/{legacy_id}", raise_exc=False)
    finally:
        member.wait_task_done(server["id"])
        session.delete(base + f"/images/{image_id}", raise_exc=False)


def test_create_image_of_a_volume_backed_server_and_boot_it_again(sandbox, member, image):
    volumes = VolumeApi(sandbox)
    session, base = _image_api(sandbox)
    created = member.create_server(f"bfv-snap-{uuid.uuid4().hex[:6]}", block_device_mapping_v2=[
        {"boot_index": 0, "uuid": image, "source_type": "image", "destination_type": "volume", "volume_size": 1,
         "delete_on_termination": True}])
    restored = root_id = None
    snapshot_ids = []
    try:
        server = member.wait_server(created["id"])
        root_id = server["os-extended-volumes:volumes_attached"][0]["id"]
        volumes.wait(root_id, "in-use")
        link = by_id_link(sandbox, created["id"], root_id)
        wait_until(lambda: os.path.exists(link), bool)
        with open(link, "r+b") as device:
            device.seek(64 << 20)
            device.write(b"state of the volume at snapshot time")
        image_id = member.body("POST", f"/servers/{created['id']}/action",
                               json={"createImage": {"name": "bfv-snap"}}, expect=202)["image_id"]
        snap = session.get(base + f"/images/{image_id}").json()
        assert snap["status"] == "active" and snap["size"] == 0 and snap["bdm_v2"] == "True"
        assert snap["root_device_name"] == "/dev/vda" and "image_type" not in snap
        mapping = json.loads(snap["block_device_mapping"])
        assert [(m["source_type"], m["boot_index"], m["device_name"]) for m in mapping] == [
            ("snapshot", 0, "/dev/vda")]
        snapshot_ids = [m["snapshot_id"] for m in mapping]
        cinder = sandbox.session("demo-member")
        snapshot = wait_until(lambda: cinder.get(volumes.base + f"/snapshots/{snapshot_ids[0]}").json()["snapshot"],
                              lambda s: s["status"] == "available")
        assert snapshot["volume_id"] == root_id and snapshot["name"] == "snapshot for bfv-snap"
        # booting the snapshot image rebuilds the server from the snapshots (how a volume-backed server restores)
        restored = member.create_server(f"bfv-restored-{uuid.uuid4().hex[:6]}", image=image_id)
        again = member.wait_server(restored["id"])
        new_root = again["os-extended-volumes:volumes_attached"][0]["id"]
        assert new_root != root_id and again["image"] == ""
        assert volumes.get(new_root)["snapshot_id"] == snapshot_ids[0]
        new_link = by_id_link(sandbox, restored["id"], new_root)
        wait_until(lambda: os.path.exists(new_link), bool)
        with open(new_link, "rb") as device:
            device.seek(64 << 20)
            assert device.read(36) == b"state of the volume at snapshot time"
        session.delete(base + f"/images/{image_id}", raise_exc=False)
    finally:
        if restored:
            member.delete_server(restored["id"])
        member.delete_server(created["id"])
        for snapshot_id in snapshot_ids:  # a snapshot goes once the volumes made from it are gone
            wait_until(lambda sid=snapshot_id: [v for v in volumes.session.get(volumes.base + "/volumes/detail")
                                                .json()["volumes"] if v.get("snapshot_id") == sid],
                       lambda found: not found)
            volumes.session.delete(volumes.base + f"/snapshots/{snapshot_id}", raise_exc=False)
        if root_id:  # Nova could not delete it (it had a snapshot): Cinder kept it, as a real cloud does
            wait_until(lambda: volumes.session.get(volumes.base + "/snapshots").json()["snapshots"],
                       lambda found: not [s for s in found if s["volume_id"] == root_id])
            volumes.delete(root_id)


# ---------------------------------------------------------------------------------------------------------------
# delete, faults, quotas, power


def test_delete_cleans_up_ports_disk_and_volumes(sandbox, member, image):
    volumes = VolumeApi(sandbox)
    network = sandbox.session("demo-member")
    extra = volumes.create(1, name="goes-with-the-server")
    created = member.create_server(f"cleanup-{uuid.uuid4().hex[:6]}", image=image)
    server_dir = os.path.join(sandbox.state_dir, "servers", created["id"])
    try:
        member.wait_server(created["id"])
        member.request("POST", f"/servers/{created['id']}/os-volume_attachments",
                       json={"volumeAttachment": {"volumeId": extra["id"], "delete_on_termination": True}},
                       expect=200)
        volumes.wait(extra["id"], "in-use")
        ports = network.get(sandbox.url + f"/network/v2.0/ports?device_id={created['id']}").json()["ports"]
        assert len(ports) == 1 and ports[0]["device_owner"] == "compute:nova" and ports[0]["status"] == "ACTIVE"
        assert os.path.exists(os.path.join(server_dir, "disk.img"))
        member.delete_server(created["id"])
        assert network.get(sandbox.url + f"/network/v2.0/ports?device_id={created['id']}").json()["ports"] == []
        assert not os.path.exists(server_dir)
        wait_until(lambda: volumes.get(extra["id"]), lambda v: v is None)
    finally:
        member.request("DELETE", f"/servers/{created['id']}")
        volumes.delete(extra["id"])


def _arm(sandbox, operation: str, mode: str = "error") -> None:
    admin = sandbox.session("admin")
    admin.post(sandbox.url + "/_sandbox/faults", json={"operation": operation, "mode": mode, "count": 1})


def test_faults_server_create_and_image_create(sandbox, member, image):
    _arm(sandbox, "server.create")
    failed = member.create_server(f"doomed-{uuid.uuid4().hex[:6]}", image=image)
    try:
        server = member.wait_server(failed["id"], "ERROR")
        assert server["fault"]["code"] == 500 and "No valid host" in server["fault"]["message"]
        assert "details" not in server["fault"]  # a 500's details are for admins
        assert "details" in ComputeApi(sandbox, "admin").server(failed["id"])["fault"]
        ports = sandbox.session("demo-member").get(
            sandbox.url + f"/network/v2.0/ports?device_id={failed['id']}").json()["ports"]
        assert ports == []
    finally:
        member.delete_server(failed["id"])
    created = member.create_server(f"snapfail-{uuid.uuid4().hex[:6]}", image=image)
    session, base = _image_api(sandbox)
    try:
        member.wait_server(created["id"])
        _arm(sandbox, "image.create")
        image_id = member.body("POST", f"/servers/{created['id']}/action",
                               json={"createImage": {"name": "never"}}, expect=202)["image_id"]
        wait_until(lambda: session.get(base + f"/images/{image_id}").json()["status"], lambda s: s == "killed")
        assert member.wait_task_done(created["id"])["status"] == "ACTIVE"
        session.delete(base + f"/images/{image_id}", raise_exc=False)
    finally:
        member.delete_server(created["id"])


def test_quota_limits_new_servers(sandbox, image):
    admin = ComputeApi(sandbox, "admin")
    alt = ComputeApi(sandbox, "alt-member")
    project = alt.project_id
    used = admin.body("GET", f"/os-quota-sets/{project}/detail")["quota_set"]["instances"]["in_use"]
    admin.request("PUT", f"/os-quota-sets/{project}", json={"quota_set": {"instances": used}}, expect=200)
    try:
        refused = alt.request("POST", "/servers", json={"server": {"name": "over", "flavorRef": "1",
                                                                   "imageRef": image, "networks": "auto"}})
        assert refused.status_code == 403 and "Quota exceeded for instances" in refused.json()["forbidden"]["message"]
        limits = alt.body("GET", "/limits")["limits"]["absolute"]
        assert limits["maxTotalInstances"] == used == limits["totalInstancesUsed"]
    finally:
        admin.request("DELETE", f"/os-quota-sets/{project}", expect=202)
    assert alt.body("GET", "/limits")["limits"]["absolute"]["maxTotalInstances"] == 10


def test_power_actions_and_console(sandbox, member, server):
    server_id = server["id"]
    assert member.request("POST", f"/servers/{server_id}/action", json={"os-start": None}).status_code == 409
    member.request("POST", f"/servers/{server_id}/action", json={"reboot": {"type": "SOFT"}}, expect=202)
    assert member.server(server_id)["status"] in ("REBOOT", "ACTIVE")
    member.wait_server(server_id, "ACTIVE")
    member.request("POST", f"/servers/{server_id}/action", json={"os-stop": None}, expect=202)
    assert member.wait_server(server_id, "SHUTOFF")["OS-EXT-STS:power_state"] == 4
    member.request("POST", f"/servers/{server_id}/action", json={"os-start": None}, expect=202)
    member.wait_server(server_id, "ACTIVE")
    output = member.body("POST", f"/servers/{server_id}/action", json={"os-getConsoleOutput": {"length": -1}},
                         expect=200)["output"]
    assert f"{server['OS-EXT-SRV-ATTR:hostname']} login:" in output
    console = member.body("POST", f"/servers/{server_id}/remote-consoles",
                          json={"remote_console": {"protocol": "vnc", "type": "novnc"}}, expect=200)
    page = sandbox.session("demo-member").get(console["remote_console"]["url"], authenticated=False)
    assert page.status_code == 200 and "login:" in page.text
    actions = [a["action"] for a in member.body("GET", f"/servers/{server_id}/os-instance-actions")[
        "instanceActions"]]
    assert actions[:4] == ["start", "stop", "reboot", "create"]


def test_attach_while_building_is_a_conflict(sandbox, member, image):
    volumes = VolumeApi(sandbox)
    volume = volumes.create(1)
    created = member.create_server(f"building-{uuid.uuid4().hex[:6]}", image=image)
    try:
        response = member.request("POST", f"/servers/{created['id']}/os-volume_attachments",
                                  json={"volumeAttachment": {"volumeId": volume["id"]}})
        if member.server(created["id"])["status"] == "BUILD" or response.status_code == 409:
            assert response.status_code == 409
            assert "vm_state building" in response.json()["conflictingRequest"]["message"]
    finally:
        member.delete_server(created["id"])
        volumes.wait(volume["id"], "available")
        volumes.delete(volume["id"])


def test_metadata_tags_and_update(sandbox, member, server):
    server_id = server["id"]
    member.request("POST", f"/servers/{server_id}/metadata", json={"metadata": {"env": "test"}}, expect=200)
    member.request("PUT", f"/servers/{server_id}/metadata/owner", json={"meta": {"owner": "qa"}}, expect=200)
    assert member.body("GET", f"/servers/{server_id}/metadata")["metadata"] == {"env": "test", "owner": "qa"}
    member.request("PUT", f"/servers/{server_id}/tags", json={"tags": ["a", "b"]}, expect=200)
    member.request("PUT", f"/servers/{server_id}/tags/c", expect=201)
    assert member.request("GET", f"/servers/{server_id}/tags/z").status_code == 404
    assert [s["id"] for s in member.body("GET", "/servers?tags=a,c")["servers"]] == [server_id]
    assert server_id not in {s["id"] for s in member.body("GET", "/servers?not-tags=a")["servers"]}
    renamed = member.body("PUT", f"/servers/{server_id}", json={"server": {"name": "renamed",
                                                                            "description": "d"}}, expect=200)
    assert renamed["server"]["name"] == "renamed" and renamed["server"]["description"] == "d"
    assert ComputeApi(sandbox, "demo-member", "2.18").request(
        "PUT", f"/servers/{server_id}", json={"server": {"description": "x"}}).status_code == 400


def test_usage_pages_instances_and_totals_per_page(sandbox, member, server, image):
    second = member.create_server(f"usage-{uuid.uuid4().hex[:6]}", image=image)
    try:
        member.wait_server(second["id"])
        path = f"/os-simple-tenant-usage/{member.project_id}?start=2020-01-01T00:00:00"
        everything = member.body("GET", path)["tenant_usage"]
        assert {server["id"], second["id"]} <= {u["instance_id"] for u in everything["server_usages"]}
        page = member.body("GET", path + "&limit=1")
        usage = page["tenant_usage"]
        assert len(usage["server_usages"]) == 1 and page["tenant_usage_links"][0]["rel"] == "next"
        assert usage["total_hours"] == usage["server_usages"][0]["hours"]  # totals of this page only
        old = ComputeApi(sandbox, "demo-member", "2.39").body("GET", path + "&limit=1")["tenant_usage"]
        assert len(old["server_usages"]) == len(everything["server_usages"])  # no paging before 2.40
        assert ComputeApi(sandbox, "alt-member").request(
            "GET", f"/os-simple-tenant-usage/{member.project_id}").status_code == 403
    finally:
        member.delete_server(second["id"])


def test_horizon_instance_actions(sandbox, member, server, image):
    """What Horizon's instance menu does: resize, rebuild, shelve, rescue, lock, interfaces, security groups."""
    server_id = server["id"]

    def act(body: dict, expect: int = 202) -> None:
        member.request("POST", f"/servers/{server_id}/action", json=body, expect=expect)

    act({"resize": {"flavorRef": "2"}})
    resized = member.wait_server(server_id, "VERIFY_RESIZE")
    assert resized["flavor"]["original_name"] == "m1.small"
    act({"confirmResize": None}, expect=204)
    assert member.wait_server(server_id)["flavor"]["original_name"] == "m1.small"
    assert member.request("POST", f"/servers/{server_id}/action", json={"resize": {"flavorRef": "1"}}
                          ).status_code == 400  # the root disk cannot shrink
    rebuilt = member.body("POST", f"/servers/{server_id}/action", json={"rebuild": {"imageRef": image}},
                          expect=202)["server"]
    assert rebuilt["status"] == "REBUILD" and rebuilt["adminPass"]
    member.wait_server(server_id)
    act({"shelve": None})
    shelved = member.wait_server(server_id, "SHELVED_OFFLOADED")
    assert ComputeApi(sandbox, "admin").server(server_id)["OS-EXT-SRV-ATTR:host"] is None
    assert shelved["OS-EXT-STS:power_state"] == 4
    act({"unshelve": None})
    member.wait_server(server_id)
    rescue = member.body("POST", f"/servers/{server_id}/action", json={"rescue": None}, expect=200)
    assert rescue["adminPass"]
    member.wait_server(server_id, "RESCUE")
    act({"unrescue": None})
    member.wait_server(server_id)
    act({"lock": {"locked_reason": "maintenance"}})
    assert member.server(server_id)["locked_reason"] == "maintenance"
    assert member.request("POST", f"/servers/{server_id}/action", json={"os-stop": None}).status_code == 409
    act({"unlock": None})

    network = sandbox.session("demo-member")
    demo_net = network.get(sandbox.url + "/network/v2.0/networks?name=demo-net").json()["networks"][0]
    added = member.body("POST", f"/servers/{server_id}/os-interface",
                        json={"interfaceAttachment": {"net_id": demo_net["id"]}}, expect=200)["interfaceAttachment"]
    assert len(member.body("GET", f"/servers/{server_id}/os-interface")["interfaceAttachments"]) == 2
    member.request("DELETE", f"/servers/{server_id}/os-interface/{added['port_id']}", expect=202)
    assert network.get(sandbox.url + f"/network/v2.0/ports/{added['port_id']}", raise_exc=False).status_code == 404
    group = network.post(sandbox.url + "/network/v2.0/security-groups",
                         json={"security_group": {"name": f"web-{uuid.uuid4().hex[:4]}"}}).json()["security_group"]
    try:
        act({"addSecurityGroup": {"name": group["name"]}})
        assert {"name": group["name"]} in member.server(server_id)["security_groups"]
        act({"removeSecurityGroup": {"name": group["name"]}})
        assert {"name": group["name"]} not in member.server(server_id)["security_groups"]
    finally:
        network.delete(sandbox.url + f"/network/v2.0/security-groups/{group['id']}")
    actions = [a["action"] for a in member.body("GET", f"/servers/{server_id}/os-instance-actions")[
        "instanceActions"]]
    assert {"resize", "confirmResize", "rebuild", "shelve", "unshelve", "rescue", "lock"} <= set(actions)


def test_a_volume_backed_rebuild_reimages_the_boot_volume_from_2_93_and_keeps_it_stopped(sandbox, member, image):
    """Genuine Nova refuses a new image for a volume-backed server before 2.93; from 2.93 Cinder reimages the boot
    volume in place (same id), and a server stopped before the rebuild is stopped after it. A data volume detached
    and attached again gets the device it asks for when it is free."""
    volumes = VolumeApi(sandbox)
    data = volumes.create(1, name="reimage-data")
    created = member.create_server(f"reimage-{uuid.uuid4().hex[:6]}", block_device_mapping_v2=[
        {"boot_index": 0, "uuid": image, "source_type": "image", "destination_type": "volume", "volume_size": 1,
         "delete_on_termination": True},
        {"boot_index": -1, "uuid": data["id"], "source_type": "volume", "destination_type": "volume",
         "delete_on_termination": False}])
    server_id = created["id"]
    try:
        server = member.wait_server(server_id)
        root_id = next(a["id"] for a in server["os-extended-volumes:volumes_attached"] if a["id"] != data["id"])
        vda = os.path.join(sandbox.state_dir, "servers", server_id, "dev", "vda")
        wait_until(lambda: os.path.exists(vda), bool)
        with open(vda, "r+b") as disk:  # the guest wipes its superblock
            disk.seek(1024)
            disk.write(b"\0" * 1024)
        member.request("POST", f"/servers/{server_id}/action", json={"os-stop": None}, expect=202)
        member.wait_server(server_id, "SHUTOFF")
        refused = member.request("POST", f"/servers/{server_id}/action", json={"rebuild": {"imageRef": image}},
                                 microversion="2.92")
        assert refused.status_code == 400 and "volume-backed" in refused.text
        rebuilt = member.body("POST", f"/servers/{server_id}/action", json={"rebuild": {"imageRef": image}},
                              expect=202)["server"]
        assert rebuilt["status"] == "REBUILD"
        server = member.wait_server(server_id, "SHUTOFF")
        assert [a["id"] for a in server["os-extended-volumes:volumes_attached"]] == [root_id, data["id"]]
        with open(vda, "rb") as disk:
            disk.seek(1024 + 56)
            assert disk.read(2) == b"\x53\xef"  # the image's ext4 superblock, on the very same volume again
        assert volumes.get(root_id)["volume_image_metadata"]["image_id"] == image

        member.request("DELETE", f"/servers/{server_id}/os-volume_attachments/{data['id']}", expect=202)
        volumes.wait(data["id"], "available")
        attached = member.body("POST", f"/servers/{server_id}/os-volume_attachments",
                               json={"volumeAttachment": {"volumeId": data["id"], "device": "/dev/vdb"}},
                               expect=200)["volumeAttachment"]
        assert attached["device"] == "/dev/vdb"
        volumes.wait(data["id"], "in-use")
    finally:
        member.request("DELETE", f"/servers/{server_id}")
        volumes.wait(data["id"], "available")
        volumes.delete(data["id"])
