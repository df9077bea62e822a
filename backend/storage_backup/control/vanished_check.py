# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Queue the vanished checks that are due: a ``vanished_check`` job (``data.check_locked_restore_points`` on a data
worker) for every destination holding locked restore points whose last check was made
``STORAGE_BACKUP_VANISHED_CHECK_INTERVAL`` seconds ago or more. Beat runs it every
``services.vanished.check_seconds()``; what a missing one means is in ``services/vanished.py``."""
from __future__ import annotations

import datetime as dt
import logging

from storage_backup.catalog.models import Job
from storage_backup.services import jobs, vanished
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import ServiceError

LOG = logging.getLogger(__name__)


def schedule(now: dt.datetime | None = None) -> list[Job]:
    made = []
    for destination in vanished.due(now):
        try:
            made.append(jobs.create_vanished_check(
                SYSTEM, destination, f"Check of destination {destination.name}: are its locked restore points "
                                     "still in the repository?"))
        except ServiceError as error:  # one made by another control worker a moment ago
            LOG.info("vanished check of %s not queued: %s", destination.name, error.message)
    return made
