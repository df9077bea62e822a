# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Follow submitted jobs through the Celery result backend: progress, results, failures, retries, cancels.

Results and failures are read with the contract (``storage_backup.contract``): a failed task says what kind of
failure it is (``code``) and whether another attempt may succeed (``retryable``); a job is tried again, with
backoff, up to ``STORAGE_BACKUP_JOB_MAX_ATTEMPTS``, only when it is retryable. A result that does not follow the
contract fails the job saying so. What a result means for the catalog is applied here, in the control plane: a
backup's restore point indexed, a rebuild's rows made, a deletion's destination marked for prune.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from storage_backup import contract
from storage_backup.catalog.models import ACTIVE_JOB_STATES, Job, JobState, JobType
from storage_backup.contract import ContractError, FailureCode, Message, TaskFailure
from storage_backup.notifications import events
from storage_backup.services import (
    audit,
    bus,
    catalog_rebuild,
    data_plane,
    lock_maintenance,
    proxies,
    restore_points,
    vanished,
    vault,
)
from storage_backup.services.context import SYSTEM
from storage_backup.services.jobs import log_entry

LOG = logging.getLogger(__name__)


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
        before = job.state
        _apply(job, status)
        job.save()
        # Told once the change is committed (and only then): on the control worker, never on this path.
        events.announce_change(before, job, getattr(job, "failure_code", ""))
        if job.type == JobType.LOCK_MAINTENANCE and job.state not in ACTIVE_JOB_STATES:
            lock_maintenance.record(job)  # its destination's last success or failure: the overview's alert
        if job.state not in ACTIVE_JOB_STATES:
            vault.forget_grant(job)  # a restore from the vault holds its read-only grant no longer than it runs
    return job


def _apply(job: Job, status: bus.TaskStatus) -> None:
    now = timezone.now()
    if status.worker and not job.proxy_hostname:
        job.proxy_hostname = status.worker
    if status.state == "PENDING":
        _pending(job, now)
        return
    if status.state in ("STARTED", "PROGRESS", "RETRY"):
        if job.state != JobState.RUNNING:
            job.state = JobState.RUNNING
            job.started_at = job.started_at or now
            job.log = [*job.log, log_entry("running", f"Started on {status.worker or job.queue}")]
        merge_proxy_log(job)
        if status.state == "PROGRESS" and status.meta:
            try:
                job.progress = contract.Progress.from_message(status.meta, "progress").to_message()
            except ContractError as error:  # a progress report is not worth failing the job over
                LOG.warning("job %s: %s", job.id, error)
        if _lost(job, now):
            _fail_lost(job)
        return
    merge_proxy_log(job)
    if status.state == "SUCCESS":
        _succeed(job, status.meta or {})
        return
    if status.state == "REVOKED":
        _cancelled(job, "Cancelled; temporary resources cleaned up")
        return
    if status.state == "FAILURE":
        _failed(job, status.failure or TaskFailure.from_exception(None), now)


def _pending(job: Job, now: dt.datetime) -> None:
    """The result backend knows nothing of the task: it waits in its queue, a worker reserved it, it runs but Redis
    lost its state (a flush or restart; the worker reports again within seconds), or its message is gone. Which one
    is asked of the broker and of the job's liveness key; a task that is nowhere for ``job_missing_grace`` seconds,
    or reserved and never started for ``job_unacked_after``, is lost (docs/TASKS.md "Lost tasks")."""
    control = settings.CONTROL
    if bus.job_alive(job.id):
        bus.clear_missing(job.celery_task_id)
        return
    where = bus.message_whereabouts(job.queue, job.celery_task_id)
    if where == "" and bus.status(job.celery_task_id).state != "PENDING":
        return  # it started between the two looks: the next refresh reads its state
    if where:
        bus.clear_missing(job.celery_task_id)
    submitted = job.submitted_at or now
    if where == "queued":
        if job.queue != contract.DATA_QUEUE:  # sent, and its proxy went down since: the job says why it waits
            job.waiting_reason = proxies.waiting_reason(job.availability_zone)
        if now - submitted > dt.timedelta(seconds=control["job_lost_after"]):
            _finish(job, JobState.FAILED, f"{_worker_of(job).capitalize()} never picked the job up; check that its "
                                          f"worker consumes {job.queue}, then run the job again.",
                    code="never_picked_up")
            job.log = [*job.log, log_entry("failed", job.error)]
        return
    if where == "reserved":
        if now - submitted > dt.timedelta(seconds=control["job_unacked_after"]):
            _lost_message(job, now, f"{_worker_of(job).capitalize()} took the task but never started it in "
                                    f"{int(control['job_unacked_after'])} s (its worker stopped or hangs)")
        return
    missing_since = bus.missing_since(job.celery_task_id, now)
    if now - missing_since >= dt.timedelta(seconds=control["job_missing_grace"]):
        bus.clear_missing(job.celery_task_id)
        if job.state == JobState.RUNNING:
            _fail_lost(job)  # it ran, and neither its worker nor Redis know of it any more
        else:
            _lost_message(job, now, "The task's message was lost before a worker started it (Redis lost its data: "
                                    "flushed or restarted)")


def _lost_message(job: Job, now: dt.datetime, why: str) -> None:
    """A task that never started is safe to send again: retried as the ``worker_lost`` failure it is, and failed
    with what to check once its attempts are spent. The stale message can no longer run (``bus.end_attempt``)."""
    bus.end_attempt(job.id)
    job.log = [*job.log, log_entry("lost", f"{why}.")]
    failure = TaskFailure.of(FailureCode.WORKER_LOST, f"{why}; check that Redis keeps its data and that "
                                                      f"{_worker_of(job)} runs (queue {job.queue}), then run the job "
                                                      "again.")
    _failed(job, failure, now)


def _cancelled(job: Job, message: str) -> None:
    _finish(job, JobState.CANCELLED, "")
    job.log = [*job.log, log_entry("cancelled", message)]


def _failed(job: Job, failure: TaskFailure, now: dt.datetime) -> None:
    """End (or queue again) a job whose task failed, by the failure's code and ``retryable`` alone."""
    if failure.code == FailureCode.CANCELLED:
        _cancelled(job, failure.message)
        return
    if failure.retryable and job.attempts < settings.CONTROL["job_max_attempts"] and not job.cancel_requested:
        delay = backoff(job.attempts)
        job.log = [*job.log, log_entry("retry", f"Attempt {job.attempts} failed ({failure.code}: {failure.message}); "
                                                f"retrying in {int(delay.total_seconds())} s")]
        job.celery_task_id = ""
        bus.end_attempt(job.id)  # until the next attempt is sent, no message of this job may run
        job.not_before = now + delay
        job.state = JobState.QUEUED
        job.progress = {}
        return
    if job.cancel_requested:
        _finish(job, JobState.CANCELLED, "")
        return
    _finish(job, JobState.FAILED, failure.message or failure.code, code=str(failure.code))
    job.log = [*job.log, log_entry("failed", f"{failure.code}: {failure.message}")]
    if job.type == JobType.VERIFY:
        loud = vanished.verify_failed(job, str(failure.code))
        if loud:
            job.error = loud
            job.log = [*job.log, log_entry("vanished", loud)]
    if job.type == JobType.PRUNE and job.destination_id:
        data_plane.mark_for_prune(job.destination_id)  # the next retention run tries again


#: What a proxy may say in a log entry (``contract.LogEntry``'s fields).
PROXY_LOG_FIELDS = ("at", "step", "message", "level")


def proxy_entry(entry: dict) -> dict:
    """A proxy's log entry as the control plane keeps it: ``contract.LogEntry``'s fields, as text, and nothing else.
    The control plane writes more beside its own entries (who cancelled a job, which notifications name), and a
    proxy, which writes its list in Redis as it likes, must not be able to put words in a user's mouth."""
    return {name: str(entry[name]) for name in PROXY_LOG_FIELDS if entry.get(name) is not None}


def merge_proxy_log(job: Job, entries: list[dict] | None = None) -> None:
    """Add what the proxy logged (its Redis list, or a result's ``log``) that the job's log does not have yet."""
    if entries is None:
        try:
            entries = bus.proxy_log(job.id)
        except Exception as error:  # Redis away: the next refresh catches up
            LOG.warning("cannot read the proxy log of job %s: %s", job.id, error)
            return
    entries = [proxy_entry(entry) for entry in entries if isinstance(entry, dict)]
    seen = {(entry.get("at"), entry.get("step"), entry.get("message")) for entry in job.log}
    new = [entry for entry in entries if (entry.get("at"), entry.get("step"), entry.get("message")) not in seen]
    if new:
        job.log = in_time_order([*job.log, *new])


def in_time_order(entries: list[dict]) -> list[dict]:
    """Log entries sorted by their time, stably: the control plane's and the proxy's entries arrive in two streams
    (the proxy's are merged at each refresh), so appending them puts a proxy's earlier steps after later control
    steps. An entry without a readable time keeps the time of the one before it, so it stays beside it."""
    keyed = []
    last = dt.datetime.min.replace(tzinfo=dt.UTC)
    for index, entry in enumerate(entries):
        moment = parse_log_time(entry.get("at"))
        last = moment or last
        keyed.append((last, index, entry))
    return [entry for _moment, _index, entry in sorted(keyed, key=lambda item: (item[0], item[1]))]


def parse_log_time(value) -> dt.datetime | None:
    """A log entry's ``at`` (ISO 8601, ``Z`` or an offset; naive means UTC) as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _lost(job: Job, now: dt.datetime) -> bool:
    """A running job whose proxy stopped refreshing its liveness key (docs/TASKS.md): the worker died under it."""
    grace = dt.timedelta(seconds=settings.CONTROL["job_alive_grace"])
    if job.state != JobState.RUNNING or job.started_at is None or now - job.started_at < grace:
        return False
    if bus.job_alive(job.id):
        return False
    # The task may have ended a moment ago (its key is left to expire): only its own state tells.
    return bus.status(job.celery_task_id).state in ("STARTED", "PROGRESS", "RETRY")


def _worker_of(job: Job) -> str:
    return "the data worker" if job.queue == contract.DATA_QUEUE else f"the proxy of {job.availability_zone}"


def _fail_lost(job: Job) -> None:
    where = job.proxy_hostname or _worker_of(job)
    message = (f"The worker {where} stopped while running this job (killed, or its host went down); the "
               "sweeper removes the temporary resources it left. Run the job again.")
    _finish(job, JobState.CANCELLED if job.cancel_requested else JobState.FAILED, "" if job.cancel_requested
            else message, code=str(FailureCode.WORKER_LOST))
    job.log = [*job.log, log_entry("lost", message)]


def _finish(job: Job, state: str, error: str, code: str = "") -> None:
    try:
        bus.end_attempt(job.id)  # a stale copy of its message must not run the ended job again
    except Exception as error_:  # Redis away: its data (and so the message) went with it, or the key expires
        LOG.warning("job %s: cannot mark its attempts ended: %s", job.id, error_)
    job.state = state
    job.error = error
    job.failure_code = code or ("failed" if state == JobState.FAILED else "")  # the error event's, not stored
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


def _succeed(job: Job, message: dict) -> None:
    merge_proxy_log(job, [entry for entry in message.get("log") or [] if isinstance(entry, dict)])
    try:
        result = contract.spec_of(job.task_name).result.from_message(message, f"{job.task_name} result")
    except (ContractError, KeyError) as error:
        error_text = str(error).strip("'\"")
        _finish(job, JobState.FAILED, f"The worker's result does not follow docs/TASKS.md: {error_text}",
                code="invalid_result")
        job.log = [*job.log, log_entry("failed", job.error)]
        return
    job.result = {key: value for key, value in result.to_message().items() if key not in ("log", "version")}
    error = RESULTS.get(job.type, _nothing_more)(job, result)
    if job.progress:
        job.progress = {**job.progress, "percent": 100}
    else:
        job.progress = {"percent": 100}
    _finish(job, JobState.FAILED if error else JobState.SUCCEEDED, error, code="result_refused" if error else "")
    if error:
        job.log = [*job.log, log_entry("failed", error)]


# What a succeeded task's result means for the catalog, per job type; an error message fails the job.

def _nothing_more(job: Job, result: Message) -> str:
    return ""


def _backup_done(job: Job, result: contract.BackupResult) -> str:
    if not result.restore_point_id:
        return "The proxy reported success without a restore point ID."
    point = restore_points.record_backup_result(job, result)
    job.restore_point_id = point.id
    job.bytes_read, job.bytes_stored = result.bytes_read, result.bytes_stored
    job.log = [*job.log, log_entry("recorded", f"Restore point {point.id} recorded")]
    return ""


def _delete_done(job: Job, result: contract.DeleteResult) -> str:
    if result.deleted and job.destination_id:
        data_plane.mark_for_prune(job.destination_id)  # their data goes at the destination's next prune
    if not result.not_deleted:
        return ""
    refused = "; ".join(f"{item.restore_point_id}: {item.message}" for item in result.not_deleted)
    return (f"{len(result.not_deleted)} restore point(s) could not be deleted from the repository ({refused}). They "
            "are no longer in the catalog; the repository keeps them, and a catalog rebuild lists them again.")


def _prune_done(job: Job, result: contract.PruneResult) -> str:
    if result.missing_locked:
        return vanished.report(job, result.missing_locked, "retention prune")
    destination = job.destination
    if destination is not None:
        audit.record(SYSTEM, "destination.prune", "destination", destination.id, "success",
                     f"freed {result.bytes_freed} bytes (job {job.id})", project_id=destination.project_id)
    return ""


def _rebuild_done(job: Job, result: contract.RebuildResult) -> str:
    if job.destination is None:
        return "The destination of this rebuild no longer exists in the catalog."
    try:
        report = catalog_rebuild.apply(job.destination, result.restore_points,
                                       dry_run=bool(job.request.get("dry_run")),
                                       remove_missing=job.request.get("remove_missing", True),
                                       listed_since=job.submitted_at)
    except Exception as error:  # the catalog refused a row: the job says so instead of being retried every tick
        LOG.exception("rebuild job %s could not be applied", job.id)
        return f"The catalog could not be rebuilt from the listing: {error}"
    job.result = report.as_dict()
    job.log = [*job.log, log_entry("rebuilt", f"{job.destination.name}: {report.summary()}"
                                              + (" (dry run: nothing changed)" if job.request.get("dry_run") else ""))]
    return ""


def _vanished_check_done(job: Job, result: contract.CheckLockedResult) -> str:
    still = vanished.still_locked(result.missing_locked)
    if still:
        return vanished.report(job, still, "periodic check")
    return ""


def _lock_maintenance_done(job: Job, result: contract.MaintainLocksResult) -> str:
    return lock_maintenance.result_error(job, result)


RESULTS = {JobType.BACKUP: _backup_done, JobType.DELETE: _delete_done, JobType.PRUNE: _prune_done,
           JobType.REBUILD: _rebuild_done, JobType.LOCK_MAINTENANCE: _lock_maintenance_done,
           JobType.VANISHED_CHECK: _vanished_check_done}


def jobs_holding_resources(job_ids: set[str] | None = None) -> set[str]:
    """Which of ``job_ids`` (None: of all jobs) may still hold temporary resources a worker uses: the running ones
    and those with a task sent. A queued job that waits to be sent (first, or its next attempt after a backoff) runs
    nothing, so what its earlier attempt left is the sweeper's; a task sent from now on makes its own resources,
    which a listing made before does not have."""
    jobs = Job.objects.filter(state__in=ACTIVE_JOB_STATES)
    if job_ids is not None:
        jobs = jobs.filter(id__in=job_ids)
    return set(jobs.exclude(state=JobState.QUEUED, celery_task_id="").values_list("id", flat=True))


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
