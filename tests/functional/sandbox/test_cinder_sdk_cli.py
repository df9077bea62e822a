# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""openstacksdk and the ``openstack`` CLI against the sandbox's Cinder and Glance, through its clouds.yaml."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from tests.functional.sandbox.volume_helpers import blocks, cinder, read_at, wait_for, wait_gone, write_at

OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")


@pytest.fixture
def connection(sandbox, monkeypatch):
    import openstack

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", sandbox.clouds_yaml)
    conn = openstack.connect(cloud="sandbox-demo")
    yield conn
    conn.close()


def test_openstacksdk_volume_snapshot_image_cycle(sandbox, connection, tmp_path):
    storage = connection.block_storage
    volume = storage.create_volume(size=1, name="sdk-volume", availability_zone="az2")
    volume = storage.wait_for_status(volume, "available", failures=["error"], interval=0.1, wait=30)
    assert volume.availability_zone == "az2" and volume.size == 1
    write_at(blocks(sandbox).volume_path(volume.id), 0, b"sdk data")
    snapshot = storage.create_snapshot(volume_id=volume.id, name="sdk-snapshot")
    snapshot = storage.wait_for_status(snapshot, "available", failures=["error"], interval=0.1, wait=30)
    copy = storage.create_volume(snapshot_id=snapshot.id, name="sdk-copy")
    copy = storage.wait_for_status(copy, "available", failures=["error"], interval=0.1, wait=30)
    assert read_at(blocks(sandbox).volume_path(copy.id), 0, 8) == b"sdk data"
    assert {v.id for v in storage.volumes(details=True)} >= {volume.id, copy.id}
    assert "__DEFAULT__" in [t.name for t in storage.types()]
    source = tmp_path / "sdk.img"
    source.write_bytes(os.urandom(2 * 1024 * 1024))
    image = connection.create_image("sdk-image", filename=str(source), disk_format="raw", container_format="bare",
                                    wait=True, timeout=60)
    assert image.status == "active"
    assert image.checksum == hashlib.md5(source.read_bytes(), usedforsecurity=False).hexdigest()
    assert connection.image.download_image(image).content == source.read_bytes()
    connection.image.delete_image(image)
    for item in (copy,):
        storage.delete_volume(item)
        storage.wait_for_delete(item, interval=0.1, wait=30)
    storage.delete_snapshot(snapshot)
    storage.wait_for_delete(snapshot, interval=0.1, wait=30)
    storage.delete_volume(volume)
    storage.wait_for_delete(volume, interval=0.1, wait=30)


def cli(sandbox, *args: str, cloud: str = "sandbox-demo") -> dict | list | str:
    result = subprocess.run([OPENSTACK, *args], env=sandbox.cli_env(cloud), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if "-f" in args else result.stdout


def test_openstack_cli_volume_and_image_commands(sandbox, tmp_path):
    volume = cli(sandbox, "volume", "create", "--size", "1", "--property", "owner=cli", "cli-volume",
                 "-f", "json")
    assert volume["status"] == "creating" and volume["size"] == 1
    client = cinder(sandbox)  # polling through the CLI would cost a process start per poll
    wait_for(lambda: client.volumes.get(volume["id"]), "available")
    assert volume["properties"] in ({"owner": "cli"}, "owner='cli'")
    snapshot = cli(sandbox, "volume", "snapshot", "create", "--volume", volume["id"], "--force", "cli-snapshot",
                   "-f", "json")
    assert snapshot["volume_id"] == volume["id"]
    listed = cli(sandbox, "volume", "list", "--long", "-f", "json")
    assert volume["id"] in [v["ID"] for v in listed]
    source = tmp_path / "cli.img"
    source.write_bytes(os.urandom(1024 * 1024))
    image = cli(sandbox, "image", "create", "--file", str(source), "--disk-format", "raw", "--container-format",
                "bare", "cli-image", "-f", "json")
    assert image["status"] == "active"
    saved = tmp_path / "saved.img"
    cli(sandbox, "image", "save", "--file", str(saved), image["id"])
    assert saved.read_bytes() == source.read_bytes()
    cli(sandbox, "image", "delete", image["id"])
    client.volume_snapshots.delete(snapshot["id"])
    wait_gone(lambda: client.volume_snapshots.get(snapshot["id"]))
    cli(sandbox, "volume", "delete", volume["id"])
    wait_gone(lambda: client.volumes.get(volume["id"]))
