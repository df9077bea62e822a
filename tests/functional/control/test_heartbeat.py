# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Heartbeats with the real ``proxy.ping`` worker (storage_backup.celery_app): a proxy whose worker stops shows as down,
its AZ's jobs wait with a clear reason, and go out once it answers again."""
from __future__ import annotations

import pytest
from storage_backup.catalog.models import Job, ProtectedInstance
from storage_backup_sandbox.launch import WorkerProcess

from tests.support.control_fixtures import FakeProxyProcess, wait_until
from tests.support.instances import create_instance, raise_volume_quota

ZONE = "az2"


@pytest.fixture(scope="module")
def az2_proxy(control_plane, control_worker):
    worker = WorkerProcess(ZONE, control_plane.redis_url, control_plane.log_dir, proxy_server_id="proxy-az2-server",
                           device_root=control_plane.log_dir, clouds_yaml=control_plane.sandbox.clouds_yaml,
                           concurrency=1)
    yield worker
    worker.stop()


def test_proxy_down_then_up(control_plane, az2_proxy):
    admin = control_plane.client("admin")
    az2_proxy.start()

    def proxy_status() -> str | None:
        found = [p for p in admin.proxy_list() if p["availability_zone"] == ZONE]
        return found[0]["status"] if found else None

    wait_until(lambda: proxy_status() == "up", timeout=30, what="the az2 proxy to show up")
    proxy = next(p for p in admin.proxy_list() if p["availability_zone"] == ZONE)
    assert proxy["server_id"] == "proxy-az2-server" and proxy["device_root_ok"] and proxy["last_heartbeat"]
    assert proxy["hostname"].startswith("proxy-az2@")  # the Celery node: one row per proxy even on one host

    az2_proxy.stop()
    wait_until(lambda: proxy_status() == "down", timeout=30, what="the az2 proxy to show down")

    # A backup for an instance in az2 waits, saying why.
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("demo-member"))
    member = control_plane.client("demo-member")
    policy = member.policy_create(name="heartbeat", destination_id=control_plane.destination_id)
    server = create_instance(control_plane.sandbox.session("demo-member"), availability_zone=ZONE)
    member.protect(server["id"], policy["id"])
    job = member.backup_create(server["id"])
    waiting = wait_until(lambda: (j := member.job_get(job["id"]))["waiting_reason"] and j, timeout=15,
                         what="a waiting reason")
    assert waiting["state"] == "queued"
    assert "is down" in waiting["waiting_reason"] and "last heartbeat" in waiting["waiting_reason"]
    assert Job.objects.get(pk=job["id"]).celery_task_id == ""

    # A proxy answers in az2 again (the stand-in with the backup task, until the pipeline lands): the job goes.
    with FakeProxyProcess(control_plane.env, control_plane.log_dir, ZONE).start():
        done = wait_until(lambda: (j := member.job_get(job["id"]))["state"] in ("succeeded", "failed") and j,
                          timeout=60, what="the waiting job to run")
    assert done["state"] == "succeeded" and not done["waiting_reason"], done
    ProtectedInstance.objects.filter(pk=server["id"]).delete()
