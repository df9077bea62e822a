# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Jobs against real Celery workers over a real Redis: submission by name to ``proxy.<az>``, progress and results
recorded by the control worker, one backup per instance, quotas, cancel, retries, AZs without a proxy.

The proxy side here is ``tests.support.fake_proxy`` (docs/TASKS.md, no data movement), so these tests are about the
control plane; ``tests/functional/e2e`` runs the same jobs on the real pipeline.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
import redis
from storage_backup.catalog.models import Job, JobState, Policy, ProtectedInstance, Quota, RestorePoint
from storage_backup.services import tracking

from storage_backup_dashboard.client import BackupApiError
from tests.support.control_fixtures import keep_proxy_up, wait_until
from tests.support.instances import create_instance, raise_volume_quota

# Part of the catalog-heavy subset that tox's functional-postgresql and functional-mariadb run again there.
pytestmark = pytest.mark.catalog


@pytest.fixture(scope="module")
def world(control_plane, fake_proxy, control_worker):
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("demo-member"))
    member = control_plane.client("demo-member")
    policy = member.policy_create(name="jobs", destination_id=control_plane.destination_id, strategy="auto",
                                  full_every=3, retention_lock_days=30)
    return {"policy": policy, "session": control_plane.sandbox.session("demo-member"),
            "redis": redis.Redis.from_url(control_plane.redis_url)}


def protected(control_plane, world, availability_zone: str = "nova", mode: dict | None = None) -> str:
    server = create_instance(world["session"], availability_zone=availability_zone)
    control_plane.client("demo-member").protect(server["id"], world["policy"]["id"])
    if mode:
        world["redis"].set(f"fake-proxy:mode:{server['id']}", json.dumps(mode))
    return server["id"]


def finished(client, job_id: str, timeout: float = 60) -> dict:
    return wait_until(lambda: (job := client.job_get(job_id))["state"] in ("succeeded", "failed", "cancelled")
                      and job, timeout=timeout, what=f"job {job_id} to end")


def test_backup_now_records_progress_and_restore_point(control_plane, world):
    keep_proxy_up()
    member = control_plane.client("demo-member")
    instance_id = protected(control_plane, world, mode={"mode": "succeed", "seconds": 3})
    job = member.backup_create(instance_id)
    assert job["state"] in ("queued", "running") and job["strategy"] == "full"  # auto: the first is full
    running = wait_until(lambda: (j := member.job_get(job["id"]))["progress"].get("bytes_total") and j,
                         timeout=30, what="progress")
    assert running["state"] == "running" and 0 <= running["progress"]["percent"] < 100
    assert running["progress"]["rate"] > 0 and running["progress"]["eta"] is not None
    done = finished(member, job["id"])
    assert done["state"] == "succeeded", done
    assert done["progress"]["percent"] == 100
    steps = [entry["step"] for entry in done["log"]]
    assert steps[0] == "queued" and "submitted" in steps and "recorded" in steps and "snapshot" in steps
    point = member.restore_point_get(done["restore_point_id"])
    assert point["instance_id"] == instance_id and point["bytes_stored"] == 5 * 1024 * 1024
    assert point["locked"] and point["retention_lock_until"]  # 30 days of WORM from the policy
    sent = [json.loads(p) for p in world["redis"].lrange("fake-proxy:payloads", 0, -1)]
    payload = next(p for p in sent if p["job_id"] == job["id"])
    assert payload["destination"]["path"] and payload["labels"]["policy_id"] == world["policy"]["id"]
    assert payload["retention_lock_until"].endswith("Z") and payload["strategy"] == "full"
    # The next one is incremental (full every 3), and the WORM lock refuses deletion, admin included.
    second = finished(member, member.backup_create(instance_id)["id"])
    assert second["strategy"] == "incremental"
    for user in ("demo-member", "admin"):
        with pytest.raises(BackupApiError) as refused:
            control_plane.client(user).restore_point_delete(point["id"])
        assert refused.value.status == 409 and "retention lock" in refused.value.message


def test_one_backup_per_instance(control_plane, world):
    keep_proxy_up()
    member = control_plane.client("demo-member")
    instance_id = protected(control_plane, world, mode={"mode": "slow", "seconds": 4})
    first = member.backup_create(instance_id)
    with pytest.raises(BackupApiError) as busy:
        member.backup_create(instance_id)
    assert busy.value.status == 409 and first["id"] in busy.value.message
    assert finished(member, first["id"])["state"] == "succeeded"
    finished(member, member.backup_create(instance_id)["id"])  # free again once the first ended


def test_cancel_running_job_cleans_up(control_plane, world):
    keep_proxy_up()
    member = control_plane.client("demo-member")
    instance_id = protected(control_plane, world, mode={"mode": "slow", "seconds": 20})
    job = member.backup_create(instance_id)
    wait_until(lambda: member.job_get(job["id"])["state"] == "running", timeout=30, what="running")
    with pytest.raises(BackupApiError) as reader_refused:
        control_plane.client("demo-reader").job_cancel(job["id"])
    assert reader_refused.value.status == 403
    cancelling = member.job_cancel(job["id"])
    assert cancelling["cancel_requested"] and cancelling["state"] == "running"
    done = finished(member, job["id"], timeout=30)
    assert done["state"] == "cancelled", done
    assert job["id"].encode() in world["redis"].lrange("fake-proxy:cleaned", 0, -1)
    assert not RestorePoint.objects.filter(job_id=job["id"]).exists()
    with pytest.raises(BackupApiError) as again:
        member.job_cancel(job["id"])
    assert again.value.status == 409


def test_failure_keeps_the_actionable_error(control_plane, world):
    keep_proxy_up()
    member = control_plane.client("demo-member")
    instance_id = protected(control_plane, world, mode={"mode": "fail", "seconds": 0.2})
    done = finished(member, member.backup_create(instance_id)["id"])
    assert done["state"] == "failed" and "ask the cloud operator to reset it" in done["error"]
    assert done["attempts"] == 1  # not retryable: no retry
    assert done["log"][-1]["message"].startswith("resource_failed: Volume 3f2a")


def test_transient_failure_is_retried_with_backoff(control_plane, world):
    keep_proxy_up()
    member = control_plane.client("demo-member")
    instance_id = protected(control_plane, world, mode={"mode": "transient", "seconds": 0.2})
    done = finished(member, member.backup_create(instance_id)["id"])
    assert done["state"] == "succeeded" and done["attempts"] == 2, done
    assert any(entry["step"] == "retry" and entry["message"].startswith("Attempt 1 failed (cloud_unavailable: "
                                                                       "Cinder answered 503)")
               for entry in done["log"])


def test_quota_refuses_before_work_starts(control_plane, world):
    keep_proxy_up()
    member = control_plane.client("demo-member")
    admin = control_plane.client("admin")
    project = control_plane.project_id("demo-member")
    instance_id = protected(control_plane, world)
    used = RestorePoint.objects.filter(project_id=project).count()
    admin.quota_set(project, restore_points=used)
    try:
        with pytest.raises(BackupApiError) as over:
            member.backup_create(instance_id)
        assert over.value.status == 413 and "restore points" in over.value.message
        assert not Job.objects.filter(instance_id=instance_id).exists()
        protected_count = ProtectedInstance.objects.filter(project_id=project).count()
        admin.quota_set(project, restore_points=None, protected_instances=protected_count)
        extra = create_instance(world["session"])
        with pytest.raises(BackupApiError) as over_instances:
            member.protect(extra["id"], world["policy"]["id"])
        assert over_instances.value.status == 413 and "protect" in over_instances.value.message
        usage = member.usage()[0]
        assert usage["quota"]["protected_instances"] == protected_count
    finally:
        Quota.objects.filter(project_id=project).delete()


def test_az_without_proxy_waits_with_a_reason(control_plane, world):
    member = control_plane.client("demo-member")
    instance_id = protected(control_plane, world, availability_zone="az2")
    job = member.backup_create(instance_id)
    assert job["state"] == "queued" and job["waiting_reason"] == ""
    # The API only recorded it; the control worker, woken by it, says why it waits.
    job = wait_until(lambda: (j := member.job_get(job["id"]))["waiting_reason"] and j, timeout=30,
                     what="the waiting reason")
    assert job["state"] == "queued" and "az2" in job["waiting_reason"] and "proxy" in job["waiting_reason"]
    member.job_cancel(job["id"])
    assert member.job_get(job["id"])["state"] == "cancelled"


def test_scheduled_policy_queues_backups_on_its_own(control_plane, world):
    """The control worker's tick (sent here as beat would) runs the due policy and the job completes."""
    keep_proxy_up()
    member = control_plane.client("demo-member")
    policy = member.policy_create(name="every-minute", destination_id=control_plane.destination_id,
                                  schedule="* * * * *", timezone="Asia/Kolkata")
    server = create_instance(world["session"])
    member.protect(server["id"], policy["id"])
    # As if the policy had been created two minutes ago: its last fire is due now.
    import datetime as dt

    from django.utils import timezone

    Policy.objects.filter(pk=policy["id"]).update(created_at=timezone.now() - dt.timedelta(minutes=2))
    from storage_backup.control.worker import app

    app.send_task("control.tick", queue="control")
    job = wait_until(lambda: Job.objects.filter(instance_id=server["id"], scheduled=True).first(), timeout=30,
                     what="a scheduled job")
    done = finished(member, job.id)
    assert done["state"] == "succeeded" and done["scheduled"]
    assert Policy.objects.get(pk=policy["id"]).last_scheduled_at is not None


def test_a_job_that_started_and_ended_between_two_refreshes_still_has_a_duration():
    job = Job(log=[{"at": "2026-01-01T10:00:00Z", "step": "queued", "message": "queued"},
                   {"at": "2026-01-01T10:00:02.5Z", "step": "start", "message": "proxy.backup_instance on proxy"}])
    tracking._finish(job, JobState.SUCCEEDED, "")
    assert job.started_at == dt.datetime(2026, 1, 1, 10, 0, 2, 500000, tzinfo=dt.UTC)
    assert job.finished_at > job.started_at

    never_started = Job(log=[{"at": "2026-01-01T10:00:00Z", "step": "queued", "message": "queued"}])
    tracking._finish(never_started, JobState.FAILED, "no proxy")
    assert never_started.started_at is None
