# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Follow submitted jobs through the Celery result backend: progress, results, failures, retries, cancels."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from storage_backup.catalog.models import ACTIVE_JOB_STATES, Job, JobState, JobType
from storage_backup.services import bus, restore_points
from storage_backup.services.jobs import log_entry

LOG = logging.getLogger(__name__)

# How a failed proxy task ends, by the class name of its exception (docs/TASKS.md). Worth another attempt: the
# cloud or the network hiccuped (``ServiceUnavailable`` is the cloud layer's 5xx), the repository was busy with a
# prune, or the worker was lost — never a request that is wrong (``InvalidJobRequest``, ``WrongProxy``), a
# resource that failed or got stuck (``ResourceFailed``, ``ResourceTimeout``, ``DeviceNotFound``), a quota
# (``OverQuota``), a guest command (``GuestCommandFailed``), a time limit or damaged data: those fail the job with
# the proxy's message, which names the resource and the state it was stuck in.
TRANSIENT_ERRORS = frozenset({
    "ServiceUnavailable", "RepositoryLocked", "ConnectFailure", "ConnectTimeout", "RetriableConnectionFailure",
    "ConnectionError", "ConnectionResetError", "WorkerLostError",
})
CANCELLED_ERRORS = frozenset({"JobCancelled", "TaskRevokedError"})
PROGRESS_FIELDS = ("percent", "bytes_read", "bytes_stored", "bytes_total", "rate", "eta", "step")


def backoff(attempt: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.CONTROL["retry_backoff"] * (2 ** max(attempt - 1, 0)))


def refresh(job: Job) -> Job:
    """Bring one job up to date with its task's state; a no-op for jobs not submitted or already ended."""
    if job.state not in ACTIVE_JOB_STATES or not job.celery_task_id:
        return job
    status = bus.status(job.celery_task_id)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state not in ACTIVE_JOB_STATES or not job.celery_task_id:
            return job
        _apply(job, status)
        job.save()
    return job


def _apply(job: Job, status: bus.TaskStatus) -> None:
    now = timezone.now()
    if status.worker and not job.proxy_hostname:
        job.proxy_hostname = status.worker
    if status.state == "PENDING":
        lost_after = dt.timedelta(seconds=settings.CONTROL["job_lost_after"])
        if job.submitted_at and now - job.submitted_at > lost_after:
            _finish(job, JobState.FAILED, f"The proxy of {job.availability_zone} never picked the job up; check that "
                                          f"its worker consumes {job.queue}, then run the job again.")
        elif job.cancel_requested and job.state == JobState.QUEUED:
            pass  # the proxy sees the cancel key as soon as it starts the task
        return
    if status.state in ("STARTED", "PROGRESS", "RETRY"):
        if job.state != JobState.RUNNING:
            job.state = JobState.RUNNING
            job.started_at = job.started_at or now
            job.log = [*job.log, log_entry("running", f"Started on {status.worker or job.queue}")]
        merge_proxy_log(job)
        if status.state == "PROGRESS" and status.meta:
            job.progress = {key: status.meta.get(key) for key in PROGRESS_FIELDS if key in status.meta}
        if _lost(job, now):
            _fail_lost(job)
        return
    merge_proxy_log(job)
    if status.state == "SUCCESS":
        _succeed(job, status.meta or {})
        return
    if status.state == "REVOKED" or status.error_type in CANCELLED_ERRORS:
        _finish(job, JobState.CANCELLED, "")
        job.log = [*job.log, log_entry("cancelled", status.error or "Cancelled; temporary resources cleaned up")]
        return
    if status.state == "FAILURE":
        if status.error_type in TRANSIENT_ERRORS and job.attempts < settings.CONTROL["job_max_attempts"] \
                and not job.cancel_requested:
            delay = backoff(job.attempts)
            job.log = [*job.log, log_entry("retry", f"Attempt {job.attempts} failed ({status.error_type}: "
                                                    f"{status.error}); retrying in {int(delay.total_seconds())} s")]
            job.celery_task_id = ""
            job.not_before = now + delay
            job.state = JobState.QUEUED
            job.progress = {}
            return
        if job.cancel_requested:
            _finish(job, JobState.CANCELLED, "")
            return
        _finish(job, JobState.FAILED, status.error or status.error_type)
        job.log = [*job.log, log_entry("failed", f"{status.error_type}: {status.error}")]


def merge_proxy_log(job: Job, entries: list[dict] | None = None) -> None:
    """Add what the proxy logged (its Redis list, or a result's ``log``) that the job's log does not have yet."""
    if entries is None:
        try:
            entries = bus.proxy_log(job.id)
        except Exception as error:  # Redis away: the next refresh catches up
            LOG.warning("cannot read the proxy log of job %s: %s", job.id, error)
            return
    seen = {(entry.get("at"), entry.get("step"), entry.get("message")) for entry in job.log}
    new = [entry for entry in entries if (entry.get("at"), entry.get("step"), entry.get("message")) not in seen]
    if new:
        job.log = [*job.log, *new]


def _lost(job: Job, now: dt.datetime) -> bool:
    """A running job whose proxy stopped refreshing its liveness key (docs/TASKS.md): the worker died under it."""
    grace = dt.timedelta(seconds=settings.CONTROL["job_alive_grace"])
    if job.state != JobState.RUNNING or job.started_at is None or now - job.started_at < grace:
        return False
    if bus.job_alive(job.id):
        return False
    # The task may have ended a moment ago (its key is left to expire): only its own state tells.
    return bus.status(job.celery_task_id).state in ("STARTED", "PROGRESS", "RETRY")


def _fail_lost(job: Job) -> None:
    where = job.proxy_hostname or f"the proxy of {job.availability_zone}"
    message = (f"The proxy worker {where} stopped while running this job (killed, or its host went down); the "
               "sweeper removes the temporary resources it left. Run the job again.")
    _finish(job, JobState.CANCELLED if job.cancel_requested else JobState.FAILED, "" if job.cancel_requested
            else message)
    job.log = [*job.log, log_entry("lost", message)]


def _finish(job: Job, state: str, error: str) -> None:
    job.state = state
    job.error = error
    job.finished_at = timezone.now()
    job.waiting_reason = ""
    if job.started_at is None:
        # A short job can start and end between two refreshes: the proxy's own "start" entry says when it began,
        # so the job still shows how long it ran.
        job.started_at = _proxy_start(job)


def _proxy_start(job: Job) -> dt.datetime | None:
    for entry in job.log:
        if entry.get("step") == "start" and entry.get("at"):
            try:
                return dt.datetime.fromisoformat(entry["at"])  # Python 3.11 reads the "Z" of the proxies
            except ValueError:
                return None
    return None


def _succeed(job: Job, result: dict) -> None:
    job.result = {key: value for key, value in result.items() if key != "log"}
    merge_proxy_log(job, result.get("log") or [])
    if job.type == JobType.BACKUP:
        if not result.get("restore_point_id"):
            _finish(job, JobState.FAILED, "The proxy reported success without a restore point ID.")
            return
        point = restore_points.record_backup_result(job, result)
        job.restore_point_id = point.id
        job.log = [*job.log, log_entry("recorded", f"Restore point {point.id} recorded")]
    if job.progress:
        job.progress = {**job.progress, "percent": 100}
    else:
        job.progress = {"percent": 100}
    _finish(job, JobState.SUCCEEDED, "")


def sync_active() -> int:
    """Refresh every submitted job that has not ended; returns how many changed state."""
    changed = 0
    for job in Job.objects.filter(state__in=ACTIVE_JOB_STATES).exclude(celery_task_id=""):
        before = job.state
        try:
            after = refresh(job).state
        except Exception:
            LOG.exception("could not refresh job %s", job.id)
            continue
        changed += before != after
    return changed
