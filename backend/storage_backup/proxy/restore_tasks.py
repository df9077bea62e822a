# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``proxy.restore_instance``, ``proxy.restore_volume`` and ``proxy.verify_restore_point`` (docs/TASKS.md): thin
wrappers over the pipeline."""
from __future__ import annotations

from storage_backup.celery_app import DEFAULT_SOFT_TIME_LIMIT, DEFAULT_TIME_LIMIT, app
from storage_backup.pipeline.restore_instance import restore_instance as run_restore_instance
from storage_backup.pipeline.restore_volume import restore_volume as run_restore_volume
from storage_backup.pipeline.verify import verify_restore_point as run_verify
from storage_backup.proxy.runtime import job_context


@app.task(name="proxy.restore_instance", bind=True, soft_time_limit=DEFAULT_SOFT_TIME_LIMIT,
          time_limit=DEFAULT_TIME_LIMIT)
def restore_instance(self, request: dict) -> dict:
    """Rebuild a whole instance from a restore point in this proxy's availability zone; returns
    ``{"server_id", "volume_ids", "image_reused", "log"}``."""
    with job_context(self, request) as ctx:
        return run_restore_instance(ctx, request)


@app.task(name="proxy.restore_volume", bind=True, soft_time_limit=DEFAULT_SOFT_TIME_LIMIT,
          time_limit=DEFAULT_TIME_LIMIT)
def restore_volume(self, request: dict) -> dict:
    """Restore one volume of a restore point as a new volume (optionally attached to an instance); returns
    ``{"volume_id", "attached_to", "log"}``."""
    with job_context(self, request) as ctx:
        return run_restore_volume(ctx, request)


@app.task(name="proxy.verify_restore_point", bind=True, soft_time_limit=DEFAULT_SOFT_TIME_LIMIT,
          time_limit=DEFAULT_TIME_LIMIT)
def verify_restore_point(self, request: dict) -> dict:
    """Read every chunk of a restore point and check its keyed hash, writing nothing; returns
    ``{"restore_point_id", "chunks_verified", "bytes_verified", "volumes", "log"}``."""
    with job_context(self, request) as ctx:
        return run_verify(ctx, request)
