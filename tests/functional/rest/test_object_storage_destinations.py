# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Object storage destinations created through the REST API: a Swift location is validated like an S3 one, its
Keystone credentials are kept apart from it (sealed, never shown) and travel to the workers in the task view."""
from __future__ import annotations

import uuid

import pytest
from storage_backup.catalog.models import Destination

from storage_backup_dashboard.client import BackupApiError

AUTH_URL = "http://127.0.0.1:5000/v3"
APPLICATION_CREDENTIAL = {"application_credential_id": "0123abcd", "application_credential_secret": "s3cr3t-value"}


def _refused(call, field: str) -> str:
    with pytest.raises(BackupApiError) as raised:
        call()
    assert (raised.value.status, raised.value.field) == (400, field), (raised.value.field, raised.value.message)
    return raised.value.message


def test_an_admin_creates_a_swift_destination(control_plane):
    from storage_backup.services.destinations import task_view

    admin = control_plane.client("admin")
    name = f"swift-{uuid.uuid4().hex[:6]}"
    created = admin.destination_create(name=name, type="swift", credentials=APPLICATION_CREDENTIAL,
                                       path=f"swift://backups//tenant-a/?auth_url={AUTH_URL}&region=RegionOne")
    assert created["type"] == "swift"
    assert created["path"] == f"swift://backups/tenant-a?auth_url={AUTH_URL}&region=RegionOne"  # normalised
    shown = str(admin.request("GET", f"/v1/destinations/{created['id']}")) + str(created)
    assert "s3cr3t-value" not in shown and "credentials" not in shown
    view = task_view(Destination.objects.get(pk=created["id"]))
    assert view["credentials"] == APPLICATION_CREDENTIAL and view["path"] == created["path"]
    password = admin.destination_create(name=f"{name}-pw", type="swift", path=f"swift://backups?auth_url={AUTH_URL}",
                                        credentials={"username": "backup", "password": "pw", "project_name": "demo"})
    assert password["path"] == f"swift://backups?auth_url={AUTH_URL}"

    def create(**fields):
        return lambda: admin.destination_create(name=f"bad-{uuid.uuid4().hex[:6]}", type="swift", **fields)

    good = f"swift://backups/p?auth_url={AUTH_URL}"
    assert "credentials" in _refused(create(path=good), "credentials")
    _refused(create(path=good, credentials={"application_credential_id": "x"}), "credentials")  # no secret
    _refused(create(path=good, credentials={**APPLICATION_CREDENTIAL, "token": "t"}), "credentials")
    _refused(create(path="swift://backups/p", credentials=APPLICATION_CREDENTIAL), "path")  # no auth_url
    _refused(create(path=f"swift://backups/p?auth_url={AUTH_URL}&password=x", credentials=APPLICATION_CREDENTIAL),
             "path")  # credentials belong in credentials, never in the location
    _refused(create(path="/srv/backups", credentials=APPLICATION_CREDENTIAL), "path")
    _refused(lambda: admin.destination_create(name="fs-with-keys", path="/srv/x", credentials=APPLICATION_CREDENTIAL),
             "credentials")


def test_a_swift_destination_credential_is_rotated_write_only(control_plane):
    """``PATCH`` with a new application credential (what Horizon's Edit Destination sends): validated as at creation,
    kept sealed, never shown; the audit names the new credential's ID, not its secret."""
    import json

    from storage_backup.services.destinations import task_view

    admin = control_plane.client("admin")
    name = f"swift-{uuid.uuid4().hex[:6]}"
    created = admin.destination_create(name=name, type="swift", credentials=APPLICATION_CREDENTIAL,
                                       path=f"swift://{name}?auth_url={AUTH_URL}")  # a container of its own
    rotated = {"application_credential_id": "4567cdef", "application_credential_secret": "rotated-s3cr3t"}
    answer = admin.destination_update(created["id"], credentials=rotated)
    assert "credentials" not in answer and "rotated-s3cr3t" not in json.dumps(answer)
    assert task_view(Destination.objects.get(pk=created["id"]))["credentials"] == rotated
    events = [event for event in admin.audit_events(all_projects=True, limit=200)
              if event["target_id"] == created["id"] and event["action"] == "destination.update"]
    assert events and "credentials replaced (application credential 4567cdef)" in events[0]["detail"]
    assert "rotated-s3cr3t" not in json.dumps(admin.audit_events(all_projects=True, limit=200))
    for bad in ({"application_credential_id": "only-an-id"}, {**rotated, "access_key": "AK"}, {}):
        _refused(lambda bad=bad: admin.destination_update(created["id"], credentials=bad), "credentials")
    assert task_view(Destination.objects.get(pk=created["id"]))["credentials"] == rotated  # unchanged
