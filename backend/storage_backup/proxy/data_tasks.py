# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The data tasks (docs/TASKS.md, queue ``data``): repository work that needs neither the cloud nor an availability
zone, consumed by the data worker(s) that mount every destination::

    celery -A storage_backup.celery_app worker -Q data -n data@%h

Thin wrappers over ``storage_backup.pipeline.verify``, ``storage_backup.pipeline.maintenance`` and
``storage_backup.pipeline.file_restore``.
"""
from __future__ import annotations

import os

from storage_backup.celery_app import DEFAULT_SOFT_TIME_LIMIT, DEFAULT_TIME_LIMIT, app
from storage_backup.contract import (
    BROWSE_FILES,
    CHECK_LOCKED,
    DATA_PING,
    DELETE_RESTORE_POINTS,
    LIST_RESTORE_POINTS,
    MAINTAIN_LOCKS,
    PRUNE_DESTINATION,
    RESTORE_FILES,
    SET_RETENTION_LOCK,
    VERIFY_RESTORE_POINT,
    DataPingResult,
)
from storage_backup.pipeline import file_restore, maintenance
from storage_backup.pipeline.verify import verify_restore_point as run_verify
from storage_backup.proxy.identity import ProxyIdentity, hostname, version
from storage_backup.proxy.runtime import run_task

LIMITS = {"soft_time_limit": DEFAULT_SOFT_TIME_LIMIT, "time_limit": DEFAULT_TIME_LIMIT}


@app.task(name=VERIFY_RESTORE_POINT, bind=True, **LIMITS)
def verify_restore_point(self, request: dict) -> dict:
    """Read every chunk of a restore point and check its keyed hash, writing nothing."""
    return run_task(self, request, run_verify, cloud=False)


@app.task(name=DELETE_RESTORE_POINTS, bind=True, **LIMITS)
def delete_restore_points(self, request: dict) -> dict:
    return run_task(self, request, maintenance.delete_restore_points, cloud=False)


@app.task(name=PRUNE_DESTINATION, bind=True, **LIMITS)
def prune_destination(self, request: dict) -> dict:
    return run_task(self, request, maintenance.prune_destination, cloud=False)


@app.task(name=SET_RETENTION_LOCK, bind=True, **LIMITS)
def set_retention_lock(self, request: dict) -> dict:
    return run_task(self, request, maintenance.set_retention_lock, cloud=False)


@app.task(name=MAINTAIN_LOCKS, bind=True, **LIMITS)
def maintain_locks(self, request: dict) -> dict:
    """Extend the Object Lock retention of what the destination's restore points reference (``object_lock.py``)."""
    return run_task(self, request, maintenance.maintain_locks, cloud=False)


@app.task(name=CHECK_LOCKED, bind=True, **LIMITS)
def check_locked_restore_points(self, request: dict) -> dict:
    """Which locked restore points lost their documents (names listed only; ``services/vanished.py``)."""
    return run_task(self, request, maintenance.check_locked_restore_points, cloud=False)


@app.task(name=LIST_RESTORE_POINTS, bind=True, **LIMITS)
def list_restore_points(self, request: dict) -> dict:
    return run_task(self, request, maintenance.list_restore_points, cloud=False)


@app.task(name=BROWSE_FILES, bind=True, **LIMITS)
def browse_files(self, request: dict) -> dict:
    """List a directory or search by name inside one volume of a restore point (a short answer)."""
    return run_task(self, request, file_restore.browse_files, cloud=False)


@app.task(name=RESTORE_FILES, bind=True, **LIMITS)
def restore_files(self, request: dict) -> dict:
    """Write a file or folder of a restore point's volume into the download area."""
    return run_task(self, request, file_restore.restore_files, cloud=False)


@app.task(name=DATA_PING, soft_time_limit=10, time_limit=20)
def ping() -> dict:
    """The ``DataPingResult`` of the data worker that ran it."""
    root = ProxyIdentity.from_environment().repository_root
    return DataPingResult(hostname=hostname(), worker=ping.request.hostname or "", software_version=version(),
                          repository_root=root, repository_root_ok=os.path.isdir(root)).to_message()
