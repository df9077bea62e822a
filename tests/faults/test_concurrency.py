# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Users act at the worst moment: two backups of one instance asked for at once; the policy and a restore point's
lock edited while the instance's backup runs."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage_backup_dashboard.client import BackupApiError
from tests.faults.matrix import pausing_worker, plain_worker, points_of, protected_instance, recover, wait_step


@pytest.fixture(scope="module")
def policy(stack):
    return stack.policy(name="matrix-users", strategy="incremental")


@pytest.mark.fault("two backups of one instance requested at the same moment",
                   "one job runs, the other is refused (409); never two at once")
def test_two_backups_at_once(stack, policy, drill):
    server = protected_instance(stack, policy, "twice")
    before = points_of(stack, server["id"])
    drill.restart_clock()

    def ask():
        try:
            return stack.client().backup_create(server["id"])
        except BackupApiError as error:
            return error

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: ask(), range(2)))
    jobs = [answer for answer in answers if isinstance(answer, dict)]
    refused = [answer for answer in answers if isinstance(answer, BackupApiError)]
    assert len(jobs) == 1 and [error.status for error in refused] == [409], answers
    job = stack.wait_job(jobs[0]["id"], timeout=90)
    assert job["state"] == "succeeded", job
    assert len(points_of(stack, server["id"]) - before) == 1
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("the policy and a restore point's lock edited while a backup of the instance runs",
                   "the backup completes; the edits hold")
def test_edits_while_a_job_runs(stack, policy, drill):
    server = protected_instance(stack, policy, "edited")
    first = stack.run_backup(server["id"])["restore_point_id"]
    before = points_of(stack, server["id"])
    pausing_worker(stack, "nova", "read=4")
    try:
        job = stack.client().backup_create(server["id"])
        wait_step(stack, job["id"], "read")
        drill.restart_clock()
        until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0)
        stack.client().policy_update(policy["id"], keep_last=1, strategy="full", retention_lock_days=1)
        locked = stack.client().restore_point_lock(first, until.isoformat())
        job = stack.wait_job(job["id"], timeout=90)
    finally:
        plain_worker(stack, "nova")
    assert job["state"] == "succeeded", job
    assert locked["retention_lock_until"] and stack.client().restore_point_get(first)["retention_lock_until"]
    edited = stack.client().policy_get(policy["id"])
    assert (edited["keep_last"], edited["strategy"]) == (1, "full")
    recover(stack, drill, server["id"], job, before)
    stack.client().policy_update(policy["id"], keep_last=0, strategy="incremental", retention_lock_days=0)
