# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The demo's servers with real data (``python -m storage_backup_sandbox --seed demo``).

* a public Glance image ``sandbox-linux``: a real raw ext4 filesystem (``mkfs.ext4 -d`` from a small tree with
  ``/etc/os-release``, ``/etc/hostname`` and some text files; no mounting, no root needed), sparse;
* in ``service``: one backup proxy server per availability zone (``backup-proxy-nova``, ``backup-proxy-az2``),
  image-booted on the private ``backup.proxy`` flavor; their IDs go to ``state.meta["proxy_servers"]``;
* in ``demo``: ``web-1``, booted from volume in AZ ``nova`` with two ext4 volumes (``web-1-root`` made from the
  image, bootable; ``web-1-data`` holding a few MiB of application data), and ``app-1``, image-booted in ``az2``;
* in ``alt``: ``alt-vm-1``, image-booted.

Everything goes through the services' model functions (the same code paths as the REST APIs), and pending
transitions are run synchronously so the cloud is ready when the server starts listening.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile

from storage_backup_sandbox import cinder, glance, keystone
from storage_backup_sandbox.nova_resources import PROXY_FLAVOR_ID
from storage_backup_sandbox.nova_servers import boot_server
from storage_backup_sandbox.state import State

IMAGE_NAME = "sandbox-linux"
IMAGE_SIZE_MIB = 256
MKFS = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"


def _write(root: str, path: str, text: str) -> None:
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)


def _os_tree(root: str) -> None:
    """A small Debian-like root filesystem."""
    _write(root, "/etc/os-release", 'PRETTY_NAME="Sandbox Linux 12 (bookworm)"\nNAME="Sandbox Linux"\n'
                                    'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
                                    'HOME_URL="https://www.debian.org/"\n')
    _write(root, "/etc/hostname", "sandbox-linux\n")
    _write(root, "/etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tsandbox-linux\n")
    _write(root, "/etc/fstab", "LABEL=cloudimg-rootfs\t/\text4\tdefaults,discard\t0 1\n")
    _write(root, "/etc/motd", "Welcome to Sandbox Linux, the embedded cloud's demo image.\n")
    _write(root, "/etc/cloud/cloud.cfg.d/90_datasource.cfg", "datasource_list: [ OpenStack, ConfigDrive, None ]\n")
    _write(root, "/usr/share/doc/sandbox-linux/README",
           "This image is a real ext4 filesystem built with mkfs.ext4 -d.\n"
           "Servers booted from it get a copy as their root disk.\n")
    _write(root, "/var/log/dpkg.log", "".join(f"2024-03-0{1 + i % 9} 10:{i % 60:02d}:00 status installed "
                                              f"package-{i}:amd64 1.{i}.0-1\n" for i in range(400)))
    for directory in ("home", "root", "tmp", "srv", "var/lib", "usr/bin", "usr/lib", "proc", "sys", "dev", "run"):
        os.makedirs(os.path.join(root, directory), exist_ok=True)


def _app_tree(root: str) -> None:
    """A few MiB of application data: what a backup must bring back byte for byte."""
    generator = random.Random(20240401)
    words = ("order", "invoice", "customer", "shipment", "payment", "refund", "catalog", "warehouse", "ticket")
    rows = ["id,customer,item,quantity,price_cents,created_at"]
    for index in range(40000):
        rows.append(f"{index},{generator.randrange(1, 5000)},{generator.choice(words)}-{generator.randrange(999)},"
                    f"{generator.randrange(1, 20)},{generator.randrange(100, 99999)},"
                    f"2024-0{1 + index % 9}-{1 + index % 28:02d}T{index % 24:02d}:{index % 60:02d}:00Z")
    _write(root, "/srv/app/data/orders.csv", "\n".join(rows) + "\n")
    lines = []
    for index in range(30000):
        lines.append(f"2024-04-{1 + index % 28:02d} {index % 24:02d}:{index % 60:02d}:{(index * 7) % 60:02d} INFO "
                     f"web[{1000 + index % 37}]: GET /api/{generator.choice(words)}s/{generator.randrange(99999)} "
                     f"200 {generator.randrange(1, 900)}ms")
    _write(root, "/srv/app/logs/access.log", "\n".join(lines) + "\n")
    config = {"service": "web-1", "database": {"host": "10.0.10.20", "name": "shop"}, "workers": 4,
              "features": {"checkout": True, "recommendations": False}}
    _write(root, "/srv/app/config.json", json.dumps(config, indent=2) + "\n")
    _write(root, "/srv/app/README.txt", "Application data of web-1. orders.csv is the source of truth; "
                                        "SHA256SUMS lists every file's checksum.\n")
    sums = []
    for directory, _, files in os.walk(os.path.join(root, "srv", "app")):
        for name in sorted(files):
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                sums.append(f"{hashlib.sha256(handle.read()).hexdigest()}  {os.path.relpath(path, root)}")
    _write(root, "/srv/app/SHA256SUMS", "\n".join(sorted(sums)) + "\n")


def make_ext4(target: str, tree: str, label: str, size_bytes: int | None = None) -> None:
    """Format ``target`` (a file; created sparse with ``size_bytes`` when given) as ext4 holding ``tree``."""
    if size_bytes is not None:
        with open(target, "wb") as handle:
            handle.truncate(size_bytes)
    subprocess.run([MKFS, "-q", "-F", "-t", "ext4", "-L", label, "-d", tree, "-E",
                    "lazy_itable_init=1,lazy_journal_init=1,root_owner=0:0", target],
                   check=True, capture_output=True, timeout=120)


def _ids(state: State) -> dict[str, str]:
    ids = {}
    for name in ("admin", "service", "demo", "alt"):
        project = keystone.find_by_name(state, "projects", name, "default")
        ids[f"project:{name}"] = project["id"]
    for name in ("admin", "backup-service", "demo-member", "alt-member"):
        ids[f"user:{name}"] = keystone.find_by_name(state, "users", name, "default")["id"]
    return ids


def _network(state: State, name: str) -> list[dict]:
    for net in state.table("networks").values():
        if net["name"] == name:
            return [{"uuid": net["id"]}]
    return "auto"  # type: ignore[return-value]


def seed(state: State) -> None:
    """Proxy servers per AZ, a boot-from-volume instance with two ext4 volumes, an image-booted instance."""
    ids = _ids(state)
    work = tempfile.mkdtemp(prefix="sandbox-demo-")
    try:
        # the image
        os_tree = os.path.join(work, "rootfs")
        _os_tree(os_tree)
        image_file = os.path.join(work, "sandbox-linux.raw")
        make_ext4(image_file, os_tree, "cloudimg-rootfs", IMAGE_SIZE_MIB * 1024 * 1024)
        with state.lock:
            image = glance.create_image(state, owner=ids["project:admin"], name=IMAGE_NAME, disk_format="raw",
                                        container_format="bare", visibility="public", min_disk=1, min_ram=256,
                                        properties={"os_distro": "debian", "os_version": "12",
                                                    "os_type": "linux", "hw_disk_bus": "virtio",
                                                    "hw_qemu_guest_agent": "yes"})
        glance.store_image_data(state, image["id"], image_file)

        with state.lock:
            # the data volume of web-1: ext4 with real files, written where Cinder keeps the volume's bytes
            data = cinder.create_volume(state, project_id=ids["project:demo"], user_id=ids["user:demo-member"],
                                        size=1, name="web-1-data", description="web-1 application data",
                                        availability_zone="nova")
            root = cinder.create_volume(state, project_id=ids["project:demo"], user_id=ids["user:demo-member"],
                                        size=2, name="web-1-root", description="web-1 root disk",
                                        availability_zone="nova", image_id=image["id"])
        state.run_pending_now()
        app_tree = os.path.join(work, "appdata")
        _app_tree(app_tree)
        with state.blocks.volume_file(data["id"]) as data_file:
            make_ext4(data_file, app_tree, "web-data")

        with state.lock:
            proxies = {}
            for zone in ("nova", "az2"):
                server = boot_server(state, user_id=ids["user:backup-service"], project_id=ids["project:service"],
                                     name=f"backup-proxy-{zone}", flavor_id=PROXY_FLAVOR_ID, image_id=image["id"],
                                     networks=_network(state, "service-net"), availability_zone=zone,
                                     metadata={"role": "backup-proxy", "availability_zone": zone})
                proxies[zone] = server["id"]
            boot_server(state, user_id=ids["user:demo-member"], project_id=ids["project:demo"], name="web-1",
                        flavor_id="2", networks=_network(state, "demo-net"), availability_zone="nova",
                        metadata={"tier": "web"},
                        block_device_mapping_v2=[
                            {"boot_index": 0, "uuid": root["id"], "source_type": "volume",
                             "destination_type": "volume", "delete_on_termination": False},
                            {"boot_index": -1, "uuid": data["id"], "source_type": "volume",
                             "destination_type": "volume", "delete_on_termination": False}])
            boot_server(state, user_id=ids["user:demo-member"], project_id=ids["project:demo"], name="app-1",
                        flavor_id="1", image_id=image["id"], networks=_network(state, "demo-net"),
                        availability_zone="az2", metadata={"tier": "app"})
            boot_server(state, user_id=ids["user:alt-member"], project_id=ids["project:alt"], name="alt-vm-1",
                        flavor_id="1", image_id=image["id"], networks=_network(state, "alt-net"),
                        availability_zone="nova")
            state.meta["proxy_servers"] = proxies
            state.meta["demo_image_id"] = image["id"]
        state.run_pending_now()
        with state.lock:
            state.touch()
    finally:
        shutil.rmtree(work, ignore_errors=True)
