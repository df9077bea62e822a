# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What goes wrong, through the REST API: quotas refuse before any work; a snapshot Cinder fails ends the job
failed with an error naming it and leaves nothing; a backup held by a hanging attach is cancelled and cleans up;
a worker killed with SIGKILL mid-backup leaves a job the control plane fails and leftovers its sweeper removes in
order (attachment to the proxy, temporary volumes, snapshots, the group snapshot, the createImage image).

Tests run in order; the cloud is looked at as its admin to check that nothing leaked.
"""
from __future__ import annotations

import time

import pytest
from storage_backup.cloud.waiting import wait_volume, wait_volume_attached

from tests.functional.e2e.support import expect_api_error, wait_until
from tests.support.instances import create_instance

STACK_SETTINGS = {"STORAGE_BACKUP_SWEEPER_SECONDS": "2", "STORAGE_BACKUP_PROXY_DOWN_AFTER": "4"}
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def policy(stack):
    policy = stack.policy(name="failures", strategy="full")
    web = stack.server_named("web-1")
    stack.client().protect(web.id, policy["id"])
    STATE.update(policy=policy, web=web)
    return policy


def _wait_for_step(stack, job_id: str, step: str) -> dict:
    return wait_until(lambda: (job := stack.client().job_get(job_id))["progress"].get("step") == step and job,
                      timeout=60, what=f"job {job_id} to reach step {step}")


def test_quotas_refuse_before_any_work(stack, policy):
    admin, member = stack.client("admin"), stack.client()
    project = stack.project_id("demo-member")
    admin.quota_set(project, restore_points=0)
    try:
        error = expect_api_error(413, member.backup_create, STATE["web"].id)
        assert "restore points" in error.message
        app = stack.server_named("app-1")
        admin.quota_set(project, restore_points=None, protected_instances=1)
        error = expect_api_error(413, member.protect, app.id, policy["id"])
        assert "protect" in error.message
    finally:
        admin.quota_set(project, restore_points=None, protected_instances=None)
    assert member.job_list() == []  # refused before a job existed
    assert stack.leftovers() == {}  # and before anything was asked of the cloud
    assert [e["result"] for e in admin.audit_events(all_projects=True) if e["action"] == "backup.create"] == \
        ["failure"]


def test_a_failed_snapshot_fails_the_backup_naming_it_and_leaves_nothing(stack, policy):
    stack.arm_fault("snapshot.create", "error")
    job = stack.run_backup(STATE["web"].id, expect="failed")
    assert job["error"].startswith("Snapshot ") and "went to 'error'" in job["error"], job["error"]
    snapshot_id = job["error"].split()[1]
    assert job["attempts"] == 1  # a failed resource is not worth another attempt
    assert job["log"][-1]["message"].startswith("resource_failed: ")
    # The proxy's own log made it to the job although the task failed: what it did and what it cleaned up.
    steps = [entry["step"] for entry in job["log"]]
    assert "snapshot" in steps and "cleanup" in steps and "failed" in steps
    assert any(snapshot_id in entry["message"] for entry in job["log"] if entry["step"] == "failed")
    assert stack.client().restore_point_list(instance_id=STATE["web"].id) == []
    assert stack.leftovers() == {}


def test_a_transient_cloud_error_is_retried_and_the_backup_succeeds(stack, policy):
    stack.arm_fault("snapshot.create", "http500")  # Cinder answers 500 once: ServiceUnavailable, worth a retry
    job = stack.run_backup(STATE["web"].id)
    assert job["attempts"] == 2, job
    retry = next(entry for entry in job["log"] if entry["step"] == "retry")
    assert "(cloud_unavailable: " in retry["message"] and "HTTP 500" in retry["message"]
    assert stack.leftovers() == {}


def test_cancel_of_a_running_backup_cleans_up(stack, policy):
    points_before = stack.client().restore_point_list(instance_id=STATE["web"].id)
    stack.arm_fault("volume.attach", "hang")  # the copy of the first volume never finishes attaching
    job = stack.client().backup_create(STATE["web"].id)
    running = _wait_for_step(stack, job["id"], "attach")
    assert running["state"] == "running"
    wait_until(lambda: stack.leftovers().get("volumes"), what="the temporary volumes")
    cancelled = stack.client().job_cancel(job["id"])
    assert cancelled["cancel_requested"] is True and cancelled["state"] == "running"
    job = stack.wait_job(job["id"])
    assert job["state"] == "cancelled", job
    steps = [entry["step"] for entry in job["log"]]
    assert "cancel" in steps and "cleanup" in steps
    assert stack.client().restore_point_list(instance_id=STATE["web"].id) == points_before
    assert stack.leftovers() == {}


def test_a_proxy_busy_with_as_many_jobs_as_it_runs_is_still_up(stack, policy):
    """Both worker processes of the nova proxy hold a backup (their attaches hang): no ping gets through for longer
    than the proxy's down-after, yet it is up — its jobs' liveness keys say so — and not reported down."""
    other = create_instance(stack.handle.session("demo-member"), name="web-2")
    stack.client().protect(other["id"], policy["id"])
    stack.arm_fault("volume.attach", "hang", count=2)
    jobs = [stack.client().backup_create(server_id) for server_id in (STATE["web"].id, other["id"])]
    for job in jobs:
        _wait_for_step(stack, job["id"], "attach")
    time.sleep(6)  # > STORAGE_BACKUP_PROXY_DOWN_AFTER: the pings wait behind the two jobs
    nova = [p for p in stack.client("admin").proxy_list() if p["availability_zone"] == "nova"]
    assert nova and all(p["status"] == "up" for p in nova), nova
    for job in jobs:
        stack.client().job_cancel(job["id"])
    assert [stack.wait_job(job["id"])["state"] for job in jobs] == ["cancelled", "cancelled"]
    stack.client().unprotect(other["id"])
    assert stack.leftovers() == {}


def _image_booted_server_with_a_volume(stack):
    """``app-1`` (image-booted, ``az2``) with a data volume: a backup takes a createImage image and a snapshot."""
    demo = stack.demo
    app = stack.server_named("app-1")
    volume = demo.block_storage.create_volume(size=1, name="app-1-data", availability_zone="az2")
    wait_volume(stack.service, volume.id, "available", timeout=60)
    demo.compute.create_volume_attachment(app.id, volume.id)
    wait_volume_attached(stack.service, volume.id, app.id, timeout=60)
    return app


def test_the_sweeper_removes_what_a_killed_worker_left_in_order(stack, policy, tmp_path):
    db, app = stack.grouped_server("db-1")[0], _image_booted_server_with_a_volume(stack)
    for server in (db, app):
        stack.client().protect(server["id"], policy["id"])
    # az2: the attach of the first copy never completes (createImage image, snapshot, volumes, a pending attach).
    stack.arm_fault("volume.attach", "hang")
    app_job = stack.client().backup_create(app.id)
    _wait_for_step(stack, app_job["id"], "attach")
    wait_until(lambda: any(" attaching" in v for v in stack.leftovers().get("volumes", [])), what="a pending attach")
    # nova: a proxy whose attached volumes never show up (its device root is empty), so the job waits with a copy
    # attached to the proxy for good (group snapshot, its members, volumes, an attachment).
    stack.workers["nova"].stop()
    stack.start_worker("nova", device_root=str(tmp_path), env={"STORAGE_BACKUP_TIMEOUT_DEVICE": "600"})
    stack.wait_for_proxies()
    db_job = stack.client().backup_create(db.id)
    wait_until(lambda: stack.leftovers().get("attached to proxy nova"), what="a copy attached to the nova proxy")
    jobs = [db_job, app_job]
    for zone in ("nova", "az2"):
        stack.kill_worker(zone)  # no finally, no cleanup: everything stays
    left = stack.leftovers()
    for kind in ("volumes", "snapshots", "group_snapshots", "images", "attached to proxy nova"):
        assert left.get(kind), f"no {kind} left to sweep: {left}"
    assert len(left["volumes"]) == 4, left
    left_ids = {kind: [item.split()[0] for item in items] for kind, items in left.items()
                if kind in ("volumes", "snapshots", "group_snapshots", "images")}

    # The control plane sees the workers' liveness keys expire and fails the jobs; then the sweeper acts.
    for job in jobs:
        failed = stack.wait_job(job["id"], timeout=60)
        assert failed["state"] == "failed" and "stopped while running this job" in failed["error"], failed
    wait_until(lambda: stack.leftovers() == {}, timeout=90, interval=1, what="the sweeper to remove everything")

    # Per job (each job's leftovers go in one sweep, possibly not the same one): detach, then the volumes, then
    # what they were made from. The audit log says what the sweeper did, in order.
    events = [e for e in reversed(stack.client("admin").audit_events(all_projects=True))
              if e["action"].startswith("sweeper.")]
    removed = {(e["action"], e["target_id"]) for e in events}
    for kind in ("volumes", "group_snapshots", "images"):
        assert all(("sweeper.delete", ident) in removed for ident in left_ids[kind]), (kind, events)
    for job in jobs:
        order = [(e["action"], e["target_id"]) for e in events if job["id"] in e["detail"]]
        # A pending attach is undone by force (sweeper.force: Cinder's admin actions, docs/TASKS.md), then detached.
        kinds = ["detach" if action in ("sweeper.detach", "sweeper.force") else "volume"
                 if target in left_ids["volumes"] else "other" for action, target in order]
        assert kinds and kinds[0] == "detach" and "other" in kinds, order
        assert kinds == sorted(kinds, key=["detach", "volume", "other"].index), order

    for zone in ("nova", "az2"):  # the proxies come back and work again
        stack.start_worker(zone)
    stack.wait_for_proxies()
    job = stack.run_backup(db.id)
    point = stack.client().restore_point_get(job["restore_point_id"])
    assert point["consistency"] == "group"
    assert stack.leftovers() == {}
