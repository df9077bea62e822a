# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Which destinations the periodic vanished check looks at, and when (``services/vanished.py``): those holding
locked restore points, an interval after their last check, one check at a time, never a vault, never while the
interval is 0; a lock that expired between the check's making and its result is no alarm. And the lock-maintenance
margin judged with the interval in force (``services/lock_maintenance.py``)."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from storage_backup.catalog.models import Destination, Job, JobState, JobType, RestorePoint
from storage_backup.services import lock_maintenance, vanished

PROJECT = "vanished-check-unit"


@pytest.fixture
def made(monkeypatch):
    monkeypatch.setitem(settings.CONTROL, "vanished_check_seconds", 3600.0)
    ids: list[str] = []
    yield ids
    Job.objects.filter(destination_id__in=ids).delete()
    RestorePoint.objects.filter(destination_id__in=ids).delete()
    Destination.objects.filter(id__in=ids).delete()


def _destination(made: list, locked_for: dt.timedelta | None, **fields) -> Destination:
    destination = Destination.objects.create(name=f"vc-{uuid.uuid4().hex[:8]}", path=f"/nowhere/{uuid.uuid4()}",
                                             project_id=PROJECT, **fields)
    made.append(destination.id)
    if locked_for is not None:
        RestorePoint.objects.create(id=str(uuid.uuid4()), project_id=PROJECT, instance_id=str(uuid.uuid4()),
                                    destination=destination, created_at=timezone.now(), strategy="full",
                                    retention_lock_until=timezone.now() + locked_for)
    return destination


def _check(destination: Destination, state: str, created: dt.datetime) -> Job:
    job = Job.objects.create(type=JobType.VANISHED_CHECK, project_id=PROJECT, destination=destination, state=state)
    Job.objects.filter(pk=job.pk).update(created_at=created)
    return job


def test_only_destinations_holding_locked_restore_points_and_no_vault(made):
    locked = _destination(made, dt.timedelta(days=3))
    expired = _destination(made, dt.timedelta(days=-1))
    empty = _destination(made, None)
    vault = _destination(made, dt.timedelta(days=3), vault=True)
    due = vanished.due()
    assert locked in due
    assert expired not in due and empty not in due  # nothing locked: nothing whose loss breaks a promise
    assert vault not in due  # nothing on the primary side reaches a vault


def test_an_interval_after_the_last_check_and_one_at_a_time(made):
    destination = _destination(made, dt.timedelta(days=3))
    now = timezone.now()
    _check(destination, JobState.SUCCEEDED, now - dt.timedelta(minutes=59))
    assert destination not in vanished.due(now)
    assert destination in vanished.due(now + dt.timedelta(minutes=1, seconds=1))
    running = _check(destination, JobState.RUNNING, now - dt.timedelta(hours=5))
    assert destination not in vanished.due(now + dt.timedelta(hours=2))  # one running, however old
    Job.objects.filter(pk=running.pk).update(state=JobState.FAILED)
    assert destination in vanished.due(now + dt.timedelta(hours=2))  # a failed check does not hold the next one


def test_an_interval_of_0_turns_the_check_off(made, monkeypatch):
    destination = _destination(made, dt.timedelta(days=3))
    assert destination in vanished.due()
    monkeypatch.setitem(settings.CONTROL, "vanished_check_seconds", 0.0)
    assert vanished.due() == [] and vanished.interval() == 0.0


def test_the_control_worker_looks_a_quarter_interval_apart_at_most_5_minutes(monkeypatch):
    for seconds, looks in ((4 * 3600, 300.0), (8, 2.0), (2, 1.0), (0, 300.0)):
        monkeypatch.setitem(settings.CONTROL, "vanished_check_seconds", float(seconds))
        assert vanished.check_seconds() == looks, seconds


def test_a_lock_that_expired_meanwhile_is_no_alarm(made):
    destination = _destination(made, dt.timedelta(days=3))
    (locked,) = vanished.locked_ids(destination)
    assert vanished.still_locked([locked, "not-in-the-catalog"]) == [locked]
    RestorePoint.objects.filter(pk=locked).update(retention_lock_until=timezone.now() - dt.timedelta(seconds=1))
    assert vanished.still_locked([locked]) == []


def _lock_destination(made: list, lock_days: float, **fields) -> Destination:
    path = (f"s3://margin-{uuid.uuid4().hex[:8]}/repo?endpoint=http://127.0.0.1:9&region=default&path_style=1"
            f"&lock=COMPLIANCE&lock_days={lock_days:g}")
    destination = Destination.objects.create(name=f"margin-{uuid.uuid4().hex[:8]}", type="s3", path=path,
                                              project_id=PROJECT, **fields)
    made.append(destination.id)
    return destination


def test_the_margin_follows_the_interval_in_force(made, monkeypatch):
    monkeypatch.setitem(settings.CONTROL, "lock_maintenance_seconds", 43200.0)  # 12 h: lock_days >= 1
    destination = _lock_destination(made, 1)
    assert lock_maintenance.alerts(destination) == []
    monkeypatch.setitem(settings.CONTROL, "lock_maintenance_seconds", 86400.0)  # raised to a day: 2 days needed
    (alert,) = lock_maintenance.alerts(destination)
    assert alert["problem"] == "margin" and alert["destination_id"] == destination.id
    assert "lock_days=1 is shorter than twice" in alert["error"]
    assert "Lower STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL to 12 h or less" in alert["error"]
    assert "raise lock_days in the destination's location to 2 or more" in alert["error"]
    assert lock_maintenance.alert(destination) is None  # the passes themselves are fine
    assert [entry["problem"] for entry in lock_maintenance.attention() if entry["destination_id"] == destination.id] \
        == ["margin"]


def test_a_failed_pass_comes_before_the_margin_and_the_margin_before_overdue(made, monkeypatch):
    monkeypatch.setitem(settings.CONTROL, "lock_maintenance_seconds", 86400.0)
    now = timezone.now()
    failed = _lock_destination(made, 1, lock_maintenance_failed_at=now, lock_maintenance_error="AccessDenied")
    assert [entry["problem"] for entry in lock_maintenance.alerts(failed, now)] == ["failed", "margin"]
    overdue = _lock_destination(made, 1)
    later = now + dt.timedelta(days=2)
    assert [entry["problem"] for entry in lock_maintenance.alerts(overdue, later)] == ["margin", "overdue"]
