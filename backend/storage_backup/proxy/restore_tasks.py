# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``proxy.restore_instance``, ``proxy.restore_volume`` and ``proxy.revert`` (docs/TASKS.md): thin wrappers over the
pipeline."""
from __future__ import annotations

from storage_backup.celery_app import DEFAULT_SOFT_TIME_LIMIT, DEFAULT_TIME_LIMIT, app
from storage_backup.contract import RESTORE_INSTANCE, RESTORE_VOLUME, REVERT
from storage_backup.pipeline.restore_instance import restore_instance as run_restore_instance
from storage_backup.pipeline.restore_volume import restore_volume as run_restore_volume
from storage_backup.pipeline.revert_instance import revert as run_revert
from storage_backup.proxy.runtime import run_task


@app.task(name=RESTORE_INSTANCE, bind=True, soft_time_limit=DEFAULT_SOFT_TIME_LIMIT, time_limit=DEFAULT_TIME_LIMIT)
def restore_instance(self, request: dict) -> dict:
    """Rebuild a whole instance from a restore point in this proxy's availability zone (``RestoreInstanceRequest``
    → ``RestoreInstanceResult``)."""
    return run_task(self, request, run_restore_instance)


@app.task(name=RESTORE_VOLUME, bind=True, soft_time_limit=DEFAULT_SOFT_TIME_LIMIT, time_limit=DEFAULT_TIME_LIMIT)
def restore_volume(self, request: dict) -> dict:
    """Restore one volume of a restore point as a new volume, optionally attached to an instance
    (``RestoreVolumeRequest`` → ``RestoreVolumeResult``)."""
    return run_task(self, request, run_restore_volume)


@app.task(name=REVERT, bind=True, soft_time_limit=DEFAULT_SOFT_TIME_LIMIT, time_limit=DEFAULT_TIME_LIMIT)
def revert(self, request: dict) -> dict:
    """Overwrite the original instance's volumes in place with a restore point (``RevertRequest`` →
    ``RevertResult``)."""
    return run_task(self, request, run_revert)
