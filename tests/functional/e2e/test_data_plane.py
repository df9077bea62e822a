# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control host opens no repository: the destinations' paths (``/storage-backup-e2e/…``) exist nowhere on this
machine, and only the workers' environment names the directory below which they are (``repository_root``). The API,
the control worker and celery beat run without it; yet backup, verify, a retention lock, a deletion and a catalog
rebuild all reach the repository: on the proxy and data workers, as jobs the catalog lists like any other."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys

import pytest
from storage_backup.repository import Repository
from storage_backup_sandbox.launch import REPO_ROOT

from tests.functional.e2e.support import DESTINATIONS, expect_api_error, wait_until

ROOT_ENV = "STORAGE_BACKUP_REPOSITORY_ROOT"
STACK_SETTINGS = {"STORAGE_BACKUP_RETENTION_SECONDS": "2"}  # retention makes the prune after a deletion
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


def _environ(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        pairs = [item.split(b"=", 1) for item in handle.read().split(b"\0") if b"=" in item]
    return {key.decode(): value.decode(errors="replace") for key, value in pairs}


def _children(pid: int) -> list[int]:
    """``pid`` and every process below it (a Celery worker's pool processes)."""
    found = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in handle.read().split():
                    found += _children(int(child))
        except OSError:
            continue
    return found


def _job(stack, job_type: str, user: str = "demo-member", **filters) -> dict:
    jobs = [job for job in stack.client(user).job_list(all_projects=user == "admin") if job["type"] == job_type
            and all(job.get(key) == value for key, value in filters.items())]
    assert jobs, f"no {job_type} job {filters}"
    return stack.wait_job(jobs[0]["id"], user=user)


def test_only_the_workers_can_find_the_destinations(stack):
    assert not os.path.exists(DESTINATIONS)  # on this host, where the control plane runs
    assert stack.repository.startswith(stack.repository_root) and os.path.isdir(stack.repository)
    for process in stack.control_processes:
        for pid in _children(process.process.pid):
            assert ROOT_ENV not in _environ(pid), f"{process.name} ({pid}) knows where the destinations are"
    for worker in [stack.data_worker, *stack.workers.values()]:
        assert _environ(worker.process.pid)[ROOT_ENV] == stack.repository_root


def test_a_backup_is_verified_on_the_data_worker(stack):
    member = stack.client()
    policy = stack.policy(name="data-plane", strategy="full")
    web = stack.server_named("web-1")
    member.protect(web["id"], policy["id"])
    points = [stack.run_backup(web["id"])["restore_point_id"] for _ in range(2)]
    assert sorted(os.listdir(os.path.join(stack.repository, "restore-points"))) == sorted(points)
    job = member.verify(points[0])
    assert job["type"] == "verify" and job["state"] == "queued" and job["availability_zone"] == ""
    job = stack.wait_job(job["id"])
    assert job["state"] == "succeeded" and job["result"]["chunks_verified"] > 0, job
    assert job["proxy"] == stack.data_worker.node_name
    STATE.update(web=web, points=points)


def test_a_retention_lock_reaches_the_repository(stack):
    member = stack.client()
    kept = STATE["points"][0]
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0)
    point = member.restore_point_lock(kept, until.isoformat().replace("+00:00", "Z"))
    assert point["locked"] is True  # the catalog holds it as the request answers
    job = _job(stack, "lock", restore_point_id=kept)
    assert job["state"] == "succeeded" and job["result"]["locked"] is True, job
    assert job["proxy"] == stack.data_worker.node_name
    assert Repository.open(stack.repository).get_restore_point(kept).locked()
    error = expect_api_error(409, member.restore_point_delete, kept)
    assert "retention lock" in error.message


def test_a_deletion_reaches_the_repository(stack):
    member = stack.client()
    gone = STATE["points"][1]
    member.restore_point_delete(gone)
    expect_api_error(404, member.restore_point_get, gone)  # out of the catalog at once
    job = _job(stack, "delete", restore_point_id=gone)
    assert job["state"] == "succeeded" and job["result"]["deleted"] == [gone], job
    assert gone not in os.listdir(os.path.join(stack.repository, "restore-points"))
    # Its data goes at the next prune (retention runs it), on the data worker too.
    prune = wait_until(lambda: [j for j in stack.client("admin").job_list(all_projects=True)
                                if j["type"] == "prune" and j["state"] in ("succeeded", "failed")],
                       timeout=60, what="the prune after the deletion")
    assert prune[0]["state"] == "succeeded" and prune[0]["proxy"] == stack.data_worker.node_name, prune[0]


def test_the_catalog_is_rebuilt_from_the_repository_by_the_data_worker(stack):
    kept = STATE["points"][0]
    catalog = os.path.join(stack.control_env["STORAGE_BACKUP_DATA_DIR"], "catalog.sqlite3")
    with sqlite3.connect(catalog, timeout=30) as connection:  # the catalog loses the restore point
        connection.execute("DELETE FROM catalog_restorepoint WHERE id = ?", (kept,))
    expect_api_error(404, stack.client().restore_point_get, kept)
    destination_id = stack.destination()["id"]
    result = subprocess.run([sys.executable, "-m", "django", "rebuild_catalog", "--destination", destination_id,
                             "--wait", "120"], env=stack.control_env, cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 created, 0 updated, 0 removed" in result.stdout, result.stdout
    point = stack.client().restore_point_get(kept)
    assert point["locked"] is True and point["instance_id"] == STATE["web"]["id"]
    job = _job(stack, "rebuild", user="admin")
    assert job["state"] == "succeeded" and job["proxy"] == stack.data_worker.node_name
    assert job["result"]["created"] == [kept]
