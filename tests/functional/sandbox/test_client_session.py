# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The official clients drive a whole session against the embedded cloud, as an operator would.

python-novaclient, python-cinderclient and python-glanceclient on keystoneauth1 sessions, and the ``openstack``
CLI (``python -m openstackclient.shell`` with ``clouds.yaml``), take turns: a boot-from-volume server with two
volumes, a forced snapshot of its in-use data volume, a volume from that snapshot attached to another server and
detached again, an image of a server downloaded and compared byte for byte, and everything deleted.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import uuid

from cinderclient import client as cinder_client
from glanceclient import client as glance_client
from novaclient import client as nova_client
from novaclient import exceptions as nova_exceptions

from tests.functional.sandbox.nova_helpers import make_ext4_image, wait_until


def openstack(sandbox, *args: str, parse: bool = True):
    result = subprocess.run([sys.executable, "-m", "openstackclient.shell", *args] + (["-f", "json"] if parse else []),
                            env=sandbox.cli_env("sandbox-demo"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return json.loads(result.stdout) if parse and result.stdout.strip() else result.stdout


def wait_status(get, wanted: str, timeout: float = 60):
    return wait_until(get, lambda item: getattr(item, "status", None) == wanted, timeout,
                      fail=lambda item: str(getattr(item, "status", "")).lower().startswith("error"))


def test_full_session_with_official_clients_and_cli(sandbox):
    session = sandbox.session("demo-member")
    nova = nova_client.Client("2.96", session=session)
    cinder = cinder_client.Client("3.71", session=session)
    glance = glance_client.Client("2", session=session)
    tag = uuid.uuid4().hex[:6]
    created = {"servers": [], "volumes": [], "snapshots": [], "images": []}
    try:
        # an image to boot from, uploaded with glanceclient
        image = glance.images.create(name=f"session-image-{tag}", disk_format="raw", container_format="bare")
        created["images"].append(image.id)
        glance.images.upload(image.id, io.BytesIO(make_ext4_image(8, {"/etc/hostname": "session\n"})))
        wait_status(lambda: glance.images.get(image.id), "active")

        # novaclient: a boot-from-volume server with two volumes (root from the image, a blank data volume)
        bfv = nova.servers.create(f"session-bfv-{tag}", image=None, flavor="1", nics="auto",
                                  block_device_mapping_v2=[
                                      {"boot_index": 0, "uuid": image.id, "source_type": "image",
                                       "destination_type": "volume", "volume_size": 1,
                                       "delete_on_termination": True},
                                      {"boot_index": -1, "source_type": "blank", "destination_type": "volume",
                                       "volume_size": 1, "delete_on_termination": True}])
        created["servers"].append(bfv.id)
        bfv = wait_status(lambda: nova.servers.get(bfv.id), "ACTIVE")
        attached = nova.volumes.get_server_volumes(bfv.id)
        assert sorted(a.device for a in attached) == ["/dev/vda", "/dev/vdb"]
        data_id = next(a.volumeId for a in attached if a.device == "/dev/vdb")
        wait_status(lambda: cinder.volumes.get(data_id), "in-use")
        # the guest writes to its data disk (through its device view)
        data_device = os.path.join(sandbox.state_dir, "servers", bfv.id, "dev", "disk", "by-id",
                                   f"virtio-{data_id[:20]}")
        wait_until(lambda: os.path.exists(data_device), bool)
        payload = os.urandom(1 << 20)
        with open(data_device, "r+b") as device:
            device.seek(4 << 20)
            device.write(payload)

        # the CLI: snapshot the in-use volume with --force, then a volume from the snapshot. (OSC 10 sends
        # ``force`` only below microversion 3.66 and, through openstacksdk, sends no microversion at all unless
        # told one; Cinder then applies 3.0's rules and refuses an in-use volume, as the real one does. So an
        # operator names the microversion.)
        snapshot = openstack(sandbox, "--os-volume-api-version", "3.65", "volume", "snapshot", "create",
                             "--volume", data_id, "--force", f"session-snap-{tag}")
        created["snapshots"].append(snapshot["id"])
        wait_status(lambda: cinder.volume_snapshots.get(snapshot["id"]), "available")
        with open(data_device, "r+b") as device:  # written after the snapshot: must not reach the copy
            device.seek(4 << 20)
            device.write(b"\0" * 16)
        restored = openstack(sandbox, "volume", "create", "--snapshot", snapshot["id"], "--size", "1",
                             f"session-restored-{tag}")
        created["volumes"].append(restored["id"])
        wait_status(lambda: cinder.volumes.get(restored["id"]), "available")

        # another server (the CLI, image-booted, waiting for ACTIVE); the restored volume goes to it and back
        other = openstack(sandbox, "server", "create", "--image", image.id, "--flavor", "m1.tiny", "--network",
                          "demo-net", "--wait", f"session-vm-{tag}")
        created["servers"].append(other["id"])
        assert other["status"] == "ACTIVE"
        openstack(sandbox, "server", "add", "volume", other["id"], restored["id"], parse=False)
        wait_status(lambda: cinder.volumes.get(restored["id"]), "in-use")
        restored_device = os.path.join(sandbox.state_dir, "servers", other["id"], "dev", "disk", "by-id",
                                       f"virtio-{restored['id'][:20]}")
        with open(restored_device, "rb") as device:
            device.seek(4 << 20)
            assert device.read(len(payload)) == payload
        assert restored["id"] in {a.volumeId for a in nova.volumes.get_server_volumes(other["id"])}
        openstack(sandbox, "server", "remove", "volume", other["id"], restored["id"], parse=False)
        wait_status(lambda: cinder.volumes.get(restored["id"]), "available")
        assert not os.path.lexists(restored_device)

        # novaclient: an image of the image-booted server; glanceclient downloads it; same bytes as its disk
        snapshot_image_id = nova.servers.create_image(other["id"], f"session-server-image-{tag}")
        created["images"].append(snapshot_image_id)
        snap = wait_status(lambda: glance.images.get(snapshot_image_id), "active", timeout=120)
        assert snap.image_type == "snapshot" and snap.instance_uuid == other["id"]
        wait_until(lambda: nova.servers.get(other["id"]), lambda s: getattr(s, "OS-EXT-STS:task_state") is None)
        downloaded = hashlib.sha256()
        size = 0
        for chunk in glance.images.data(snapshot_image_id):
            downloaded.update(chunk)
            size += len(chunk)
        on_disk = hashlib.sha256()
        with open(os.path.join(sandbox.state_dir, "servers", other["id"], "disk.img"), "rb") as disk:
            while chunk := disk.read(8 << 20):
                on_disk.update(chunk)
        assert size == snap.size == 1 << 30 and downloaded.hexdigest() == on_disk.hexdigest()

        # delete everything: servers first (their delete_on_termination volumes go with them)
        nova.servers.delete(bfv.id)
        openstack(sandbox, "server", "delete", "--wait", other["id"], parse=False)
        for server_id in (bfv.id, other["id"]):
            wait_until(lambda sid=server_id: _gone(lambda: nova.servers.get(sid)), bool)
        cinder.volumes.delete(restored["id"])
        wait_until(lambda: _gone(lambda: cinder.volumes.get(restored["id"])), bool)
        cinder.volume_snapshots.delete(snapshot["id"])
        wait_until(lambda: _gone(lambda: cinder.volume_snapshots.get(snapshot["id"])), bool)
        # the data volume was delete_on_termination, but it had a snapshot when its server went: Nova could not
        # delete it and Cinder kept it (as in a real cloud); now that the snapshot is gone it can go
        cinder.volumes.delete(wait_status(lambda: cinder.volumes.get(data_id), "available"))
        wait_until(lambda: _gone(lambda: cinder.volumes.get(data_id)), bool)
        for image_id in created["images"]:
            glance.images.delete(image_id)
        assert not [s for s in nova.servers.list() if tag in s.name]
        assert not [v for v in cinder.volumes.list() if tag in (v.name or "")]
        assert not [i for i in glance.images.list() if tag in (i.name or "")]
    finally:
        _cleanup(nova, cinder, glance, created)


def _gone(get) -> bool:
    try:
        get()
    except Exception as error:  # novaclient / cinderclient NotFound, glanceclient HTTPNotFound
        return getattr(error, "code", getattr(error, "status_code", None)) == 404 or "404" in str(error)
    return False


def _cleanup(nova, cinder, glance, created: dict) -> None:
    for server_id in created["servers"]:
        try:
            nova.servers.delete(server_id)
        except nova_exceptions.NotFound:
            pass
    deadline = time.time() + 30
    while time.time() < deadline and not all(_gone(lambda s=s: nova.servers.get(s)) for s in created["servers"]):
        time.sleep(0.1)
    for volume_id in created["volumes"]:
        if not _gone(lambda v=volume_id: cinder.volumes.get(v)):
            cinder.volumes.delete(volume_id)
    for snapshot_id in created["snapshots"]:
        deadline = time.time() + 30
        while time.time() < deadline and any(getattr(v, "snapshot_id", None) == snapshot_id
                                             for v in cinder.volumes.list()):
            time.sleep(0.1)
        if not _gone(lambda s=snapshot_id: cinder.volume_snapshots.get(s)):
            cinder.volume_snapshots.delete(snapshot_id)
    for image_id in created["images"]:
        if not _gone(lambda i=image_id: glance.images.get(i)):
            glance.images.delete(image_id)
