# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Queue the lock maintenance passes that are due: a ``lock_maintenance`` job (``data.maintain_locks`` on a data
worker) for every S3 destination with Object Lock whose last pass was made ``STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL``
seconds ago or more. Beat runs it every ``services.lock_maintenance.check_seconds()``; the rules (margin, alert) are in
``services/lock_maintenance.py``."""
from __future__ import annotations

import datetime as dt
import logging

from storage_backup.catalog.models import Destination, Job
from storage_backup.services import audit, bus, jobs, lock_maintenance
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import ServiceError

LOG = logging.getLogger(__name__)
SHORT_MARGIN_KEY = "storage-backup:lock-margin-short"


def check_margins() -> list[str]:
    """The S3 destinations with Object Lock whose ``lock_days`` is under the margin of the interval this worker
    runs with (the interval may have been raised since they were made): logged and audited once when one becomes
    short, forgotten when mended. The overview and ``/metrics`` show it for as long as it lasts."""
    short = []
    for destination in Destination.objects.filter(type="s3"):
        found = lock_maintenance.lock_settings(destination)
        error = lock_maintenance.margin_error(found) if found is not None else ""
        if not error:
            _forget_short(destination.id)
            continue
        short.append(destination.id)
        try:
            new = bus.redis_client().sadd(SHORT_MARGIN_KEY, destination.id)
        except Exception as redis_error:  # Redis away: said again at the next look, which beats never
            LOG.warning("cannot remember the short margin of %s: %s", destination.name, redis_error)
            new = 1
        if new:
            LOG.error("destination %s: %s", destination.name, error)
            audit.record(SYSTEM, "destination.lock_margin", "destination", destination.id, "failure", error[:500],
                         project_id=destination.project_id)
    return short


def _forget_short(destination_id: str) -> None:
    try:
        bus.redis_client().srem(SHORT_MARGIN_KEY, destination_id)
    except Exception:  # Redis away: nothing to forget that matters
        pass


def schedule(now: dt.datetime | None = None) -> list[Job]:
    try:  # where the interval is read: a raised one may have made a destination's lock_days too short
        check_margins()
    except Exception:  # the passes themselves still go
        LOG.exception("the lock maintenance margins could not be checked")
    made = []
    for destination in lock_maintenance.due(now):
        try:
            made.append(jobs.create_lock_maintenance(
                SYSTEM, destination, f"Lock maintenance of destination {destination.name}: extending the Object Lock "
                                     "retention of what its restore points reference"))
        except ServiceError as error:  # one made by another control worker a moment ago
            LOG.info("lock maintenance of %s not queued: %s", destination.name, error.message)
    return made
