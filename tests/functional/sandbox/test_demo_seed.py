# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The demo seed: proxy servers per AZ, web-1 booted from two real ext4 volumes, app-1, alt-vm-1.

Filesystems are checked with e2fsprogs on the files behind the volumes (``dumpe2fs -h``, ``debugfs -R``), read
through the servers' own device views, as a proxy VM would see them: no mount, no root.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest

from tests.functional.sandbox.nova_helpers import ComputeApi, VolumeApi

DEBUGFS = shutil.which("debugfs") or "/usr/sbin/debugfs"
DUMPE2FS = shutil.which("dumpe2fs") or "/usr/sbin/dumpe2fs"


def debugfs(device: str, command: str) -> str:
    return subprocess.run([DEBUGFS, "-R", command, device], check=True, capture_output=True, text=True).stdout


def superblock(device: str) -> dict[str, str]:
    out = subprocess.run([DUMPE2FS, "-h", device], check=True, capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()) if v}


@pytest.fixture(scope="module")
def servers(demo_sandbox) -> dict[str, dict]:
    admin = ComputeApi(demo_sandbox, "admin")
    return {s["name"]: s for s in admin.body("GET", "/servers/detail?all_tenants=1")["servers"]}


def test_servers_per_project_and_zone(demo_sandbox, servers):
    demo = {s["name"] for s in ComputeApi(demo_sandbox, "demo-member").body("GET", "/servers")["servers"]}
    alt = {s["name"] for s in ComputeApi(demo_sandbox, "alt-member").body("GET", "/servers")["servers"]}
    assert demo == {"web-1", "app-1"} and alt == {"alt-vm-1"}
    for name in ("backup-proxy-nova", "backup-proxy-az2", "web-1", "app-1", "alt-vm-1"):
        assert servers[name]["status"] == "ACTIVE", name
    assert servers["backup-proxy-nova"]["OS-EXT-AZ:availability_zone"] == "nova"
    assert servers["backup-proxy-az2"]["OS-EXT-AZ:availability_zone"] == "az2"
    assert servers["backup-proxy-az2"]["OS-EXT-SRV-ATTR:host"] == "compute-az2"
    assert servers["web-1"]["OS-EXT-AZ:availability_zone"] == "nova"
    assert servers["web-1"]["image"] == "" and servers["app-1"]["image"]["id"]
    with open(os.path.join(demo_sandbox.state_dir, "state.json")) as handle:
        meta = json.load(handle)["meta"]
    assert meta["proxy_servers"] == {"nova": servers["backup-proxy-nova"]["id"],
                                     "az2": servers["backup-proxy-az2"]["id"]}
    images = demo_sandbox.session("demo-member").get(demo_sandbox.url + "/image/v2/images").json()["images"]
    linux = next(i for i in images if i["name"] == "sandbox-linux")
    assert linux["visibility"] == "public" and linux["status"] == "active" and linux["disk_format"] == "raw"


def test_web_1_boots_from_two_ext4_volumes_with_real_data(demo_sandbox, servers):
    web = servers["web-1"]
    member = ComputeApi(demo_sandbox, "demo-member")
    attachments = member.body("GET", f"/servers/{web['id']}/os-volume_attachments")["volumeAttachments"]
    devices = {a["device"]: a["volumeId"] for a in attachments}
    assert sorted(devices) == ["/dev/vda", "/dev/vdb"]
    volumes = VolumeApi(demo_sandbox)
    root, data = volumes.get(devices["/dev/vda"]), volumes.get(devices["/dev/vdb"])
    assert root["name"] == "web-1-root" and root["bootable"] == "true" and root["status"] == "in-use"
    assert data["name"] == "web-1-data" and data["status"] == "in-use"
    by_id = os.path.join(demo_sandbox.state_dir, "servers", web["id"], "dev", "disk", "by-id")
    data_device = os.path.join(by_id, f"virtio-{data['id'][:20]}")
    root_device = os.path.join(by_id, f"virtio-{root['id'][:20]}")
    assert superblock(root_device)["Filesystem volume name"] == "cloudimg-rootfs"
    assert superblock(data_device)["Filesystem volume name"] == "web-data"
    assert "os-release" in debugfs(root_device, "ls /etc")
    listing = debugfs(data_device, "ls -l /srv/app/data")
    assert "orders.csv" in listing
    orders = debugfs(data_device, "cat /srv/app/data/orders.csv")
    assert len(orders) > 1_000_000 and orders.startswith("id,customer,item")
    sums = dict(line.split("  ")[::-1] for line in debugfs(data_device, "cat /srv/app/SHA256SUMS").splitlines())
    assert sums["srv/app/data/orders.csv"] == hashlib.sha256(orders.encode()).hexdigest()


def test_image_booted_servers_have_the_image_on_their_root_disk(demo_sandbox, servers):
    for name in ("app-1", "alt-vm-1", "backup-proxy-nova"):
        root = os.path.join(demo_sandbox.state_dir, "servers", servers[name]["id"], "dev", "vda")
        assert superblock(root)["Filesystem volume name"] == "cloudimg-rootfs"
        assert debugfs(root, "cat /etc/hostname") == "sandbox-linux\n"
    proxy_disk = os.path.join(demo_sandbox.state_dir, "servers", servers["backup-proxy-nova"]["id"], "disk.img")
    assert os.path.getsize(proxy_disk) == 10 * 1024 ** 3  # grown to the backup.proxy flavor, sparse
    assert os.stat(proxy_disk).st_blocks * 512 < 300 * 1024 ** 2
