# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What a proxy task runs with: the service account's cloud, this proxy's identity, progress into the Celery task
state, the job log and a liveness key in Redis (docs/TASKS.md), cancellation through Redis, and the time limit
turned into a clear error."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator

from celery.exceptions import SoftTimeLimitExceeded

from storage_backup.cloud import Cloud
from storage_backup.contract import ALIVE_SECONDS, LOG_TTL_SECONDS, alive_key, log_key
from storage_backup.pipeline.cancellation import CancelToken
from storage_backup.pipeline.context import JobContext, Timeouts
from storage_backup.pipeline.errors import PipelineError
from storage_backup.pipeline.joblog import JobLog
from storage_backup.pipeline.progress import ProgressReporter
from storage_backup.proxy.identity import ProxyIdentity

LOG = logging.getLogger(__name__)
_lock = threading.Lock()
_cloud: Cloud | None = None
_redis = None


class JobTimeLimitExceeded(PipelineError):
    """The task ran into its soft time limit; its temporary resources were removed."""


class JobFailed(PipelineError):
    """A failure whose own exception class cannot travel through the result backend (see ``_portable``)."""


def _portable(error: Exception) -> bool:
    """Whether the control plane can rebuild ``error`` from its class and message, as Celery does
    (``cls(*args)``); otherwise it would only see a bare ``Exception``."""
    try:
        rebuilt = type(error)(*error.args)
    except Exception:
        return False
    return str(rebuilt) == str(error)


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

            _redis = redis.Redis.from_url(app.conf.broker_url, socket_timeout=5, socket_connect_timeout=5)
        return _redis


def publish_log_entry(job_id: str, entry: dict) -> None:
    """Append one job-log entry to the list the control plane reads (``storage-backup:log:<job id>``)."""
    key = log_key(job_id)
    pipe = redis_client().pipeline()
    pipe.rpush(key, json.dumps(entry))
    pipe.expire(key, LOG_TTL_SECONDS)
    pipe.execute()


class Liveness:
    """Keeps ``storage-backup:alive:<job id>`` alive while the task runs (a thread refreshes it at a third of its
    lifetime). It is left to expire, never deleted: a finished task's result is in the backend long before. When the
    worker is killed, the key expires and the control plane knows the job died with it."""

    def __init__(self, job_id: str, seconds: float | None = None) -> None:
        self.key = alive_key(job_id)
        self.seconds = max(1.0, seconds or float(os.environ.get("STORAGE_BACKUP_JOB_ALIVE_SECONDS") or ALIVE_SECONDS))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"alive-{job_id}", daemon=True)

    def _touch(self) -> None:
        try:
            redis_client().set(self.key, "1", px=int(self.seconds * 1000))
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


@contextlib.contextmanager
def job_context(task, request: dict) -> Iterator[JobContext]:
    if not isinstance(request, dict):
        raise PipelineError("the task message must be a JSON object (docs/TASKS.md)")
    job_id = str(request.get("job_id") or task.request.id)

    def report(meta: dict) -> None:
        task.update_state(state="PROGRESS", meta=meta)

    log = JobLog(job_id, sink=lambda entry: publish_log_entry(job_id, entry))
    ctx = JobContext(job_id=job_id, cloud=service_cloud(), proxy=ProxyIdentity.from_environment(),
                     log=log, progress=ProgressReporter(report), cancel=CancelToken(job_id, redis_client()),
                     timeouts=Timeouts.from_environment())
    with Liveness(job_id):
        ctx.log.add("start", f"{task.name} on {task.request.hostname or 'this worker'} "
                             f"(availability zone {ctx.proxy.availability_zone})")
        with _errors_of(job_id):
            yield ctx


@contextlib.contextmanager
def _errors_of(job_id: str) -> Iterator[None]:
    try:
        yield
    except SoftTimeLimitExceeded as error:
        detail = f" ({error})" if str(error) else ""
        raise JobTimeLimitExceeded(f"Job {job_id} ran into its time limit and was stopped; its temporary resources "
                                   f"were removed{detail}") from None
    except Exception as error:
        if _portable(error):
            raise
        raise JobFailed(f"{type(error).__name__}: {error}") from error
