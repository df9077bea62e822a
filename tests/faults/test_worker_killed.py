# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A proxy worker's main process SIGKILLed (no ``finally`` runs) while reading, while committing, during a restore;
its supervisor starts it again. The control plane notices the job's liveness gone, ends or retries it, and the
sweeper removes the copies the dead worker left attached to its proxy."""
from __future__ import annotations

import pytest

from tests.faults.matrix import kill_worker_at, points_of, protected_instance, recover


@pytest.fixture(scope="module")
def policy(stack):
    return stack.policy(name="matrix-killed", strategy="incremental")


@pytest.mark.fault("proxy worker SIGKILLed while reading a volume", "job failed or retried; copies swept")
def test_killed_while_reading(stack, policy, drill):
    server = protected_instance(stack, policy, "killed-reading")
    before = points_of(stack, server["id"])
    job = kill_worker_at(stack, drill, lambda: stack.client().backup_create(server["id"]), "read")
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("proxy worker SIGKILLed while committing the restore point",
                   "no half-written restore point; job failed or retried")
def test_killed_while_committing(stack, policy, drill):
    server = protected_instance(stack, policy, "killed-commit")
    before = points_of(stack, server["id"])
    job = kill_worker_at(stack, drill, lambda: stack.client().backup_create(server["id"]), "commit")
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("proxy worker SIGKILLed while writing a restore",
                   "restore failed or retried; half-restored volumes swept; restore again succeeds")
def test_killed_during_restore(stack, policy, drill):
    server = protected_instance(stack, policy, "killed-restore")
    point_id = stack.run_backup(server["id"])["restore_point_id"]
    before = points_of(stack, server["id"])
    ended = kill_worker_at(stack, drill, lambda: stack.client().restore(point_id), "write")
    recover(stack, drill, server["id"], ended, before)
    if ended["state"] != "succeeded":
        stack.run_restore(point_id)  # the restore point is whole: a second restore succeeds
