# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A proxy worker's main process SIGKILLed (no ``finally`` runs) while reading, while committing, during a restore;
its supervisor starts it again. The control plane notices the job's liveness gone, ends or retries it, and the
sweeper removes the copies the dead worker left attached to its proxy."""
from __future__ import annotations

import pytest

from tests.faults.matrix import pausing_worker, plain_worker, points_of, protected_instance, recover, wait_step


@pytest.fixture(scope="module")
def policy(stack):
    return stack.policy(name="matrix-killed", strategy="incremental")


@pytest.mark.fault("proxy worker SIGKILLed while reading a volume", "job failed or retried; copies swept")
def test_killed_while_reading(stack, policy, drill):
    server = protected_instance(stack, policy, "killed-reading")
    before = points_of(stack, server["id"])
    pausing_worker(stack, "nova", "read=60")
    job = stack.client().backup_create(server["id"])
    wait_step(stack, job["id"], "read")
    drill.restart_clock()
    stack.kill_worker("nova")
    plain_worker(stack, "nova")
    recover(stack, drill, server["id"], stack.wait_job(job["id"], timeout=90), before)


@pytest.mark.fault("proxy worker SIGKILLed while committing the restore point",
                   "no half-written restore point; job failed or retried")
def test_killed_while_committing(stack, policy, drill):
    server = protected_instance(stack, policy, "killed-commit")
    before = points_of(stack, server["id"])
    pausing_worker(stack, "nova", "commit=60")
    job = stack.client().backup_create(server["id"])
    wait_step(stack, job["id"], "commit")
    drill.restart_clock()
    stack.kill_worker("nova")
    plain_worker(stack, "nova")
    recover(stack, drill, server["id"], stack.wait_job(job["id"], timeout=90), before)


@pytest.mark.fault("proxy worker SIGKILLed while writing a restore",
                   "restore failed or retried; half-restored volumes swept; restore again succeeds")
def test_killed_during_restore(stack, policy, drill):
    server = protected_instance(stack, policy, "killed-restore")
    point_id = stack.run_backup(server["id"])["restore_point_id"]
    before = points_of(stack, server["id"])
    pausing_worker(stack, "nova", "write=60")
    job = stack.client().restore(point_id)
    wait_step(stack, job["id"], "write")
    drill.restart_clock()
    stack.kill_worker("nova")
    plain_worker(stack, "nova")
    ended = stack.wait_job(job["id"], timeout=90)
    recover(stack, drill, server["id"], ended, before)
    if ended["state"] != "succeeded":
        stack.run_restore(point_id)  # the restore point is whole: a second restore succeeds
