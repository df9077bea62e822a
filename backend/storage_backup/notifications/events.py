# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A job's events, built in one place: ``<job type>.start``, ``<job type>.end``, ``<job type>.error`` (as cinder's
``backup.create.start`` / ``.end`` / ``.error``), ``<job type>.cancel`` (someone cancelled it), and their payload.

The payload holds what a consumer needs to act (job, project, instance, volumes, restore point, bytes, duration,
error code and message) and nothing of the job's request: no repository secret, key or command ever leaves here,
and no destination's location (the error message is redacted as the API redacts it for tenants).
"""
from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from storage_backup.catalog.models import Job, JobState
from storage_backup.contract import CONTROL_QUEUE
from storage_backup.services import bus, locations

LOG = logging.getLogger(__name__)

NOTIFY_TASK = "control.notify"
#: The payload's own version: a consumer checks it before reading the fields.
PAYLOAD_VERSION = 1


class Phase(enum.StrEnum):
    START = "start"
    END = "end"
    ERROR = "error"
    CANCEL = "cancel"  # it ended because someone cancelled it: neither a success nor a failure


@dataclass(frozen=True)
class JobEvent:
    """One event of one job, as every channel sends it."""

    event_type: str  # backup.start, restore.error …
    phase: str
    project_id: str
    policy_id: str
    payload: dict
    at: str  # ISO 8601, UTC

    def to_message(self) -> dict:
        return asdict(self)

    @classmethod
    def from_message(cls, message: dict) -> JobEvent:
        return cls(**{name: message[name] for name in cls.__dataclass_fields__})


#: Job types whose events go to a project's webhooks and a policy's mail: the tenant's own work.
TENANT_JOB_TYPES = ("backup", "restore", "restore_volume", "verify")


def event_name(job_type: str) -> str:
    """``restore_volume`` jobs are restores too: a consumer of ``restore.*`` sees both (``job_type`` tells apart)."""
    return "restore" if job_type == "restore_volume" else job_type


#: The event types a tenant's webhook can hear (backup.start … verify.cancel), from the job types above.
TENANT_EVENT_NAMES = tuple(dict.fromkeys(event_name(job_type) for job_type in TENANT_JOB_TYPES))
TENANT_EVENT_TYPES = tuple(f"{name}.{phase.value}" for name in TENANT_EVENT_NAMES for phase in Phase)
#: What a webhook's ``events`` filter may hold: an event type, every phase of one kind of job (``backup.*``) or
#: one phase of every kind (``*.error``, ``*.cancel``).
EVENT_FILTERS = (*TENANT_EVENT_TYPES, *(f"{name}.*" for name in TENANT_EVENT_NAMES),
                 *(f"*.{phase.value}" for phase in Phase))


class EventFilterInvalid(ValueError):
    pass


def check_event_filter(value: object) -> list[str]:
    """A webhook's ``events``, cleaned (order kept, repeats dropped); an empty list means every event."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise EventFilterInvalid(f"must be a list of event types: {', '.join(EVENT_FILTERS)} "
                                 "(an empty list: every event)")
    unknown = [str(item) for item in value if item not in EVENT_FILTERS]
    if unknown:
        raise EventFilterInvalid(f"{', '.join(repr(item[:64]) for item in unknown[:5])} "
                                 f"{'is not an event type' if len(unknown) == 1 else 'are not event types'}; "
                                 f"allowed: {', '.join(EVENT_FILTERS)} (an empty list: every event)")
    return list(dict.fromkeys(value))


def filter_matches(event_filter: list[str] | None, event_type: str) -> bool:
    """Whether a webhook whose ``events`` is ``event_filter`` wants this event (no filter: every event)."""
    if not event_filter:
        return True
    name, _, phase = event_type.partition(".")
    for wanted in event_filter:
        wanted_name, _, wanted_phase = wanted.partition(".")
        if wanted_name in ("*", name) and wanted_phase in ("*", phase):
            return True
    return False


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def volume_ids(job: Job) -> list[str]:
    """The volumes the job worked on: those the backup read, or those a restore made, or the request's."""
    result = job.result or {}
    found: list[str] = []
    for volume in result.get("volumes") or []:
        if isinstance(volume, dict) and volume.get("volume_id"):
            found.append(str(volume["volume_id"]))
    if isinstance(result.get("volume_ids"), dict):
        found.extend(str(value) for value in result["volume_ids"].values())
    if result.get("volume_id"):
        found.append(str(result["volume_id"]))
    request_volume = (job.request or {}).get("volume_id")
    if not found and request_volume:
        found.append(str(request_volume))
    return list(dict.fromkeys(found))


def canceller(job: Job) -> tuple[str | None, str | None]:
    """Who cancelled the job (user ID, user name), as ``services.jobs.cancel`` recorded it in the job's log, or
    ``(None, None)``. The last such entry: a running job may be asked to stop more than once."""
    for entry in reversed(job.log or []):
        if isinstance(entry, dict) and entry.get("step") in ("cancel", "cancelled") and entry.get("user_id"):
            return str(entry["user_id"]), (str(entry["user_name"]) if entry.get("user_name") else None)
    return None, None


def payload(job: Job, phase: Phase, error_code: str = "") -> dict:
    result = job.result or {}
    duration = None
    if job.started_at and job.finished_at:
        duration = round((job.finished_at - job.started_at).total_seconds(), 3)
    body = {
        "version": PAYLOAD_VERSION,
        "job_id": job.id,
        "job_type": job.type,
        "state": job.state,
        "project_id": job.project_id,
        "tenant_id": job.project_id,  # the name older OpenStack consumers (ceilometer) read
        "instance_id": job.instance_id or None,
        "instance_name": job.instance_name or None,
        "volume_ids": volume_ids(job),
        "restore_point_id": job.restore_point_id or result.get("restore_point_id") or None,
        "policy_id": job.policy_id,
        "availability_zone": job.availability_zone or None,
        "strategy": job.strategy or None,
        "scheduled": job.scheduled,
        "attempts": job.attempts,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "duration_seconds": duration,
        "bytes_total": result.get("bytes_total"),
        "bytes_read": result.get("bytes_read"),
        "bytes_stored": result.get("bytes_stored"),
        "bytes_written": result.get("bytes_written"),
        "error_code": None,
        "error_message": None,
        "cancelled_by_user_id": None,
        "cancelled_by_user_name": None,
    }
    if phase == Phase.ERROR:
        body["error_code"] = error_code or "failed"
        # Tenants read it (webhooks, mail): a destination's location in a worker's words is named, not shown, as
        # the API shows the job's error to them (storage_backup.services.locations).
        body["error_message"] = locations.Redactor().text(job.error) or None
    elif phase == Phase.CANCEL:
        body["cancelled_by_user_id"], body["cancelled_by_user_name"] = canceller(job)
    return body


def build(job: Job, phase: Phase, error_code: str = "") -> JobEvent:
    return JobEvent(event_type=f"{event_name(job.type)}.{phase.value}", phase=phase.value, project_id=job.project_id,
                    policy_id=job.policy_id or "", payload=payload(job, phase, error_code),
                    at=timezone.now().isoformat())


def phases_of_change(before: str, job: Job) -> list[Phase]:
    """What a change of state from ``before`` to the job's state tells: it started, it ended (succeeded, failed or
    was cancelled), or both at once (a short job can start and end between two looks; it had a start if it ran at
    all). A job cancelled before it ran tells only its cancel."""
    after = job.state
    if before == after:
        return []
    phases: list[Phase] = []
    ended = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
    if after == JobState.RUNNING or (before == JobState.QUEUED and after in ended and job.started_at is not None):
        phases.append(Phase.START)
    if after == JobState.SUCCEEDED:
        phases.append(Phase.END)
    elif after == JobState.FAILED:
        phases.append(Phase.ERROR)
    elif after == JobState.CANCELLED:
        # Monitoring and a tenant's hooks learn that the backup did not happen, and that it was asked for.
        phases.append(Phase.CANCEL)
    return phases


def announce_change(before: str, job: Job, error_code: str = "") -> None:
    """The job's state changed from ``before``: its events go to the control worker once the change is committed."""
    phases = phases_of_change(before, job)
    if phases:
        announce(*(build(job, phase, error_code) for phase in phases))


def announce(*events: JobEvent) -> None:
    """After the commit (a rolled back change tells nobody), one Celery message holding the events in their order
    (a start and an end seen at once are delivered in that order); a broker away loses them (logged), never the
    job."""
    messages = [event.to_message() for event in events]

    def send() -> None:
        try:
            retries = max(int(settings.NOTIFICATIONS["enqueue_retries"]), 0)
            bus.celery_app().send_task(NOTIFY_TASK, args=[messages], queue=CONTROL_QUEUE, retry=retries > 0,
                                       retry_policy={"max_retries": retries, "interval_start": 0.5,
                                                     "interval_step": 0, "interval_max": 0.5})
        except Exception as error:
            LOG.warning("%s of job %s not sent to the control worker: %s",
                        ", ".join(event.event_type for event in events), events[0].payload.get("job_id"), error)

    transaction.on_commit(send)
