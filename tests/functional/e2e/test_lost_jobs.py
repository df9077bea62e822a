# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Lost tasks and supervision, through the REST API on the whole product (issue 10, items 3 and 10).

A task whose message Redis lost (flushed, or restarted: the stack's Redis keeps nothing on disk) while its job was
queued is found lost within seconds and sent again; a queued job is cancelled at once, and its stale message, once a
worker takes it, does nothing; a proxy worker whose main process is SIGKILLed is restarted by the launcher's
``Supervisor`` (which kills the orphaned pool, as systemd does), its job is found lost and failed with a reason, the
sweeper removes what it left, and the instance is backed up again; Redis killed while idle and while a job is
queued is restarted, every process reconnects, and the job completes having run once.

Every bound is second-scale here (``STACK_SETTINGS``; their defaults are minutes, ``settings.py``).
"""
from __future__ import annotations

import os
import signal
import time

import pytest
import redis
from storage_backup_sandbox.launch import Supervisor

from tests.functional.e2e.support import wait_until

# Supervised as under systemd and in the demo: an idle worker that loses Redis exits and is restarted clean.
SUPERVISED = {"STORAGE_BACKUP_EXIT_ON_BROKER_LOSS": "1"}
STACK_SETTINGS = {
    "STORAGE_BACKUP_SWEEPER_SECONDS": "2",
    "STORAGE_BACKUP_JOB_MISSING_GRACE": "4",
    "STORAGE_BACKUP_JOB_UNACKED_AFTER": "20",
    **SUPERVISED,
}
WORKER_SETTINGS = SUPERVISED
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def web(stack):
    policy = stack.policy(name="lost-jobs", strategy="full")
    web = stack.server_named("web-1")
    stack.client().protect(web.id, policy["id"])
    return web


@pytest.fixture
def supervisor(stack):
    """The launcher's supervisor over every process of the stack but the cloud (as the demo's, and systemd in
    production), stopped before the stack stops them. A Celery consumer that holds unacknowledged messages when Redis
    goes away can die of it (kombu restoring them over the dead connection): it is restarted like any other."""
    supervisor = Supervisor([stack.redis, *stack.workers.values(), stack.data_worker, *stack.control_processes],
                            base_delay=0.5, max_delay=4, stable_after=5)
    supervisor.start(interval=0.2)
    yield supervisor
    supervisor.stop()


def _store(stack) -> redis.Redis:
    return redis.Redis.from_url(stack.redis.url)


def _sent_and_waiting(stack, instance_id: str) -> dict:
    """A backup of ``instance_id`` sent to the nova proxy's queue while no worker consumes it (the worker stopped
    less than the proxy's down-after ago, so the control plane still sends to it)."""
    stack.workers["nova"].stop()
    job = stack.client().backup_create(instance_id)
    return wait_until(lambda: (j := stack.client().job_get(job["id"]))["attempts"] == 1 and j["state"] == "queued"
                      and j, timeout=30, what=f"job {job['id']} to be sent")


def _restart_nova(stack) -> None:
    stack.start_worker("nova")
    stack.wait_for_proxies()


def _steps(job: dict, step: str) -> list[dict]:
    return [entry for entry in job["log"] if entry["step"] == step]


def test_a_queued_job_whose_message_redis_lost_is_sent_again(stack, web):
    job = _sent_and_waiting(stack, web.id)
    _store(stack).flushall()  # the message goes with Redis's data
    _restart_nova(stack)
    started = time.monotonic()
    job = stack.wait_job(job["id"], timeout=90)
    assert job["state"] == "succeeded", job
    assert job["attempts"] == 2, job
    lost = _steps(job, "lost")
    assert lost and "message was lost before a worker started it" in lost[0]["message"], job["log"]
    assert len(_steps(job, "start")) == 1  # the lost attempt never ran
    assert time.monotonic() - started < 60
    assert stack.leftovers() == {}


def test_cancelling_a_queued_job_cancels_it_at_once_and_its_message_does_nothing(stack, web):
    points = stack.client().restore_point_list(instance_id=web.id)
    job = _sent_and_waiting(stack, web.id)
    cancelled = stack.client().job_cancel(job["id"])
    assert cancelled["state"] == "cancelled", cancelled
    next_job = stack.client().backup_create(web.id)  # the instance is free at once
    assert next_job["state"] == "queued"
    # The cancelled job's message is still in the queue: the worker that takes it drops it without doing anything.
    _restart_nova(stack)
    done = stack.wait_job(next_job["id"], timeout=90)
    assert done["state"] == "succeeded", done
    wait_until(lambda: f"Job {job['id']} was cancelled before it started" in stack.worker_log("nova", 400),
               timeout=30, what="the stale message to be dropped")
    assert stack.client().job_get(job["id"])["state"] == "cancelled"
    assert len(stack.client().restore_point_list(instance_id=web.id)) == len(points) + 1
    assert stack.leftovers() == {}


def test_a_killed_proxy_main_process_is_restarted_and_its_job_found_lost(stack, web, supervisor):
    worker = stack.workers["nova"]
    stack.arm_fault("volume.attach", "hang")  # the job stays mid-way, with temporary resources
    job = stack.client().backup_create(web.id)
    wait_until(lambda: stack.client().job_get(job["id"])["progress"].get("step") == "attach", timeout=60,
               what="the job to attach")
    wait_until(lambda: stack.leftovers().get("volumes"), what="the temporary volumes")
    os.kill(worker.process.pid, signal.SIGKILL)  # the main process only, as an OOM killer or an operator would
    wait_until(lambda: supervisor.restart_count(worker) >= 1, timeout=60, what="the supervisor to restart it")
    failed = stack.wait_job(job["id"], timeout=60)
    assert failed["state"] == "failed" and "stopped while running this job" in failed["error"], failed
    wait_until(lambda: stack.leftovers() == {}, timeout=90, interval=1, what="the sweeper to remove its leftovers")
    stack.wait_for_proxies()
    stack.run_backup(web.id, timeout=120)  # the instance is not blocked and the restarted worker works
    assert stack.leftovers() == {}


def test_redis_restarted_idle_and_with_a_job_queued(stack, web, supervisor):
    redis_process = stack.redis
    os.kill(redis_process.process.pid, signal.SIGKILL)  # idle: nothing queued
    wait_until(lambda: supervisor.restart_count(redis_process) >= 1, timeout=30, what="Redis to be restarted")
    stack.wait_for_proxies()
    stack.run_backup(web.id, timeout=120)  # the control plane and the workers reconnected

    supervisor.forget(stack.workers["nova"])  # stopped on purpose below
    job = _sent_and_waiting(stack, web.id)
    os.kill(redis_process.process.pid, signal.SIGKILL)
    wait_until(lambda: supervisor.restart_count(redis_process) >= 2, timeout=30, what="Redis to be restarted again")
    _restart_nova(stack)
    supervisor.watch(stack.workers["nova"])
    job = stack.wait_job(job["id"], timeout=120)
    assert job["state"] == "succeeded", job
    assert job["attempts"] == 2 and len(_steps(job, "start")) == 1, job["log"]  # sent again, run once
    assert stack.leftovers() == {}
