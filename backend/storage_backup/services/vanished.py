# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Locked restore points that vanished from their repository: a WORM promise broken on disk, said loudly.

The retention pass's prune carries the ids the catalog holds as locked on its destination and stops when one is
missing from the repository (its data stays, so the document can be put back from a copy); a verify of a locked
restore point the repository no longer has says the same. Either marks the catalog row (``missing_since``), fails
the job with a message naming the restore points, writes an audit record and an error to the service's log, and the
admin overview lists the rows under what needs attention.

Prunes and verifies may be days apart, so the control worker also looks on its own: every
``STORAGE_BACKUP_VANISHED_CHECK_INTERVAL`` seconds (default 4 h, 0: never) each destination that holds locked restore
points gets a ``vanished_check`` job (``data.check_locked_restore_points`` on a data worker, which lists the
documents' names and reads nothing else), one at a time per destination, never one for a vault (nothing on the
primary side reaches it). A restore point found missing is reported as above; ``/metrics`` counts the rows
(``storage_backup_vanished_restore_points``).
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from storage_backup.catalog.models import ACTIVE_JOB_STATES, Destination, Job, JobType, RestorePoint
from storage_backup.services import audit
from storage_backup.services.context import SYSTEM

LOG = logging.getLogger(__name__)
ATTENTION_ROWS = 20


def locked_ids(destination: Destination, now: dt.datetime | None = None) -> list[str]:
    """The restore points the catalog holds as locked on ``destination`` (a vault-only one is not there any more)."""
    now = now or timezone.now()
    return sorted(RestorePoint.objects.filter(destination=destination, retention_lock_until__gt=now, vault_only=False)
                  .values_list("id", flat=True))


def interval() -> float:
    """Seconds between two checks of one destination (0: the periodic check is off)."""
    return max(0.0, float(settings.CONTROL["vanished_check_seconds"]))


def check_seconds() -> float:
    """How often the control worker looks for destinations due (beat's period for ``control.vanished_check``):
    a quarter of the interval, at most 5 minutes, so a check is never more than that late."""
    return max(1.0, min(interval() / 4, 300.0)) if interval() else 300.0


def due(now: dt.datetime | None = None) -> list[Destination]:
    """Destinations (no vault) holding locked restore points whose last check was made an interval ago or more (or
    never), and none is queued or running. Empty while the check is off."""
    if not interval():
        return []
    now = now or timezone.now()
    every = dt.timedelta(seconds=interval())
    holding = RestorePoint.objects.filter(retention_lock_until__gt=now).values("destination_id")
    found = []
    for destination in Destination.objects.filter(vault=False, id__in=holding).order_by("name"):
        checks = Job.objects.filter(destination=destination, type=JobType.VANISHED_CHECK)
        if checks.filter(state__in=ACTIVE_JOB_STATES).exists():
            continue
        last = checks.order_by("-created_at").values_list("created_at", flat=True).first()
        if last is None or now - last >= every:
            found.append(destination)
    return found


def still_locked(missing: list[str], now: dt.datetime | None = None) -> list[str]:
    """Of the ids a check found missing, those the catalog still holds as locked: a lock that expired (and a
    restore point deleted as it should be) between the job's making and its run is no alarm."""
    now = now or timezone.now()
    return sorted(RestorePoint.objects.filter(pk__in=missing, retention_lock_until__gt=now)
                  .values_list("id", flat=True))


def report(job: Job, missing: list[str], how: str) -> str:
    """Mark the rows, audit, log; returns the job's error message."""
    now = timezone.now()
    rows = list(RestorePoint.objects.filter(pk__in=missing))
    RestorePoint.objects.filter(pk__in=missing, missing_since__isnull=True).update(missing_since=now)
    for row in rows:
        audit.record(SYSTEM, "restore_point.vanished", "restore_point", row.id, "failure",
                     f"locked until {row.retention_lock_until:%Y-%m-%d %H:%M} UTC but gone from the repository "
                     f"({how}, job {job.id})", project_id=row.project_id)
    destination = job.destination.name if job.destination is not None else "?"
    message = (f"{len(missing)} LOCKED restore point(s) have vanished from destination {destination} although their "
               f"retention lock has not expired: {', '.join(missing)}. Someone removed their documents on the storage "
               "itself. Nothing was pruned, so their data is still there: put the documents back from a copy or a "
               "filesystem snapshot, and consider a hardened destination (README, 'WORM').")
    LOG.error("job %s: %s", job.id, message)
    return message


def verify_failed(job: Job, code: str) -> str:
    """The error of a failed verify job: the loud one when a locked restore point is gone, else ''."""
    if code != "not_found" or not job.restore_point_id:
        return ""
    row = RestorePoint.objects.filter(pk=job.restore_point_id).first()
    if row is None or row.retention_lock_until is None or row.retention_lock_until <= timezone.now():
        return ""
    return report(job, [row.id], "verify")


def attention() -> list[dict]:
    """The rows to show the administrator, newest first."""
    rows = RestorePoint.objects.filter(missing_since__isnull=False).order_by("-missing_since")[:ATTENTION_ROWS]
    return [{"id": row.id, "project_id": row.project_id, "instance_name": row.instance_name or row.instance_id,
             "destination_id": row.destination_id, "retention_lock_until": row.retention_lock_until,
             "missing_since": row.missing_since} for row in rows]
