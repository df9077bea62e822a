# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""In-place revert on the genuine services (Nova 2024.1, Cinder on Ceph RBD), through the REST API only: a
volume-booted server with a data volume is backed up, its guest overwrites both disks, and

* one data volume is reverted: Nova detaches it, the proxy overwrites it, Nova attaches it again;
* the whole instance is reverted: the server is stopped, the data volume overwritten as above, and the boot volume —
  which genuine Nova refuses to detach — reimaged by Nova's ``rebuild`` at compute microversion 2.93 with the restore
  point's boot disk uploaded as a temporary Glance image (Nova asks Cinder to ``os-reimage`` the very volume).

* an image-booted server is reverted whole by Nova's plain rebuild from an image of its backed-up root disk.

All keep the server's id, name and addresses and every volume's id; every disk reads byte for byte what it held at
backup time; nothing temporary is left.
"""
from __future__ import annotations

import os

import pytest

from tests.functional.e2e.support import expect_api_error
from tests.functional.pipeline.support import volume_digest
from tests.genuine.instances import boot_from_image, boot_from_volume

STATE: dict = {}
pytestmark = pytest.mark.timeout(900)


def _digests(stack, server_id: str) -> dict:
    return {a.volume_id: volume_digest(stack.guest_device(server_id, a.volume_id))
            for a in stack.service.compute.volume_attachments(server_id)}


def _write(path: str, writes: list[tuple[int, bytes]]) -> None:
    with open(path, "r+b") as device:
        for offset, payload in writes:
            device.seek(offset)
            device.write(payload)
        device.flush()
        os.fsync(device.fileno())


def _scribble(stack, server_id: str, volume_id: str) -> None:
    """Over data and over zeros: a revert must put both back."""
    _write(stack.guest_device(server_id, volume_id), [(0, os.urandom(8192)), (600 * 1024 * 1024, os.urandom(8192))])


def _shape(stack, server_id: str) -> tuple:
    server = stack.service.compute.get_server(server_id)
    return (server.id, server.name, server.addresses,
            sorted(a.volume_id for a in stack.service.compute.volume_attachments(server_id)))


def test_a_backup_of_a_volume_booted_server(stack):
    server, root, data = boot_from_volume(stack, stack.connect("demo-member"), "rev-1", zone="nova")
    _write(stack.guest_device(server.id, root), [(0, b"boot" * 128), (300 * 1024 * 1024, os.urandom(4 * 256 * 1024))])
    _write(stack.guest_device(server.id, data), [(4096, os.urandom(256 * 1024))])
    policy = stack.client().policy_create(name="genuine-revert", destination_id=stack.destination()["id"],
                                          strategy="full", keep_last=7, retention_lock_days=0)
    stack.client().protect(server.id, policy["id"])
    STATE.update(server=server, root=root, data=data, policy=policy, digests=_digests(stack, server.id),
                 shape=_shape(stack, server.id))
    job = stack.run_backup(server.id)
    STATE["point"] = stack.client().restore_point_get(job["restore_point_id"])


def test_a_data_volume_is_reverted_in_place(stack):
    server, data, point = STATE["server"], STATE["data"], STATE["point"]
    expect_api_error(400, stack.client().revert, point["id"], volume_id=data)  # not confirmed
    expect_api_error(404, stack.client("alt-member").revert, point["id"], volume_id=data, confirm=True)
    _scribble(stack, server.id, data)
    assert _digests(stack, server.id)[data] != STATE["digests"][data]
    job = stack.client().revert(point["id"], volume_id=data, confirm=True)
    job = stack.wait_job(job["id"], timeout=600)
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}"
    assert _shape(stack, server.id) == STATE["shape"]
    assert _digests(stack, server.id)[data] == STATE["digests"][data]
    assert stack.leftovers() == {}


def test_the_whole_instance_is_reverted_by_nova_rebuild_at_2_93(stack):
    server, point = STATE["server"], STATE["point"]
    _scribble(stack, server.id, STATE["root"])
    _scribble(stack, server.id, STATE["data"])
    job = stack.client().revert(point["id"], instance=True, confirm="rev-1")
    job = stack.wait_job(job["id"], timeout=800)
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}"
    assert {v["volume_id"]: v["method"] for v in job["result"]["volumes"]} == \
        {STATE["root"]: "rebuild", STATE["data"]: "overwrite"}
    assert _shape(stack, server.id) == STATE["shape"]
    assert stack.service.compute.get_server(server.id).status == "ACTIVE"
    assert _digests(stack, server.id) == STATE["digests"]
    assert stack.leftovers() == {}


def test_an_image_booted_instance_is_reverted_by_a_rebuild_from_its_root_disk(stack):
    server = boot_from_image(stack, stack.connect("demo-member"), "rev-2", zone="nova")
    root = stack.cloud.root_disk(server.id)
    _write(root, [(2 * 1024 * 1024, os.urandom(1024 * 1024))])
    digest = volume_digest(root)[1]
    stack.client().protect(server.id, STATE["policy"]["id"])
    point = stack.run_backup(server.id)["restore_point_id"]
    _write(root, [(0, os.urandom(65536))])
    assert volume_digest(root)[1] != digest
    shape = _shape(stack, server.id)
    job = stack.client().revert(point, instance=True, confirm="rev-2")
    job = stack.wait_job(job["id"], timeout=800)
    assert job["state"] == "succeeded", f"{job['error']}\n{job['log']}"
    assert _shape(stack, server.id) == shape
    rebuilt = stack.service.compute.get_server(server.id)
    assert rebuilt.status == "ACTIVE"
    assert volume_digest(stack.cloud.root_disk(server.id))[1] == digest
    assert stack.service.image.get_image(rebuilt.image["id"]).name == f"rev-2-reverted-{point[:8]}"
    assert stack.leftovers() == {}
