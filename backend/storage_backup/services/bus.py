# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control plane's side of docs/TASKS.md: submit tasks by name, read their state, ask them to stop, wake the
control worker.

The control plane never imports the workers' code: a task is a name, a queue and a JSON message
(``storage_backup.contract``).
"""
from __future__ import annotations

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
    CANCEL_TTL_SECONDS,
    CONTROL_QUEUE,
    FailureCode,
    TaskFailure,
    alive_key,
    cancel_key,
    log_key,
    proxy_queue,
    runner_key,
)

LOG = logging.getLogger(__name__)

__all__ = ["TaskStatus", "cancel_requested", "celery_app", "forget", "job_alive", "proxy_log", "proxy_queue",
           "redis_client", "request_cancel", "send", "status", "wake_dispatcher"]
DISPATCH_TASK = "control.dispatch"


@functools.cache
def celery_app() -> Celery:
    """A Celery client bound to the broker and result backend in the settings (sends and reads only)."""
    app = Celery("storage-backup-control-client", broker=settings.BROKER_URL, backend=settings.RESULT_URL)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                    result_extended=False, broker_connection_retry_on_startup=True,
                    broker_transport_options={"visibility_timeout": 43200})
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
    state = result.state
    if state == "FAILURE":
        return TaskStatus(state, None, failure_of(result.result), _worker(task_id, state))
    info = result.info if isinstance(result.info, dict) else None
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
    return redis.Redis.from_url(settings.BROKER_URL, socket_timeout=10)


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
