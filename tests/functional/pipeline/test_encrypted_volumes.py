# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A volume Cinder encrypts, on the proxy itself (whatever the control plane checked before sending the task): Nova's
encryptor hands the proxy its data decrypted, so the proxy refuses to store it in an unencrypted repository, stores
it in an encrypted one, and restores it only into a volume type that Cinder encrypts."""
from __future__ import annotations

import uuid

import pytest
from storage_backup.cloud.waiting import wait_server, wait_volume

pytestmark = pytest.mark.timeout(300)
SECRET = "correct horse battery staple"
STATE: dict = {}


@pytest.fixture(scope="module")
def encrypted_server(pipeline_cloud):
    admin, demo = pipeline_cloud.admin, pipeline_cloud.demo
    name = f"luks-{uuid.uuid4().hex[:6]}"
    vtype = admin.block_storage.create_type(name=name)
    admin.block_storage.create_type_encryption(vtype, provider="luks", control_location="front-end",
                                               cipher="aes-xts-plain64", key_size=256)
    root = demo.block_storage.create_volume(size=1, name="secret-root", volume_type=name, availability_zone="nova")
    wait_volume(pipeline_cloud.service, root.id, "available", timeout=60)
    demo.block_storage.set_volume_bootable_status(root.id, True)
    created = demo.compute.create_server(
        name="secret", flavor_id="1", availability_zone="nova", networks="none",
        block_device_mapping=[{"uuid": root.id, "source_type": "volume", "destination_type": "volume",
                               "boot_index": 0}])
    server = wait_server(pipeline_cloud.service, created.id, timeout=60)
    return server, root.id, name


def test_the_proxy_refuses_an_unencrypted_destination(pipeline_cloud, encrypted_server):
    server, volume_id, type_name = encrypted_server
    outcome = pipeline_cloud.backup(server, expect="FAILURE")
    assert outcome.code == "invalid_request" and outcome.failure.retryable is False
    message = outcome.failure.message
    assert volume_id in message and type_name in message and "not encrypted" in message and "policy" in message
    assert pipeline_cloud.leftovers() == {}  # refused before any snapshot was taken


def test_the_proxy_backs_it_up_to_an_encrypted_destination(pipeline_cloud, encrypted_server):
    server, volume_id, _ = encrypted_server
    outcome = pipeline_cloud.backup(server, encrypted=True, repository_secret=SECRET)
    assert outcome.result["metadata"]["block_device_mapping"][0]["encrypted"] is True
    STATE["point"] = outcome.result["restore_point_id"]


def test_the_proxy_restores_only_into_an_encrypted_type(pipeline_cloud, encrypted_server):
    server, volume_id, type_name = encrypted_server
    request = pipeline_cloud.restore_request(STATE["point"], server.project_id, encrypted=True,
                                             repository_secret=SECRET, volume_types={volume_id: "standard"},
                                             name="secret-plain")
    outcome = pipeline_cloud.run("proxy.restore_instance", request, "nova", expect="FAILURE")
    assert outcome.code == "invalid_request"
    assert "volume_types" in outcome.failure.message and "'standard' is not encrypted" in outcome.failure.message

    request = pipeline_cloud.restore_request(STATE["point"], server.project_id, encrypted=True,
                                             repository_secret=SECRET, name="secret-back")
    outcome = pipeline_cloud.run("proxy.restore_instance", request, "nova")
    volume = pipeline_cloud.service.block_storage.get_volume(outcome.result["volume_ids"][volume_id])
    assert volume.is_encrypted and volume.volume_type == type_name
    assert pipeline_cloud.leftovers() == {}
