# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``proxy.backup_instance`` (docs/TASKS.md): a thin wrapper over ``storage_backup.pipeline.backup``."""
from __future__ import annotations

from storage_backup.celery_app import DEFAULT_SOFT_TIME_LIMIT, DEFAULT_TIME_LIMIT, app
from storage_backup.contract import BACKUP_INSTANCE
from storage_backup.pipeline.backup import backup_instance as run_backup
from storage_backup.proxy.runtime import run_task


@app.task(name=BACKUP_INSTANCE, bind=True, soft_time_limit=DEFAULT_SOFT_TIME_LIMIT, time_limit=DEFAULT_TIME_LIMIT)
def backup_instance(self, request: dict) -> dict:
    """Snapshot, copy, attach, read and store every disk of the instance (``BackupRequest``); returns a
    ``BackupResult``. Progress goes to the task state."""
    return run_task(self, request, run_backup)
