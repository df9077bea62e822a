# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control tick's stages do not depend on each other's success, and one policy's failure stays its own.

``control.tick`` is called in this process with its stages replaced (a unit test of that one function); the
scheduler runs for real on this process's catalog."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from storage_backup.catalog.models import Destination, Policy
from storage_backup.control import scheduler, tasks


@pytest.fixture
def stages(monkeypatch):
    """Each stage of the tick replaced by one that records it ran; ``broken`` lists those that raise instead."""
    ran: list[str] = []
    broken: set[str] = set()

    def stage(name, result):
        def run(*args, **kwargs):
            ran.append(name)
            if name in broken:
                raise RuntimeError(f"{name} exploded")
            return result
        return run

    monkeypatch.setattr(tasks.assignments, "auto_assign", stage("auto_assign", []))
    monkeypatch.setattr(tasks.scheduler, "run_due_policies", stage("schedule", scheduler.ScheduleRun()))
    monkeypatch.setattr(tasks.tracking, "sync_active", stage("track", 3))
    monkeypatch.setattr(tasks.dispatch, "dispatch_ready", stage("dispatch", 2))
    return ran, broken


@pytest.mark.parametrize("failing", ["auto_assign", "schedule", "track", "dispatch"])
def test_a_failing_stage_stops_no_other(stages, failing):
    ran, broken = stages
    broken.add(failing)
    report = tasks.tick()
    assert ran == ["auto_assign", "schedule", "track", "dispatch"]
    assert report["errors"] == {failing: f"RuntimeError: {failing} exploded"}
    assert report["changed"] == (None if failing == "track" else 3)
    assert report["submitted"] == (None if failing == "dispatch" else 2)


def test_every_stage_failing_is_still_a_report(stages):
    ran, broken = stages
    broken.update({"auto_assign", "schedule", "track", "dispatch"})
    report = tasks.tick()
    assert len(ran) == 4 and set(report["errors"]) == {"auto_assign", "schedule", "track", "dispatch"}


@pytest.fixture
def destination(tmp_path):
    return Destination.objects.create(name=f"sched-{uuid.uuid4().hex[:6]}", path=str(tmp_path))


def test_one_failing_policy_is_recorded_and_the_others_run(destination):
    created = timezone.now() - dt.timedelta(minutes=5)
    broken = Policy.objects.create(project_id="p1", name="broken", destination=destination, schedule="0 0 30 2 *",
                                   priority=10)
    healthy = Policy.objects.create(project_id="p2", name="healthy", destination=destination, schedule="* * * * *")
    Policy.objects.filter(pk__in=[broken.pk, healthy.pk]).update(created_at=created)
    try:
        run = scheduler.run_due_policies()
        assert "never" in run.failed[broken.id]
        assert healthy.id not in run.failed
        healthy.refresh_from_db()
        broken.refresh_from_db()
        assert healthy.last_scheduled_at is not None and healthy.schedule_error == ""
        assert broken.schedule_error == run.failed[broken.id] and broken.schedule_failed_at is not None
        # Mended: the next run clears the error.
        Policy.objects.filter(pk=broken.pk).update(schedule="0 3 * * *")
        assert broken.id not in scheduler.run_due_policies().failed
        broken.refresh_from_db()
        assert broken.schedule_error == "" and broken.schedule_failed_at is None
    finally:
        Policy.objects.filter(pk__in=[broken.pk, healthy.pk]).delete()
