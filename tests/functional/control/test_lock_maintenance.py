# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Lock maintenance on the control plane, without Ceph: an S3 destination's ``lock_days`` must outlast twice the
maintenance interval (400 naming ``path``); a pass is queued when due, one at a time; a pass the real data worker
cannot carry out (nothing listens at the endpoint) marks the destination and the admin overview (REST) shows it; a
pass that succeeded since clears it; no success for 1.5 intervals is an alert too. On a real RGW:
tests/ceph/test_lock_maintenance.py."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from storage_backup import contract
from storage_backup.catalog.models import Destination, Job, JobState, JobType, RestorePoint
from storage_backup.control import lock_maintenance as control_lock_maintenance
from storage_backup.services import lock_maintenance
from storage_backup.services.destinations import check_location
from storage_backup.services.errors import ValidationFailed
from storage_backup_sandbox.launch import free_port

from storage_backup_dashboard.client import BackupApiError
from tests.support.control_fixtures import run_jobs

pytestmark = pytest.mark.catalog

CREDENTIALS = {"access_key": "lockmaint-access", "secret_key": "lockmaint-secret"}


def location(lock_days: float | None, port: int = 9) -> str:
    lock = f"&lock=COMPLIANCE&lock_days={lock_days:g}" if lock_days is not None else ""
    return (f"s3://lockmaint-{uuid.uuid4().hex[:8]}/repo?endpoint=http://127.0.0.1:{port}&region=default"
            f"&path_style=1{lock}")


@pytest.fixture
def made():
    """Destinations a test makes, removed with their jobs after it (no later test's data worker slot goes to them)."""
    ids: list[str] = []
    yield ids
    Job.objects.filter(destination_id__in=ids).delete()
    RestorePoint.objects.filter(destination_id__in=ids).delete()
    Destination.objects.filter(id__in=ids).delete()


def test_lock_days_must_outlast_twice_the_maintenance_interval(control_plane, made):
    admin = control_plane.client("admin")  # the API's interval is the default, 12 h: lock_days >= 1
    with pytest.raises(BackupApiError) as refused:
        admin.destination_create(name="too-short", type="s3", path=location(0.9), credentials=CREDENTIALS)
    assert refused.value.status == 400 and refused.value.field == "path", refused.value
    assert "lock_days=0.9 is too short" in refused.value.message and "at least twice" in refused.value.message
    for days in (1, None):  # exactly the margin; and no Object Lock at all (nothing to maintain)
        created = admin.destination_create(name=f"s3-{days}", type="s3", path=location(days), credentials=CREDENTIALS)
        made.append(created["id"])
    assert not Destination.objects.filter(name="too-short").exists()


def test_the_margin_follows_the_interval(monkeypatch):
    monkeypatch.setitem(settings.CONTROL, "lock_maintenance_seconds", 3600.0)  # two hours: 0.0833 days
    assert lock_maintenance.minimum_lock_days() == pytest.approx(2 / 24)
    check_location("s3", location(0.1), CREDENTIALS)
    with pytest.raises(ValidationFailed) as refused:
        check_location("s3", location(0.08), CREDENTIALS)
    assert refused.value.field == "path" and "1 h" in refused.value.message
    assert lock_maintenance.check_seconds() == 300.0  # looked for every 5 minutes at most
    monkeypatch.setitem(settings.CONTROL, "lock_maintenance_seconds", 8.0)
    assert lock_maintenance.check_seconds() == 2.0  # a quarter of a short interval


def test_a_pass_that_fails_is_an_alert_until_one_succeeds(control_plane, data_worker, made, monkeypatch):
    monkeypatch.setitem(settings.CONTROL, "lock_maintenance_seconds", 3600.0)
    unreachable = Destination.objects.create(name=f"unreachable-{uuid.uuid4().hex[:6]}", type="s3",
                                             path=location(1, free_port()), credentials=CREDENTIALS)
    plain = Destination.objects.create(name=f"no-lock-{uuid.uuid4().hex[:6]}", type="s3", path=location(None),
                                       credentials=CREDENTIALS)
    made.extend([unreachable.id, plain.id])
    until = timezone.now() + dt.timedelta(days=30)
    locked = RestorePoint.objects.create(id=str(uuid.uuid4()), project_id="p-lock", instance_id=str(uuid.uuid4()),
                                         destination=unreachable, created_at=timezone.now(),
                                         retention_lock_until=until)
    assert lock_maintenance.alert(unreachable) is None  # new: nothing overdue yet
    assert lock_maintenance.alert(plain) is None and plain not in lock_maintenance.due()  # no Object Lock

    jobs = [job for job in control_lock_maintenance.schedule() if job.destination_id == unreachable.id]
    assert len(jobs) == 1
    job = jobs[0]
    assert (job.type, job.task_name, job.queue, job.scheduled) == \
        (JobType.LOCK_MAINTENANCE, contract.MAINTAIN_LOCKS, contract.DATA_QUEUE, True)
    assert job.request["locked_restore_points"] == {locked.id: until.astimezone(dt.UTC).isoformat()
                                                    .replace("+00:00", "Z")}
    assert unreachable not in lock_maintenance.due()  # one at a time
    [done] = run_jobs(job.id, timeout=120)
    assert done.state == JobState.FAILED and "127.0.0.1" in done.error, (done.state, done.error)
    unreachable.refresh_from_db()
    assert unreachable.lock_maintenance_failed_at is not None and unreachable.lock_maintained_at is None
    assert "127.0.0.1" in unreachable.lock_maintenance_error

    # The admin overview (the REST API, another process) says so; there is no metrics endpoint yet.
    alerts = control_plane.client("admin").overview()["attention"]["lock_maintenance"]
    [alert] = [entry for entry in alerts if entry["destination_id"] == unreachable.id]
    assert alert["problem"] == "failed" and "127.0.0.1" in alert["error"] and alert["failed_at"]
    # Due again an interval after the failed one was made, not before.
    assert unreachable not in lock_maintenance.due()
    assert unreachable in lock_maintenance.due(timezone.now() + dt.timedelta(hours=1, seconds=1))

    # A pass that succeeds after the failure clears the alert and records what it left retained.
    succeeded = Job(type=JobType.LOCK_MAINTENANCE, destination=unreachable, state=JobState.SUCCEEDED,
                    finished_at=timezone.now(), result={"protected_until": "2030-01-01T00:00:00.000000Z"})
    lock_maintenance.record(succeeded)
    unreachable.refresh_from_db()
    assert unreachable.lock_protected_until == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert lock_maintenance.alert(unreachable) is None

    # None succeeding for 1.5 intervals: overdue (90 minutes here), counted from the last success.
    assert lock_maintenance.alert(unreachable, timezone.now() + dt.timedelta(minutes=89)) is None
    overdue = lock_maintenance.alert(unreachable, timezone.now() + dt.timedelta(minutes=91))
    assert overdue["problem"] == "overdue" and "no lock maintenance pass has succeeded since" in overdue["error"]


def test_an_incomplete_pass_fails_its_job_naming_what_was_not_retained(made):
    destination = Destination.objects.create(name=f"partial-{uuid.uuid4().hex[:6]}", type="s3", path=location(1),
                                             credentials=CREDENTIALS)
    made.append(destination.id)
    job = Job(type=JobType.LOCK_MAINTENANCE, destination=destination)
    assert lock_maintenance.result_error(job, contract.MaintainLocksResult(objects_checked=3, objects_extended=3)) == ""
    error = lock_maintenance.result_error(job, contract.MaintainLocksResult(
        objects_checked=3, objects_extended=2, objects_failed=1, missing_locked=["rp-gone"],
        failures=["data/ab/abcd: AccessDenied",
                  "restore point rp-gone: locked in the catalog but not in the repository"]))
    assert f"destination {destination.name} is incomplete" in error and "1 object(s) not retained" in error
    assert "rp-gone" in error and "data/ab/abcd: AccessDenied" in error
