# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Queue the lock maintenance passes that are due: a ``lock_maintenance`` job (``data.maintain_locks`` on a data
worker) for every S3 destination with Object Lock whose last pass was made ``STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL``
seconds ago or more. Beat runs it every ``services.lock_maintenance.check_seconds()``; the rules (margin, alert) are in
``services/lock_maintenance.py``."""
from __future__ import annotations

import datetime as dt
import logging

from storage_backup.catalog.models import Job
from storage_backup.services import jobs, lock_maintenance
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import ServiceError

LOG = logging.getLogger(__name__)


def schedule(now: dt.datetime | None = None) -> list[Job]:
    made = []
    for destination in lock_maintenance.due(now):
        try:
            made.append(jobs.create_lock_maintenance(
                SYSTEM, destination, f"Lock maintenance of destination {destination.name}: extending the Object Lock "
                                     "retention of what its restore points reference"))
        except ServiceError as error:  # one made by another control worker a moment ago
            LOG.info("lock maintenance of %s not queued: %s", destination.name, error.message)
    return made
