# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""One tenant's broken policy stops nothing: with a policy in the catalog whose schedule cannot be computed, the
real control worker's tick still schedules the other policies, records finished jobs and dispatches waiting ones;
the broken policy is reported in the tick's report and on the administrators' overview."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from storage_backup.catalog.models import Destination, Job, Policy, ProtectedInstance

from tests.support.control_fixtures import keep_proxy_up, wait_until
from tests.support.instances import create_instance, raise_volume_quota

NEVER = "0 0 30 2 *"


@pytest.fixture
def broken_policy(control_plane, fake_proxy, control_worker):
    """A policy stored with a schedule that has no date (as an older release let it be), listed first."""
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("demo-member"))
    destination = Destination.objects.get(pk=control_plane.destination_id)
    policy = Policy.objects.create(project_id=control_plane.project_id("demo-member"), destination=destination,
                                   name=f"broken-{uuid.uuid4().hex[:6]}", schedule=NEVER, priority=1000)
    yield policy
    Policy.objects.filter(pk=policy.pk).delete()


def _recorded(job_id: str) -> str:
    """The job's end as the ticks record it in the catalog (reading it through the API would refresh it)."""
    return wait_until(lambda: (state := Job.objects.get(pk=job_id).state) in ("succeeded", "failed", "cancelled")
                      and state, timeout=60, what=f"the ticks to record the end of job {job_id}")


def test_a_broken_policy_stops_no_one_else(control_plane, broken_policy):
    keep_proxy_up()
    member = control_plane.client("demo-member")
    session = control_plane.sandbox.session("demo-member")
    due = member.policy_create(name=f"every-minute-{uuid.uuid4().hex[:6]}", schedule="* * * * *",
                               destination_id=control_plane.destination_id)
    on_demand = member.policy_create(name=f"on-demand-{uuid.uuid4().hex[:6]}",
                                     destination_id=control_plane.destination_id)
    scheduled_server, manual_server = create_instance(session), create_instance(session)
    try:
        member.protect(scheduled_server["id"], due["id"])
        member.protect(manual_server["id"], on_demand["id"])
        Policy.objects.filter(pk=due["id"]).update(created_at=timezone.now() - dt.timedelta(minutes=2))
        # A job sent at once, then recorded by the ticks: tracking must not wait on the broken policy.
        manual = member.backup_create(manual_server["id"])
        assert _recorded(manual["id"]) == "succeeded"
        # The other policy's fire is scheduled by the ticks, and its job goes and is recorded.
        scheduled = wait_until(lambda: Job.objects.filter(instance_id=scheduled_server["id"], scheduled=True)
                               .first(), timeout=60, what="the other policy's scheduled job")
        assert _recorded(scheduled.id) == "succeeded"

        from storage_backup.control.worker import app

        report = app.send_task("control.tick", queue="control").get(timeout=60)
        # The broken policy fails alone: not the scheduling stage (the cloud's own hiccups may show on auto_assign).
        assert not {"schedule", "track", "dispatch"} & set(report["errors"]), report
        assert "never" in report["failed_policies"][broken_policy.id].lower(), report
        stored = Policy.objects.get(pk=broken_policy.pk)
        assert stored.schedule_error and stored.schedule_failed_at is not None

        overview = control_plane.client("admin").request("GET", "/v1/overview", params={"days": 7})
        failing = {row["id"]: row for row in overview["attention"]["failing_policies"]}
        assert broken_policy.id in failing and failing[broken_policy.id]["error"] == stored.schedule_error
        assert failing[broken_policy.id]["project_id"] == broken_policy.project_id
        assert due["id"] not in failing
    finally:
        for server in (scheduled_server, manual_server):
            ProtectedInstance.objects.filter(instance_id=server["id"]).delete()
        Policy.objects.filter(pk=due["id"]).update(enabled=False)
