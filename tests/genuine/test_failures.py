# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Failures on the genuine services: an attach whose device never shows on the proxy fails the backup naming it and
leaves nothing; a worker killed with SIGKILL while a copy is attached to its proxy leaves a snapshot, a volume and an
attachment that the control plane's sweeper detaches and deletes, in order.
"""
from __future__ import annotations

import time

import pytest

from tests.functional.e2e.support import wait_until
from tests.genuine.instances import boot_from_volume

STACK_SETTINGS = {"STORAGE_BACKUP_SWEEPER_SECONDS": "3", "STORAGE_BACKUP_JOB_ALIVE_GRACE": "10"}
STATE: dict = {}
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def server(stack):
    server, _root, _data = boot_from_volume(stack, stack.connect("demo-member"), "fails-1")
    policy = stack.client().policy_create(name="fails", destination_id=stack.destination()["id"], strategy="full")
    stack.client().protect(server.id, policy["id"])
    return server


def test_an_attached_copy_that_never_shows_fails_the_backup_and_leaves_nothing(stack, server, tmp_path):
    stack.workers["nova"].stop()
    stack.start_worker("nova", device_root=str(tmp_path), env={"STORAGE_BACKUP_TIMEOUT_DEVICE": "5"})
    stack.wait_for_proxies()
    job = stack.run_backup(server.id, expect="failed")
    assert "did not appear" in job["error"] or "/dev/disk/by-id" in job["error"], job["error"]
    assert stack.leftovers() == {}


def test_the_sweeper_removes_what_a_killed_worker_left(stack, server, tmp_path):
    stack.workers["nova"].stop()
    stack.start_worker("nova", device_root=str(tmp_path), env={"STORAGE_BACKUP_TIMEOUT_DEVICE": "600"})
    stack.wait_for_proxies()
    job = stack.client().backup_create(server.id)
    wait_until(lambda: stack.leftovers().get("attached to proxy nova"), timeout=180, interval=1,
               what="a copy attached to the nova proxy")
    stack.kill_worker("nova")  # no finally, no cleanup: everything stays
    left = stack.leftovers()
    assert left.get("volumes") and left.get("snapshots"), left
    failed = stack.wait_job(job["id"], timeout=120)
    assert failed["state"] == "failed" and "stopped while running this job" in failed["error"], failed
    began = time.monotonic()
    wait_until(lambda: stack.leftovers() == {}, timeout=300, interval=2, what="the sweeper to remove everything")
    STATE["sweep_seconds"] = round(time.monotonic() - began, 1)
    events = [e for e in reversed(stack.client("admin").audit_events(all_projects=True))
              if e["action"].startswith("sweeper.")]
    actions = [e["action"] for e in events if job["id"] in e["detail"]]
    assert actions and actions[0] == "sweeper.detach", events
    stack.start_worker("nova")
    stack.wait_for_proxies()
    assert stack.run_backup(server.id)["state"] == "succeeded"
