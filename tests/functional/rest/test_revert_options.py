# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``stop_server`` of ``POST /v1/restore-points/{id}/revert``: false unless asked (the revert of one data volume
keeps the server running, as before the field existed), handed to the proxy in the job's request when asked, and
refused with a 400 naming the field for a whole-instance revert (which always stops the server) or when it is not a
boolean. Over HTTP with real Keystone tokens against the real API process and a real instance of the embedded cloud;
the stop and start themselves are proven in tests/functional/e2e/test_revert.py."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from storage_backup.catalog.models import ACTIVE_JOB_STATES, Destination, Job, JobState, Policy, RestorePoint

from storage_backup_dashboard.client import BackupApiError
from tests.support.instances import (
    COMPUTE,
    MICROVERSION,
    create_instance,
    create_volume,
    delete_instance,
    wait_for_state,
)

pytestmark = pytest.mark.catalog


@pytest.fixture(scope="module")
def point(control_plane):
    """A demo instance with a 1 GiB data volume, and a restore point of both (the catalog's record only: nothing is
    read from a repository before the proxy runs)."""
    session = control_plane.sandbox.session("demo-member")
    server = create_instance(session, name=f"stop-{uuid.uuid4().hex[:6]}")
    data = create_volume(session, f"{server['name']}-data")
    session.post(f"/servers/{server['id']}/os-volume_attachments", endpoint_filter=COMPUTE, headers=MICROVERSION,
                 json={"volumeAttachment": {"volumeId": data["id"]}})
    wait_for_state(lambda: session.get(f"/servers/{server['id']}/os-volume_attachments", endpoint_filter=COMPUTE,
                                       headers=MICROVERSION).json()["volumeAttachments"],
                   lambda attachments: any(a["volumeId"] == data["id"] for a in attachments), "the attach")
    root = session.get(f"/servers/{server['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION).json()["server"]
    root_id = root["os-extended-volumes:volumes_attached"][0]["id"]
    project = control_plane.project_id("demo-member")
    shared = Destination.objects.get(pk=control_plane.destination_id)
    policy = Policy.objects.create(project_id=project, name=f"stop-{uuid.uuid4().hex[:6]}", destination=shared)
    metadata = {"name": server["name"], "availability_zone": "nova", "boot_source": "volume",
                "block_device_mapping": [
                    {"volume_id": root_id, "boot_index": 0, "size": 1, "device": "/dev/vda"},
                    {"volume_id": data["id"], "name": data["name"], "boot_index": None, "size": 1,
                     "device": "/dev/vdb"}]}
    restore_point = RestorePoint.objects.create(
        id=str(uuid.uuid4()), project_id=project, instance_id=server["id"], instance_name=server["name"],
        availability_zone="nova", destination=shared, policy=policy, created_at=timezone.now() - dt.timedelta(hours=1),
        volumes=[{"volume_id": root_id, "size": 1 << 30}, {"volume_id": data["id"], "size": 1 << 30}],
        metadata=metadata)
    yield restore_point.id, data["id"]
    delete_instance(session, server["id"])


def ended(member, job_id: str) -> None:
    """Cancelled, and ended now: the request is what this module is about (the e2e test runs a revert). A job the
    dispatcher sent already ends only when a proxy sees the cancel, and the tiers that run this module on PostgreSQL
    and MariaDB start no proxy, so the catalog is told directly; the next revert of the instance is not refused."""
    member.job_cancel(job_id)
    Job.objects.filter(pk=job_id, state__in=ACTIVE_JOB_STATES).update(state=JobState.CANCELLED,
                                                                      finished_at=timezone.now())


def queued_request(member, point_id: str, **options) -> dict:
    job = member.revert(point_id, confirm=True, **options)
    assert job["state"] == "queued" and job["type"] == "revert"
    ended(member, job["id"])
    return Job.objects.get(pk=job["id"]).request


def refused(member, point_id: str, **body) -> BackupApiError:
    with pytest.raises(BackupApiError) as raised:
        member.request("POST", f"/v1/restore-points/{point_id}/revert", json=body)
    assert raised.value.status == 400, (body, raised.value.status, raised.value.message)
    return raised.value


def test_the_stop_reaches_the_proxy_only_when_asked(control_plane, point):
    member = control_plane.client("demo-member")
    point_id, data = point
    assert queued_request(member, point_id, volume_id=data)["stop_server"] is False
    assert queued_request(member, point_id, volume_id=data, stop_server=True)["stop_server"] is True
    # an explicit false is the default, for a volume and for the whole instance alike
    job = member.request("POST", f"/v1/restore-points/{point_id}/revert",
                         json={"instance": True, "confirm": True, "stop_server": False})
    ended(member, job["id"])
    assert Job.objects.get(pk=job["id"]).request["stop_server"] is False


def test_a_stop_with_the_whole_instance_or_not_a_boolean_is_refused_naming_the_field(control_plane, point):
    member = control_plane.client("demo-member")
    point_id, data = point
    error = refused(member, point_id, instance=True, confirm=True, stop_server=True)
    assert error.field == "stop_server" and "always stops the server" in error.message, error.message
    assert refused(member, point_id, volume_id=data, confirm=True, stop_server="soon").field == "stop_server"
    assert refused(member, point_id, volume_id=data, confirm=True, stop_server=[True]).field == "stop_server"
    assert not Job.objects.filter(restore_point_id=point_id, state__in=("queued", "running")).exists()
