# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control plane's side of docs/TASKS.md: submit tasks by name, read their state, ask them to stop, wake the
control worker.

The control plane never imports the workers' code: a task is a name, a queue and a JSON message
(``storage_backup.contract``).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from dataclasses import dataclass

import redis
from celery import Celery
from celery.exceptions import TaskRevokedError, TimeLimitExceeded, WorkerLostError
from celery.result import AsyncResult
from django.conf import settings

from storage_backup.contract import (
    ATTEMPT_TTL_SECONDS,
    CANCEL_TTL_SECONDS,
    CONTROL_QUEUE,
    NO_ATTEMPT,
    FailureCode,
    TaskFailure,
    alive_key,
    attempt_key,
    cancel_key,
    log_key,
    proxy_queue,
    runner_key,
)

LOG = logging.getLogger(__name__)

__all__ = ["TaskStatus", "cancel_requested", "celery_app", "end_attempt", "forget", "job_alive", "message_whereabouts",
           "proxy_log", "proxy_queue", "redis_client", "request_cancel", "send", "set_attempt", "status",
           "wake_dispatcher"]
DISPATCH_TASK = "control.dispatch"


@functools.cache
def celery_app() -> Celery:
    """A Celery client bound to the broker and result backend in the settings (sends and reads only)."""
    app = Celery("storage-backup-control-client", broker=settings.BROKER_URL, backend=settings.RESULT_URL)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                    result_extended=False, broker_connection_retry_on_startup=True,
                    broker_transport_options={"visibility_timeout": 43200},
                    # Redis restarting under the control plane: reads and sends wait for it instead of failing.
                    result_backend_always_retry=True, result_backend_max_retries=10,
                    redis_retry_on_timeout=True, redis_socket_keepalive=True)
    return app


def send(task_name: str, payload: dict | None, queue: str, task_id: str, expires: float | None = None,
         priority: int | None = None) -> str:
    args = [payload] if payload is not None else []
    result = celery_app().send_task(task_name, args=args, queue=queue, task_id=task_id, expires=expires,
                                    priority=priority)
    return result.id


def wake_dispatcher() -> None:
    """Ask the control worker to send what can go now (``control.dispatch``): the API records jobs, it never sends
    them itself. A wake-up not taken within a tick expires: the tick has dispatched since."""
    celery_app().send_task(DISPATCH_TASK, queue=CONTROL_QUEUE, expires=settings.CONTROL["tick_seconds"])


@dataclass
class TaskStatus:
    state: str  # PENDING, STARTED, PROGRESS, SUCCESS, FAILURE, RETRY, REVOKED
    meta: dict | None  # PROGRESS meta or the SUCCESS result
    failure: TaskFailure | None = None  # FAILURE: what the worker said (docs/TASKS.md "Failures")
    worker: str = ""


def failure_of(error: BaseException | None) -> TaskFailure:
    """The failure a task ended with: the worker's own document, or what Celery says when the worker could not say
    anything (its process died, the task was revoked or hit its hard time limit)."""
    if isinstance(error, WorkerLostError):
        return TaskFailure.of(FailureCode.WORKER_LOST, f"The worker process died under the task ({error})")
    if isinstance(error, TaskRevokedError):
        return TaskFailure.of(FailureCode.CANCELLED, f"The task was revoked ({error})")
    if isinstance(error, TimeLimitExceeded):
        return TaskFailure.of(FailureCode.TIME_LIMIT, f"The task ran into its hard time limit and was killed ({error})")
    return TaskFailure.from_exception(error)


def status(task_id: str) -> TaskStatus:
    result = AsyncResult(task_id, app=celery_app())
    # The state and its report in one read: ``result.state`` then ``result.info`` are two reads of the backend, and a
    # task that ends between them had its result taken for a PROGRESS report.
    meta = result.backend.get_task_meta(task_id)
    state = meta["status"]
    if state == "FAILURE":  # final: ``result.result`` rebuilds the exception from the same stored meta
        return TaskStatus(state, None, failure_of(result.result), _worker(task_id, state))
    info = meta.get("result") if isinstance(meta.get("result"), dict) else None
    return TaskStatus(state, info, worker=_worker(task_id, state))


def _worker(task_id: str, state: str) -> str:
    """Who took the task (docs/TASKS.md ``storage-backup:runner:<task_id>``); results keep no extended fields,
    which would keep the task's arguments."""
    if state == "PENDING":
        return ""
    try:
        value = redis_client().get(runner_key(task_id))
    except Exception:  # Redis away: the name comes at the next look
        return ""
    return value.decode("utf-8", "replace") if value else ""


def forget(task_id: str) -> None:
    AsyncResult(task_id, app=celery_app()).forget()


@functools.cache
def redis_client() -> redis.Redis:
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    # A Redis restart costs a reconnect and a retry, not an error in the control worker's tick.
    return redis.Redis.from_url(settings.BROKER_URL, socket_timeout=10, socket_connect_timeout=5,
                                retry=Retry(ExponentialBackoff(cap=2, base=0.2), 4),
                                retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
                                health_check_interval=15)


def set_attempt(job_id: str, task_id: str) -> None:
    """The task a worker may run for the job from now on (docs/TASKS.md "Which attempt runs")."""
    redis_client().set(attempt_key(job_id), task_id, ex=ATTEMPT_TTL_SECONDS)


def end_attempt(job_id: str) -> None:
    """No task may run the job any more (it ended, or waits for its next attempt): a stale message is dropped."""
    set_attempt(job_id, NO_ATTEMPT)


def message_whereabouts(queue: str, task_id: str) -> str:
    """Where the broker holds the task's message: ``queued`` (waiting in ``queue``), ``reserved`` (a worker took it
    and has not acknowledged it: it has not started), or ``""`` (the broker has it no more: started, or lost with
    Redis's data). Reads kombu's Redis layout: a list per queue (and per priority step) and the ``unacked`` hash."""
    store = redis_client()
    lists = [queue, *(key.decode() for key in store.scan_iter(match=f"{queue}\x06\x16*", count=100))]
    for name in lists:
        for raw in store.lrange(name, 0, -1):
            if _message_id(raw) == task_id:
                return "queued"
    for raw in store.hvals("unacked"):
        try:
            message = json.loads(raw)[0]
        except (ValueError, IndexError, TypeError):
            continue
        if isinstance(message, dict) and (message.get("headers") or {}).get("id") == task_id:
            return "reserved"
    return ""


MISSING_KEY = "storage-backup:missing:{task_id}"


def missing_since(task_id: str, now: dt.datetime) -> dt.datetime:
    """When the control plane first found the task nowhere (kept in Redis: a Redis that lost its data starts the
    count again, which only delays the verdict by one grace). Per task, so a job's next attempt starts afresh."""
    key = MISSING_KEY.format(task_id=task_id)
    redis_client().set(key, now.isoformat(), nx=True, ex=7 * 86400)
    raw = redis_client().get(key)
    try:
        return dt.datetime.fromisoformat(raw.decode()) if raw else now
    except ValueError:
        return now


def clear_missing(task_id: str) -> None:
    redis_client().delete(MISSING_KEY.format(task_id=task_id))


def _message_id(raw: bytes) -> str:
    try:
        message = json.loads(raw)
    except ValueError:
        return ""
    return (message.get("headers") or {}).get("id", "") if isinstance(message, dict) else ""


def request_cancel(job_id: str) -> None:
    redis_client().set(cancel_key(job_id), "1", ex=CANCEL_TTL_SECONDS)


def cancel_requested(job_id: str) -> bool:
    return bool(redis_client().exists(cancel_key(job_id)))


def proxy_log(job_id: str) -> list[dict]:
    """The entries the proxy logged for the job so far (docs/TASKS.md ``storage-backup:log:<job id>``)."""
    entries = []
    for raw in redis_client().lrange(log_key(job_id), 0, -1):
        try:
            entry = json.loads(raw)
        except ValueError:
            LOG.warning("job %s: unreadable log entry %r", job_id, raw[:100])
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def job_alive(job_id: str) -> bool:
    """Whether a proxy worker still runs the job (its liveness key has not expired)."""
    return bool(redis_client().exists(alive_key(job_id)))
