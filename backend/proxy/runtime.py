"""What a proxy task runs with: the service account's cloud, this proxy's identity, progress into the Celery task
state, cancellation through Redis, and the time limit turned into a clear error."""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from celery.exceptions import SoftTimeLimitExceeded

from backend.cloud import Cloud
from backend.pipeline.cancellation import CancelToken
from backend.pipeline.context import JobContext, Timeouts
from backend.pipeline.errors import PipelineError
from backend.pipeline.joblog import JobLog
from backend.pipeline.progress import ProgressReporter
from backend.proxy.identity import ProxyIdentity

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

            from backend.celery_app import app

            _redis = redis.Redis.from_url(app.conf.broker_url, socket_timeout=5, socket_connect_timeout=5)
        return _redis


@contextlib.contextmanager
def job_context(task, request: dict) -> Iterator[JobContext]:
    if not isinstance(request, dict):
        raise PipelineError("the task message must be a JSON object (docs/TASKS.md)")
    job_id = str(request.get("job_id") or task.request.id)

    def report(meta: dict) -> None:
        task.update_state(state="PROGRESS", meta=meta)

    ctx = JobContext(job_id=job_id, cloud=service_cloud(), proxy=ProxyIdentity.from_environment(),
                     log=JobLog(job_id), progress=ProgressReporter(report), cancel=CancelToken(job_id, redis_client()),
                     timeouts=Timeouts.from_environment())
    ctx.log.add("start", f"{task.name} on {task.request.hostname or 'this worker'} "
                         f"(availability zone {ctx.proxy.availability_zone})")
    try:
        yield ctx
    except SoftTimeLimitExceeded as error:
        detail = f" ({error})" if str(error) else ""
        raise JobTimeLimitExceeded(f"Job {job_id} ran into its time limit and was stopped; its temporary resources "
                                   f"were removed{detail}") from None
    except Exception as error:
        if _portable(error):
            raise
        raise JobFailed(f"{type(error).__name__}: {error}") from error
