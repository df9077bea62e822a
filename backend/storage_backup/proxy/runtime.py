# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What a task of a proxy or data worker runs with: its request read by the contract, the service account's cloud
(proxy tasks), this worker's identity, progress into the Celery task state, the job log and a liveness key in Redis
(docs/TASKS.md), cancellation through Redis, and every failure turned into a coded ``TaskFailed``.

A task checks at its start that it may run (``claim``): the job was not cancelled, its message is the job's current
attempt (``storage-backup:attempt:<job id>``) and no other process runs the job (the liveness key holds the running
task's id). A stale message — redelivered after its worker died, or sent before a retry — thus never runs a job a
second time nor beside its newer attempt."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator

from celery.exceptions import SoftTimeLimitExceeded

from storage_backup.cloud import Cloud
from storage_backup.contract import (
    ALIVE_SECONDS,
    LOG_TTL_SECONDS,
    NO_ATTEMPT,
    ContractError,
    FailureCode,
    Message,
    Progress,
    TaskFailed,
    TaskFailure,
    alive_key,
    attempt_key,
    cancel_key,
    log_key,
    open_sealed,
    runner_key,
    spec_of,
)
from storage_backup.pipeline import read_limit
from storage_backup.pipeline.cancellation import CancelToken
from storage_backup.pipeline.context import JobContext, Timeouts
from storage_backup.pipeline.errors import JobTimeLimitExceeded
from storage_backup.pipeline.joblog import JobLog
from storage_backup.pipeline.progress import ProgressReporter
from storage_backup.proxy import worker_key
from storage_backup.proxy.failures import failure_of
from storage_backup.proxy.identity import ProxyIdentity, hostname

LOG = logging.getLogger(__name__)
_lock = threading.Lock()
_cloud: Cloud | None = None
_redis = None


def service_cloud() -> Cloud:
    """The backup service account, logged in once per worker process (keystoneauth renews the token)."""
    global _cloud
    with _lock:
        if _cloud is None:
            _cloud = Cloud.from_environment()
        return _cloud


def redis_client():
    global _redis
    with _lock:
        if _redis is None:
            import redis

            from storage_backup.celery_app import app

            _redis = redis.Redis.from_url(app.conf.broker_url, socket_timeout=5, socket_connect_timeout=5,
                                          **reconnecting())
        return _redis


def reconnecting() -> dict:
    """redis-py options that ride out a Redis restart: a call that meets a dropped connection reconnects and tries
    again with backoff (some 15 s in all) instead of failing the job at once."""
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from redis.retry import Retry

    return {"retry": Retry(ExponentialBackoff(cap=4, base=0.25), 6),
            "retry_on_error": [RedisConnectionError, RedisTimeoutError], "health_check_interval": 15}


def publish_log_entry(job_id: str, entry: dict) -> None:
    """Append one job-log entry to the list the control plane reads (``storage-backup:log:<job id>``)."""
    key = log_key(job_id)
    pipe = redis_client().pipeline()
    pipe.rpush(key, json.dumps(entry))
    pipe.expire(key, LOG_TTL_SECONDS)
    pipe.execute()


def record_runner(task_id: str, worker: str) -> None:
    """Say which worker took the task (``storage-backup:runner:<task_id>``): results keep no extended fields."""
    try:
        redis_client().set(runner_key(task_id), worker, ex=LOG_TTL_SECONDS)
    except Exception as error:  # Redis away for a moment: the job then shows no worker name, nothing worse
        LOG.warning("cannot record the worker of task %s: %s", task_id, error)


# The liveness key of a task that ended names it so: kept until it expires (the control plane reads the task's result
# by then), it no longer stands for a running task, so the job's next attempt may claim it at once.
DONE_PREFIX = "done:"


def alive_seconds() -> float:
    return max(1.0, float(os.environ.get("STORAGE_BACKUP_JOB_ALIVE_SECONDS") or ALIVE_SECONDS))


def claim(job_id: str, task_id: str) -> None:
    """May this task run the job? ``TaskFailed`` (``cancelled`` or ``superseded``, nothing done) when not; else the
    job's liveness key names this task from now on."""
    store = redis_client()
    if store.exists(cancel_key(job_id)):
        raise TaskFailed(TaskFailure.of(FailureCode.CANCELLED, f"Job {job_id} was cancelled before it started; "
                                                               "nothing was done"))
    current = store.get(attempt_key(job_id))
    if current is not None and current.decode() != task_id:
        why = "has ended or waits for its next attempt" if current.decode() == NO_ATTEMPT else \
            f"runs as task {current.decode()} now"
        raise TaskFailed(TaskFailure.of(FailureCode.SUPERSEDED, f"Task {task_id} of job {job_id} is stale (the job "
                                                                f"{why}); it was dropped without doing anything"))
    key = alive_key(job_id)
    if not store.set(key, task_id, nx=True, px=int(alive_seconds() * 1000)):
        holder = (store.get(key) or b"").decode()
        if holder and holder != task_id and not holder.startswith(DONE_PREFIX):
            raise TaskFailed(TaskFailure.of(FailureCode.SUPERSEDED, f"Job {job_id} is already running as task "
                                                                    f"{holder}; task {task_id} was dropped"))
        store.set(key, task_id, px=int(alive_seconds() * 1000))  # an ended attempt's key: this task's from now


class Liveness:
    """Keeps ``storage-backup:alive:<job id>`` (value: the running task's id) alive while the task runs (a thread
    refreshes it at a third of its lifetime). It is left to expire, never deleted: a finished task's result is in the
    backend long before. When the worker is killed, the key expires and the control plane knows the job died with
    it."""

    def __init__(self, job_id: str, seconds: float | None = None, task_id: str = "1") -> None:
        self.key = alive_key(job_id)
        self.value = task_id
        self.seconds = max(1.0, seconds or alive_seconds())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"alive-{job_id}", daemon=True)

    def _touch(self) -> None:
        try:
            redis_client().set(self.key, self.value, px=int(self.seconds * 1000))
        except Exception as error:  # Redis away for a moment: the next refresh tries again
            LOG.warning("cannot refresh %s: %s", self.key, error)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            self._touch()

    def __enter__(self) -> Liveness:
        self._touch()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            redis_client().set(self.key, DONE_PREFIX + self.value, px=int(self.seconds * 1000))
        except Exception as error:  # it expires on its own
            LOG.warning("cannot mark %s done: %s", self.key, error)


def run_task(task, message: object, work: Callable[[JobContext, Message], dict | Message], *,
             cloud: bool = True) -> dict:
    """Run one task of docs/TASKS.md: read its request (``TaskFailed`` ``invalid_request`` or
    ``unsupported_version`` when it does not follow the contract), run ``work(ctx, request)`` under the job's log,
    progress, cancel key and liveness key, and return its result as the contract writes it. Any failure leaves as a
    ``TaskFailed`` with its code (``storage_backup.proxy.failures``). ``cloud=False`` for the data tasks, which need
    no OpenStack account."""
    spec = spec_of(task.name)
    job_id = str(message.get("job_id") or task.request.id) if isinstance(message, dict) else str(task.request.id)
    with _failures(job_id):
        record_runner(str(task.request.id), task.request.hostname or "")
        # Secrets arrive sealed to this worker's enrolled key (docs/TASKS.md "Sealed secrets"); opened in memory only.
        opened = open_sealed(message, spec.request, worker_key.load_keys())
        request = spec.request.from_message(opened, f"{spec.name} request")
        task_id = str(task.request.id)
        claim(job_id, task_id)
        ctx = _context(task, job_id, cloud)
        with Liveness(job_id, task_id=task_id):
            identity = ctx.proxy
            where = f"availability zone {identity.availability_zone}" if cloud else "data worker"
            ctx.log.add("start", f"{task.name} on {task.request.hostname or 'this worker'} ({where})")
            result = work(ctx, request)
        if isinstance(result, Message):
            result = result.to_message()
        try:
            return spec.result.from_message(result, f"{spec.name} result").to_message()
        except ContractError as error:
            raise TaskFailed(TaskFailure.of(FailureCode.FAILED, f"The worker's result does not follow docs/TASKS.md "
                                                                f"({error}); this is a bug of the worker")) from None


def _context(task, job_id: str, cloud: bool) -> JobContext:
    def report(meta: dict) -> None:
        task.update_state(state="PROGRESS", meta=Progress.from_message(meta).to_message())

    log = JobLog(job_id, sink=lambda entry: publish_log_entry(job_id, entry))
    identity = ProxyIdentity.from_environment()
    # Only a proxy's tasks read volumes; its cap is shared by all of its processes through Redis.
    limit = read_limit.proxy_bucket(redis_client(), identity.proxy_server_id or hostname()) if cloud else None
    return JobContext(job_id=job_id, cloud=service_cloud() if cloud else None,
                      proxy=identity, log=log, progress=ProgressReporter(report),
                      cancel=CancelToken(job_id, redis_client()), timeouts=Timeouts.from_environment(),
                      proxy_read_limit=limit)


@contextlib.contextmanager
def _failures(job_id: str) -> Iterator[None]:
    try:
        yield
    except TaskFailed:
        raise
    except SoftTimeLimitExceeded as error:
        detail = f" ({error})" if str(error) else ""
        raise TaskFailed(failure_of(JobTimeLimitExceeded(
            f"Job {job_id} ran into its time limit and was stopped; its temporary resources were removed{detail}"))) \
            from None
    except Exception as error:
        raise TaskFailed(failure_of(error)) from error
