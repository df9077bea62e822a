# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Schedules that never run are refused (policy create, update and the preview answer 400 naming the field, fast),
and a policy stored with one anyway (an older release, a hand edit of the catalog) never breaks a listing: it is
shown with its error, and can be fixed or deleted through the API."""
from __future__ import annotations

import time
import uuid

import pytest
from storage_backup.catalog.models import Destination, Policy, ProtectedInstance

from storage_backup_dashboard.client import BackupApiError

NEVER = "0 0 30 2 *"  # 30 February


def _expect_400(call, field: str) -> BackupApiError:
    with pytest.raises(BackupApiError) as raised:
        call()
    assert raised.value.status == 400, raised.value
    assert raised.value.field == field, (raised.value.field, raised.value.message)
    return raised.value


def test_schedule_with_no_future_run_is_refused(control_plane):
    member = control_plane.client("demo-member")
    error = _expect_400(lambda: member.policy_create(name=f"never-{uuid.uuid4().hex[:6]}", schedule=NEVER,
                                                     destination_id=control_plane.destination_id), "schedule")
    assert "never" in error.message.lower()
    assert not Policy.objects.filter(schedule=NEVER).exists()  # refused, not stored anyway
    policy = member.policy_create(name=f"fine-{uuid.uuid4().hex[:6]}", schedule="0 2 * * *",
                                  destination_id=control_plane.destination_id)
    try:
        _expect_400(lambda: member.policy_update(policy["id"], schedule="0 3 31 4,6,9,11 *"), "schedule")
        assert member.policy_get(policy["id"])["schedule"] == "0 2 * * *"
        # 29 February comes back (every four years at most eight): a rare schedule, not an impossible one.
        assert member.policy_update(policy["id"], schedule="0 0 29 2 *")["schedule"] == "0 0 29 2 *"
    finally:
        member.policy_delete(policy["id"])
    _expect_400(lambda: member.request("GET", "/v1/schedule-preview", params={"schedule": NEVER}), "schedule")


def test_window_that_leaves_no_run_is_refused_quickly(control_plane):
    """``* * * * *`` with a 15-second window that holds no minute: refused at once, not 13–20 s of CPU."""
    member = control_plane.client("demo-member")
    started = time.monotonic()
    _expect_400(lambda: member.policy_create(name=f"window-{uuid.uuid4().hex[:6]}", schedule="* * * * *",
                                             window_start="10:00:30", window_end="10:00:45",
                                             destination_id=control_plane.destination_id), "window_start")
    _expect_400(lambda: member.policy_create(name=f"window-{uuid.uuid4().hex[:6]}", schedule="0 * * * *",
                                             window_start="10:15", window_end="10:45",
                                             destination_id=control_plane.destination_id), "window_start")
    _expect_400(lambda: member.request("GET", "/v1/schedule-preview", params={
        "schedule": "* * * * *", "window_start": "10:00:30", "window_end": "10:00:45"}), "window_start")
    # Generous for a loaded machine; before the bound, the first request alone took seconds of CPU.
    assert time.monotonic() - started < 5
    policy = member.policy_create(name=f"window-{uuid.uuid4().hex[:6]}", schedule="0 * * * *",
                                  destination_id=control_plane.destination_id)
    try:
        _expect_400(lambda: member.policy_update(policy["id"], window_start="10:15", window_end="10:45"),
                    "window_start")
        # A window that holds a minute of the schedule is fine, even a 15-second one.
        updated = member.policy_update(policy["id"], window_start="10:00", window_end="10:00:15")
        assert updated["next_run_at"] and updated["schedule_error"] == ""
    finally:
        member.policy_delete(policy["id"])


@pytest.fixture
def stored_bad_policies(control_plane):
    """Policies written to the catalog with schedules the API now refuses, one protecting an instance."""
    project = control_plane.project_id("demo-member")
    destination = Destination.objects.get(pk=control_plane.destination_id)
    suffix = uuid.uuid4().hex[:6]
    never = Policy.objects.create(project_id=project, name=f"stored-never-{suffix}", destination=destination,
                                  schedule=NEVER, timezone="UTC")
    windowed = Policy.objects.create(project_id=project, name=f"stored-window-{suffix}", destination=destination,
                                     schedule="* * * * *", timezone="Europe/Paris",
                                     window_start="10:00:30", window_end="10:00:45")
    instance_id = str(uuid.uuid4())
    ProtectedInstance.objects.create(instance_id=instance_id, project_id=project, policy=never, name="stored")
    yield {"never": never, "windowed": windowed, "instance_id": instance_id}
    ProtectedInstance.objects.filter(instance_id=instance_id).delete()
    Policy.objects.filter(pk__in=[never.pk, windowed.pk]).delete()


def test_a_stored_bad_schedule_never_breaks_listing(control_plane, stored_bad_policies):
    never, windowed = stored_bad_policies["never"], stored_bad_policies["windowed"]
    member, admin = control_plane.client("demo-member"), control_plane.client("admin")
    started = time.monotonic()
    listed = {policy["id"]: policy for policy in member.policy_list()}
    everyone = {policy["id"]: policy for policy in admin.policy_list(all_projects=True)}
    assert time.monotonic() - started < 5
    for shown in (listed, everyone):
        assert shown[never.id]["next_run_at"] is None and "never" in shown[never.id]["schedule_error"].lower()
        assert shown[windowed.id]["next_run_at"] is None and shown[windowed.id]["schedule_error"]
    assert member.policy_get(never.id)["schedule_error"]
    status = member.request("GET", "/v1/instance-status", params={"instance_id": stored_bad_policies["instance_id"]})
    assert status[0]["protected"] and status[0]["next_run_at"] is None
    # The tenant can mend it or delete it through the API (the UI could not even list it).
    fixed = member.policy_update(windowed.id, window_start="10:00", window_end="11:00")
    assert fixed["schedule_error"] == "" and fixed["next_run_at"]
    member.policy_delete(windowed.id)
