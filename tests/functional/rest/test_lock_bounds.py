# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Issue 10 item 2: a retention lock date is bounded - in the future and at most the destination's ``max_lock_days``
ahead - and refused with 400 naming the field; a refused date leaves the restore point deletable and editable."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from storage_backup.catalog.models import Destination, Job, RestorePoint

from storage_backup_dashboard.client import BackupApiError

pytestmark = pytest.mark.catalog

FIELD = "retention_lock_until"


def _point(control_plane, destination: Destination) -> RestorePoint:
    return RestorePoint.objects.create(
        id=str(uuid.uuid4()), project_id=control_plane.project_id("demo-member"), instance_id=str(uuid.uuid4()),
        availability_zone="nova", destination=destination, created_at=timezone.now() - dt.timedelta(days=1))


def _refused(call, field: str = FIELD) -> BackupApiError:
    with pytest.raises(BackupApiError) as refused:
        call()
    assert refused.value.status == 400, refused.value
    assert refused.value.field == field, (refused.value.field, refused.value.message)
    return refused.value


@pytest.fixture
def destination(control_plane):
    destination = Destination.objects.create(name=f"locks-{uuid.uuid4().hex[:8]}", path="/srv/locks")
    yield destination
    # The lock and delete jobs these tests queue have no repository to go to: they must not take the data
    # workers' slots from the tests that run after (they would wait for them for ever).
    Job.objects.filter(destination=destination).delete()


def test_lock_dates_out_of_bounds_are_400_and_leave_the_point_usable(control_plane, destination):
    member = control_plane.client("demo-member")
    point = _point(control_plane, destination)
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    for until in ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z",
                  "9999-12-31T23:59:59-05:00", past, "2200-01-01T00:00:00Z"):
        _refused(lambda until=until: member.restore_point_lock(point.id, until))
    point.refresh_from_db()
    assert point.retention_lock_until is None
    # Still editable and deletable by its project.
    soon = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    locked = member.restore_point_lock(point.id, soon.isoformat())
    assert locked["locked"] and locked["retention_lock_until"]
    assert member.restore_point_get(point.id)["locked"]
    other = _point(control_plane, destination)
    member.restore_point_delete(other.id)
    assert not RestorePoint.objects.filter(id=other.id).exists()


def test_the_destination_sets_how_far_a_lock_may_reach(control_plane, destination):
    admin, member = control_plane.client("admin"), control_plane.client("demo-member")
    assert admin.destination_get(destination.id)["max_lock_days"] == 36525  # 100 years by default
    for days in (0, -1, 10 ** 20, "x", True):
        _refused(lambda days=days: admin.destination_update(destination.id, max_lock_days=days), "max_lock_days")
    _refused(lambda: admin.destination_update(destination.id, retention_lock_min_days=40, max_lock_days=30),
             "retention_lock_min_days")
    assert admin.destination_update(destination.id, max_lock_days=30)["max_lock_days"] == 30
    point = _point(control_plane, destination)
    beyond = (timezone.now() + dt.timedelta(days=31)).isoformat()
    error = _refused(lambda: member.restore_point_lock(point.id, beyond))
    assert "30 days" in error.message and "max_lock_days" in error.message
    within = (timezone.now() + dt.timedelta(days=29)).isoformat()
    assert member.restore_point_lock(point.id, within)["locked"]
    created = admin.destination_create(name=f"capped-{uuid.uuid4().hex[:6]}", path="/srv/capped", max_lock_days=7)
    assert created["max_lock_days"] == 7
    _refused(lambda: admin.destination_create(name="bad", path="/srv/bad", max_lock_days=0), "max_lock_days")
