# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The product's cloud door (openstacksdk with its pins, its errors, its waits) against the embedded cloud over
real HTTP: scoping to a tenant, the pinned microversions on the wire, refusals and faults in the product's words."""
from __future__ import annotations

import pytest
from storage_backup.cloud import Cloud
from storage_backup.cloud.connection import CINDER_MICROVERSION, NOVA_MICROVERSION
from storage_backup.cloud.errors import (
    ConfigurationError,
    ResourceFailed,
    ResourceNotFound,
    ResourceTimeout,
)
from storage_backup.cloud.waiting import wait_volume, wait_volume_deleted
from storage_backup.pipeline.cancellation import CancelToken
from storage_backup.pipeline.errors import JobCancelled

MIB = 1024 * 1024


def _service(sandbox) -> Cloud:
    return Cloud.from_environment({"OS_CLIENT_CONFIG_FILE": sandbox.clouds_yaml, "OS_CLOUD": "sandbox-service",
                                   "STORAGE_BACKUP_POLL_INTERVAL": "0.1"})


def test_the_service_account_scopes_to_a_tenant_project(sandbox):
    service = _service(sandbox)
    demo_project = sandbox.session("demo-member").get_project_id()
    tenant = service.for_project(demo_project)
    assert tenant.project_id == demo_project and tenant.user_id == service.user_id
    assert service.for_project(demo_project) is tenant  # kept for reuse
    assert tenant.poll_interval == 0.1
    volume = tenant.block_storage.create_volume(size=1, name="scoped")
    try:
        assert service.block_storage.get_volume(volume.id).project_id == demo_project
    finally:
        wait_volume(service, volume.id, "available", timeout=30)
        tenant.block_storage.delete_volume(volume.id)
        wait_volume_deleted(service, volume.id, timeout=30)


def test_every_request_carries_the_pinned_microversions(sandbox):
    service = _service(sandbox)
    assert (service.compute.default_microversion, service.block_storage.default_microversion) == (
        NOVA_MICROVERSION, CINDER_MICROVERSION)
    response = service.compute.get("/flavors")
    assert response.headers["OpenStack-API-Version"] == f"compute {NOVA_MICROVERSION}"
    assert response.request.headers["OpenStack-API-Version"] == f"compute {NOVA_MICROVERSION}"
    response = service.block_storage.get("/types")
    assert response.request.headers["OpenStack-API-Version"] == f"volume {CINDER_MICROVERSION}"
    assert response.headers["OpenStack-API-Version"] == f"volume {CINDER_MICROVERSION}"


def test_a_refusal_names_the_call_and_the_resource(sandbox):
    service = _service(sandbox)
    with pytest.raises(ResourceNotFound) as raised:
        service.block_storage.get_volume("0b1e5c3e-0000-4000-8000-000000000000")
    assert str(raised.value).startswith("Cinder could not get volume 0b1e5c3e-0000-4000-8000-000000000000: ")
    assert str(raised.value).endswith("(HTTP 404)") and raised.value.service == "Cinder"


def test_an_unknown_cloud_is_a_configuration_error(sandbox):
    with pytest.raises(ConfigurationError, match="cannot load the cloud no-such-cloud"):
        Cloud.connect("no-such-cloud", sandbox.clouds_yaml)


def _arm_fault(sandbox, operation: str, mode: str) -> None:
    response = sandbox.session("admin").post(sandbox.url + "/_sandbox/faults",
                                             json={"operation": operation, "mode": mode, "count": 1})
    assert response.status_code == 201, response.text


def test_openstacksdk_status_waits_end_in_the_products_errors(sandbox):
    """``wait_for_status`` of openstacksdk under the product's messages: a timeout names the status the resource
    was stuck in, an error status fails at once, a deletion that ends in ``error_deleting`` too, and a cancelled
    job stops the wait between two polls."""
    from storage_backup.cloud.waiting import wait_snapshot, wait_snapshot_deleted

    service = _service(sandbox)
    volume = service.block_storage.create_volume(size=1, name="waits")
    wait_volume(service, volume.id, "available", timeout=30)
    with pytest.raises(ResourceTimeout) as stuck:
        wait_volume(service, volume.id, "in-use", timeout=0.5, where=" on proxy p1")
    assert str(stuck.value) == f"Volume {volume.id} stuck in 'available' for 0 s on proxy p1"
    token = CancelToken("job-9")
    token.set()
    with pytest.raises(JobCancelled):
        wait_volume(service, volume.id, "in-use", timeout=30, cancel=token)

    _arm_fault(sandbox, "snapshot.create", "error")
    snapshot = service.block_storage.create_snapshot(volume_id=volume.id, name="waits-snap", force=True)
    with pytest.raises(ResourceFailed) as failed:
        wait_snapshot(service, snapshot.id, timeout=30, what="Snapshot of waits")
    assert str(failed.value).startswith("Snapshot of waits went to 'error': Cinder could not make the snapshot")
    _arm_fault(sandbox, "snapshot.delete", "error")
    service.block_storage.delete_snapshot(snapshot.id)
    with pytest.raises(ResourceFailed) as not_deleted:
        wait_snapshot_deleted(service, snapshot.id, timeout=30)
    assert str(not_deleted.value) == f"Snapshot {snapshot.id} went to 'error_deleting': Cinder could not delete it"
    service.block_storage.delete_snapshot(snapshot.id, force=True)
    wait_snapshot_deleted(service, snapshot.id, timeout=30)
    service.block_storage.delete_volume(volume.id)
    wait_volume_deleted(service, volume.id, timeout=30)
    with pytest.raises(ResourceFailed, match="went to 'deleted': it no longer exists"):
        wait_volume(service, volume.id, "available", timeout=5)
