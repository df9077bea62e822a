# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Lock maintenance of S3 destinations with Object Lock: when a pass is due, what its outcome means, when to alarm.

Every immutable object is written retained for the destination's ``lock_days``; new restore points reuse old packs,
so a ``lock_maintenance`` job (``data.maintain_locks`` on a data worker) extends what restore points still reference
every ``STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL`` seconds (default 12 h). The rules, one interval I and L days:

* **the margin**: ``lock_days`` must be at least ``2 × I`` (a destination with less is refused, 400 naming ``path``).
  A pass at t leaves every referenced object retained until t + L >= t + 2I: the next pass is due at t + I, so one
  pass may fail or not run at all and a whole interval is still left for an operator to mend it before the first
  object could be deleted;
* **the alert**: a pass that fails is an alert at once (on the admin overview, with its reason); no pass succeeding
  for ``1.5 × I`` (``OVERDUE_FACTOR``; jobs waiting for a data worker, the control worker down, a job that never
  ran) is an alert too, which still leaves at least half an interval (6 h by default) before t + L;
* **the margin, again**: the interval is a setting, and raising it later does not touch the destinations made
  under the old one. So the margin is checked wherever the interval is read too: a destination whose ``lock_days``
  is now under ``2 × I`` is an alert (``problem`` ``margin``, naming the setting to change) on the admin overview and
  in ``/metrics``, and the control worker logs and audits it once when it schedules the passes;
* **the schedule**: the control worker (``control/lock_maintenance.py``) looks every ``check_seconds()`` (a quarter
  of I, at most 5 minutes) for destinations whose last pass was made I ago or more, and makes a job for each (one at
  a time per destination, ``jobs.create_lock_maintenance``).

The destination records the last success (``lock_maintained_at``, ``lock_protected_until``) and the last failure
(``lock_maintenance_failed_at``, ``lock_maintenance_error``); monitoring reads the alert from ``/metrics``
(``storage_backup_lock_maintenance_alert``, services/metrics.py) or the admin overview (``attention.lock_maintenance``).
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from storage_backup import contract
from storage_backup.catalog.models import ACTIVE_JOB_STATES, Destination, Job, JobState, JobType, RestorePoint
from storage_backup.services import audit
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import ValidationFailed

LOG = logging.getLogger(__name__)
DAY = 86400.0
#: ``lock_days`` >= MARGIN_FACTOR × the interval (see the module's docstring).
MARGIN_FACTOR = 2.0
#: No success for OVERDUE_FACTOR × the interval: an alert.
OVERDUE_FACTOR = 1.5
ATTENTION_ROWS = 20


def interval() -> float:
    """Seconds between two passes over one destination."""
    return float(settings.CONTROL["lock_maintenance_seconds"])


def check_seconds() -> float:
    """How often the control worker looks for destinations due (beat's period for ``control.lock_maintenance``)."""
    return max(1.0, min(interval() / 4, 300.0))


def minimum_lock_days() -> float:
    return MARGIN_FACTOR * interval() / DAY


def lock_settings(destination: Destination):
    """The destination's ``S3Settings`` when it is S3 with a lock mode, else None."""
    if destination.type != "s3":
        return None
    from storage_backup.repository import InvalidRequest, S3Settings

    try:
        found = S3Settings.from_location(destination.path)
    except InvalidRequest:
        return None
    return found if found.lock_mode else None


def margin_error(s3_settings) -> str:
    """Why an S3 location's ``lock_days`` is too short for the interval now in force ('' when it is long enough):
    what the operator can change, either side."""
    if not s3_settings.lock_mode or s3_settings.lock_days >= minimum_lock_days():
        return ""
    longest = s3_settings.lock_days * DAY / MARGIN_FACTOR / 3600
    return (f"lock_days={s3_settings.lock_days:g} is shorter than twice the lock maintenance interval "
            f"(STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL={interval():g} s, {interval() / 3600:g} h, so at least "
            f"{minimum_lock_days():g} days): one failed pass could leave locked objects deletable before anyone "
            f"mends it. Lower STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL to {longest:g} h or less, or raise lock_days "
            f"in the destination's location to {minimum_lock_days():g} or more")


def check_lock_days(s3_settings) -> None:
    """400 naming ``path`` when an S3 location's ``lock_days`` is shorter than the margin the maintenance needs."""
    if not s3_settings.lock_mode or s3_settings.lock_days >= minimum_lock_days():
        return
    raise ValidationFailed("path", f"lock_days={s3_settings.lock_days:g} is too short: the Object Lock retention is "
                                   f"extended every {interval() / 3600:g} h "
                                   "(STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL), "
                                   f"and lock_days must be at least twice that ({minimum_lock_days():g} days), so "
                                   "that a failed pass leaves time to mend it before locked objects could be deleted")


# -- scheduling ---------------------------------------------------------------------------------------------------

def locked_restore_points(destination: Destination, now: dt.datetime | None = None) -> dict[str, str]:
    """The catalog's locked restore points on ``destination``: id -> lock date (ISO 8601 UTC); not the vault-only
    ones, whose objects the primary no longer holds."""
    now = now or timezone.now()
    rows = RestorePoint.objects.filter(destination=destination, retention_lock_until__gt=now, vault_only=False)
    return {point_id: until.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
            for point_id, until in rows.values_list("id", "retention_lock_until")}


def due(now: dt.datetime | None = None) -> list[Destination]:
    """S3 destinations with Object Lock whose last pass was made an interval ago or more (or never), and none runs."""
    now = now or timezone.now()
    every = dt.timedelta(seconds=interval())
    found = []
    for destination in Destination.objects.filter(type="s3"):
        if lock_settings(destination) is None:
            continue
        jobs = Job.objects.filter(destination=destination, type=JobType.LOCK_MAINTENANCE)
        if jobs.filter(state__in=ACTIVE_JOB_STATES).exists():
            continue
        last = jobs.order_by("-created_at").values_list("created_at", flat=True).first()
        if last is None or now - last >= every:
            found.append(destination)
    return found


# -- outcomes -----------------------------------------------------------------------------------------------------

def result_error(job: Job, result: contract.MaintainLocksResult) -> str:
    """The job's error when the pass left something unretained ('' when everything is retained)."""
    if result.ok:
        return ""
    problems = []
    if result.objects_failed:
        problems.append(f"{result.objects_failed} object(s) not retained")
    if result.missing_locked:
        problems.append(f"{len(result.missing_locked)} locked restore point(s) missing from the repository "
                        f"({', '.join(result.missing_locked[:5])})")
    if result.unreadable_restore_points:
        problems.append(f"{len(result.unreadable_restore_points)} restore point(s) unreadable")
    name = job.destination.name if job.destination is not None else "?"
    return (f"Lock maintenance of destination {name} is incomplete: {'; '.join(problems)}. "
            + "; ".join(result.failures[:5]))


def record(job: Job) -> None:
    """Record an ended ``lock_maintenance`` job on its destination (tracking calls it once the job has ended)."""
    destination = job.destination
    if destination is None or job.type != JobType.LOCK_MAINTENANCE:
        return
    now = job.finished_at or timezone.now()
    if job.state == JobState.SUCCEEDED:
        protected = (job.result or {}).get("protected_until")
        Destination.objects.filter(pk=destination.pk).update(
            lock_maintained_at=now, lock_protected_until=_parse(protected))
    elif job.state == JobState.FAILED:
        error = job.error or "failed"
        Destination.objects.filter(pk=destination.pk).update(lock_maintenance_failed_at=now,
                                                             lock_maintenance_error=error[:4000])
        audit.record(SYSTEM, "destination.lock_maintenance", "destination", destination.id, "failure",
                     f"job {job.id}: {error[:500]}", project_id=destination.project_id)
        LOG.error("lock maintenance of destination %s failed (job %s): %s", destination.name, job.id, error)


def _parse(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


# -- the alert ----------------------------------------------------------------------------------------------------

def alerts(destination: Destination, now: dt.datetime | None = None) -> list[dict]:
    """Everything wrong with the destination's lock maintenance, most urgent first: its last pass failed, its
    ``lock_days`` is under the margin of the interval now in force, none succeeded for ``OVERDUE_FACTOR``
    intervals."""
    found = lock_settings(destination)
    if found is None:
        return []
    entries = []
    first = alert(destination, now)
    if first is not None and first["problem"] == "failed":
        entries.append(first)
    short = margin_error(found)
    if short:
        entries.append({**_entry(destination), "problem": "margin", "error": short})
    if first is not None and first["problem"] != "failed":
        entries.append(first)
    return entries


def _entry(destination: Destination) -> dict:
    return {"destination_id": destination.id, "name": destination.name, "project_id": destination.project_id,
            "last_success": destination.lock_maintained_at, "failed_at": destination.lock_maintenance_failed_at,
            "error": "", "protected_until": destination.lock_protected_until}


def alert(destination: Destination, now: dt.datetime | None = None) -> dict | None:
    """What is wrong with the destination's passes, or None: its last pass failed (and none succeeded since), or
    none succeeded for ``OVERDUE_FACTOR`` intervals (counted from its creation before any). The margin is
    ``alerts``'s."""
    if lock_settings(destination) is None:
        return None
    now = now or timezone.now()
    succeeded, failed = destination.lock_maintained_at, destination.lock_maintenance_failed_at
    since = succeeded or destination.created_at
    entry = _entry(destination)
    if failed is not None and (succeeded is None or failed > succeeded):
        return {**entry, "problem": "failed", "error": destination.lock_maintenance_error}
    if since is not None and now - since > dt.timedelta(seconds=OVERDUE_FACTOR * interval()):
        return {**entry, "problem": "overdue",
                "error": f"no lock maintenance pass has succeeded since {since:%Y-%m-%d %H:%M} UTC (one is due every "
                         f"{interval() / 3600:g} h)"}
    return None


def attention(now: dt.datetime | None = None) -> list[dict]:
    """The alerts of every S3 destination with Object Lock (the admin overview's ``attention.lock_maintenance``; a
    destination may have two: a failed or overdue pass and a short margin)."""
    now = now or timezone.now()
    found = [entry for destination in Destination.objects.filter(type="s3") for entry in alerts(destination, now)]
    return found[:ATTENTION_ROWS]
