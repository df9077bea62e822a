# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Redis (broker, results, liveness, cancel keys) restarted with nothing kept, while a job waits in its queue and
while a job runs. The workers and the control plane reconnect; no job is lost for good or run twice."""
from __future__ import annotations

import os
import signal

import pytest
import redis

from tests.faults.matrix import pausing_worker, plain_worker, points_of, protected_instance, recover, wait_step
from tests.functional.e2e.support import wait_until


@pytest.fixture(scope="module")
def policy(stack):
    return stack.policy(name="matrix-redis", strategy="incremental")


def restart_redis(stack) -> None:
    """Redis dies (SIGKILL) and its supervisor starts it again, empty (it keeps nothing on disk, as configured)."""
    old = stack.redis.process.pid
    os.killpg(old, signal.SIGKILL)
    wait_until(lambda: stack.redis.alive() and stack.redis.process.pid != old and stack.redis._ready(), timeout=30,
               what="the supervisor to start Redis again")


@pytest.mark.fault("Redis restarted (emptied) while a backup waits in its proxy's queue",
                   "the lost message is noticed; the job is sent again and succeeds, or fails saying why")
def test_redis_restarted_while_queued(stack, policy, drill):
    server = protected_instance(stack, policy, "redis-queued")
    before = points_of(stack, server["id"])
    stack.supervisor.forget(stack.workers["nova"])
    stack.workers["nova"].stop()  # nobody takes the message: it waits in Redis
    try:
        job = stack.client().backup_create(server["id"])
        broker = redis.Redis.from_url(stack.redis.url)
        wait_until(lambda: broker.llen("proxy.nova") > 0, timeout=30, what="the job's message in proxy.nova")
        drill.restart_clock()
        restart_redis(stack)
    finally:
        plain_worker(stack, "nova")
    job = stack.wait_job(job["id"], timeout=120)
    assert len(points_of(stack, server["id"]) - before) <= 1
    recover(stack, drill, server["id"], job, before)


@pytest.mark.fault("Redis restarted (emptied) while a backup runs",
                   "the worker reconnects and the job completes, or is noticed lost and retried; never run twice")
def test_redis_restarted_while_running(stack, policy, drill):
    server = protected_instance(stack, policy, "redis-running")
    before = points_of(stack, server["id"])
    pausing_worker(stack, "nova", "read=4")
    try:
        job = stack.client().backup_create(server["id"])
        wait_step(stack, job["id"], "read")
        drill.restart_clock()
        restart_redis(stack)
        job = stack.wait_job(job["id"], timeout=120)
    finally:
        plain_worker(stack, "nova")
    assert len(points_of(stack, server["id"]) - before) <= 1, "the job ran twice"
    recover(stack, drill, server["id"], job, before)
