# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``proxy.backup_instance`` (docs/TASKS.md): a thin wrapper over ``storage_backup.pipeline.backup``."""
from __future__ import annotations

from storage_backup.celery_app import DEFAULT_SOFT_TIME_LIMIT, DEFAULT_TIME_LIMIT, app
from storage_backup.pipeline.backup import backup_instance as run_backup
from storage_backup.proxy.runtime import job_context


@app.task(name="proxy.backup_instance", bind=True, soft_time_limit=DEFAULT_SOFT_TIME_LIMIT,
          time_limit=DEFAULT_TIME_LIMIT)
def backup_instance(self, request: dict) -> dict:
    """Snapshot, copy, attach, read and store every disk of ``request["instance_id"]``; returns the result of
    docs/TASKS.md (restore point id, consistency, figures per volume, log). Progress goes to the task state."""
    with job_context(self, request) as ctx:
        return run_backup(ctx, request)
