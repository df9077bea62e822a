# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Every Cinder fault mode of the embedded cloud, armed by an admin over HTTP, seen through python-cinderclient.

A private sandbox: armed faults are cloud-wide and must not leak into other tests.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest
from cinderclient import exceptions

from tests.functional.sandbox.volume_helpers import (
    arm_fault,
    blocks,
    cinder,
    new_snapshot,
    new_volume,
    private_sandbox,
    wait_for,
    wait_gone,
)


@pytest.fixture(scope="module")
def cloud():
    with private_sandbox() as handle:
        yield handle


@pytest.fixture(scope="module")
def client(cloud):
    return cinder(cloud, "demo-member")


def stays(get, status: str, seconds: float = 1.0) -> None:
    """The status does not move for ``seconds`` (ten transition delays of this sandbox)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert get().status == status
        time.sleep(0.1)


def reserve_and_attach(client, volume_id: str) -> str:
    server_id = str(uuid.uuid4())
    client.volumes.reserve(volume_id)
    client.volumes.attach(volume_id, server_id, "/dev/vdb")
    return server_id


def test_faults_are_admin_only(cloud):
    response = cloud.session("demo-member").post(cloud.url + "/_sandbox/faults", raise_exc=False,
                                                 json={"operation": "volume.create", "mode": "error"})
    assert response.status_code == 403
    bad = cloud.session("admin").post(cloud.url + "/_sandbox/faults", raise_exc=False,
                                      json={"operation": "server.create", "mode": "hang"})
    assert bad.status_code == 400


def test_volume_create_quota_answers_413_at_once(cloud, client):
    arm_fault(cloud, "volume.create", "quota")
    with pytest.raises(exceptions.OverLimit) as over:
        client.volumes.create(1)
    assert over.value.code == 413
    new_volume(client, 1)  # one fault, one failure


def test_volume_create_error_ends_in_error(cloud, client):
    arm_fault(cloud, "volume.create", "error", count=2)
    failed = [client.volumes.create(1) for _ in range(2)]
    for volume in failed:
        wait_for(lambda v=volume: client.volumes.get(v.id), "error", allow_errors=True)
        assert not os.path.exists(blocks(cloud).volume_path(volume.id))
    messages = cinder(cloud, "demo-member", "3.3").messages.list()
    assert {m.resource_uuid for m in messages} >= {v.id for v in failed}
    for volume in failed:  # an errored volume can be deleted
        client.volumes.delete(volume.id)
        wait_gone(lambda v=volume: client.volumes.get(v.id))


def test_volume_delete_error_ends_in_error_deleting(cloud, client):
    volume = new_volume(client, 1)
    arm_fault(cloud, "volume.delete", "error")
    client.volumes.delete(volume.id)
    wait_for(lambda: client.volumes.get(volume.id), "error_deleting", allow_errors=True)
    assert os.path.exists(blocks(cloud).volume_path(volume.id))
    admin = cinder(cloud, "admin")
    admin.volumes.force_delete(volume.id)
    wait_gone(lambda: client.volumes.get(volume.id))


def test_volume_attach_hang_stays_attaching_without_a_device(cloud, client):
    volume = new_volume(client, 1)
    arm_fault(cloud, "volume.attach", "hang")
    server_id = reserve_and_attach(client, volume.id)
    stays(lambda: client.volumes.get(volume.id), "attaching")
    assert not os.path.exists(blocks(cloud).by_id_path(server_id, volume.id))
    cinder(cloud, "admin").volumes.reset_state(volume.id, "available", attach_status="detached")
    client.volumes.delete(volume.id)
    wait_gone(lambda: client.volumes.get(volume.id))


def test_volume_attach_error_returns_to_available(cloud, client):
    volume = new_volume(client, 1)
    arm_fault(cloud, "volume.attach", "error")
    server_id = reserve_and_attach(client, volume.id)
    volume = wait_for(lambda: client.volumes.get(volume.id), "available")
    assert volume.attachments == []
    assert not os.path.exists(blocks(cloud).by_id_path(server_id, volume.id))
    client.volumes.delete(volume.id)
    wait_gone(lambda: client.volumes.get(volume.id))


def test_volume_detach_hang_and_error(cloud, client):
    volume = new_volume(client, 1)
    server_id = reserve_and_attach(client, volume.id)
    wait_for(lambda: client.volumes.get(volume.id), "in-use")
    device = blocks(cloud).by_id_path(server_id, volume.id)
    assert os.path.exists(device)
    attachment_id = client.volumes.get(volume.id).attachments[0]["attachment_id"]

    arm_fault(cloud, "volume.detach", "error")
    client.volumes.begin_detaching(volume.id)
    client.volumes.detach(volume.id, attachment_id)
    wait_for(lambda: client.volumes.get(volume.id), "in-use")
    assert os.path.exists(device)  # rolled back: still attached

    arm_fault(cloud, "volume.detach", "hang")
    client.volumes.begin_detaching(volume.id)
    client.volumes.detach(volume.id, attachment_id)
    stays(lambda: client.volumes.get(volume.id), "detaching")
    assert os.path.exists(device)

    client.volumes.detach(volume.id, attachment_id)  # no fault left: the detach goes through
    wait_for(lambda: client.volumes.get(volume.id), "available")
    assert not os.path.exists(device)
    client.volumes.delete(volume.id)
    wait_gone(lambda: client.volumes.get(volume.id))


def test_snapshot_create_error_and_quota(cloud, client):
    volume = new_volume(client, 1)
    arm_fault(cloud, "snapshot.create", "error")
    failed = client.volume_snapshots.create(volume.id)
    wait_for(lambda: client.volume_snapshots.get(failed.id), "error", allow_errors=True)
    arm_fault(cloud, "snapshot.create", "quota")
    with pytest.raises(exceptions.OverLimit):
        client.volume_snapshots.create(volume.id)
    good = new_snapshot(client, volume.id)
    for snapshot in (failed, good):
        client.volume_snapshots.delete(snapshot.id)
        wait_gone(lambda s=snapshot: client.volume_snapshots.get(s.id))
    client.volumes.delete(volume.id)
    wait_gone(lambda: client.volumes.get(volume.id))


def test_snapshot_delete_error_ends_in_error_deleting(cloud, client):
    volume = new_volume(client, 1)
    snapshot = new_snapshot(client, volume.id)
    arm_fault(cloud, "snapshot.delete", "error")
    client.volume_snapshots.delete(snapshot.id)
    wait_for(lambda: client.volume_snapshots.get(snapshot.id), "error_deleting", allow_errors=True)
    with pytest.raises(exceptions.BadRequest):  # error_deleting is not deletable without force
        client.volume_snapshots.delete(snapshot.id)
    cinder(cloud, "admin").volume_snapshots.reset_state(snapshot.id, "error")
    client.volume_snapshots.delete(snapshot.id)
    wait_gone(lambda: client.volume_snapshots.get(snapshot.id))
    client.volumes.delete(volume.id)
    wait_gone(lambda: client.volumes.get(volume.id))


def test_http500_mode_fails_the_api_call(cloud, client):
    arm_fault(cloud, "volume.create", "http500")
    with pytest.raises(exceptions.ClientException) as failed:
        client.volumes.create(1)
    assert failed.value.code == 500
    listed = cloud.session("admin").get(cloud.url + "/_sandbox/faults").json()["faults"]
    assert listed == []
