# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The OpenStack access layer of the backup service, free of Django: usable by proxy workers and the control plane.

* ``CloudConfig.from_environment()`` / ``CloudConfig.load(cloud, clouds_yaml)``: the service account;
  ``config.session()``, ``config.project_session(project_id)``.
* ``Cloud.from_environment()`` / ``Cloud(session)``: ``.compute`` (Nova 2.89), ``.volume`` (Cinder 3.66),
  ``.image`` (Glance v2), ``.network`` (Neutron v2.0); ``cloud.for_project(project_id)`` for tenant-owned
  resources.
* ``waiting``: ``wait_volume``, ``wait_volume_attached``, ``wait_volume_detached``, ``wait_volume_deleted``,
  ``wait_snapshot``, ``wait_snapshot_deleted``, ``wait_group_snapshot``, ``wait_image``, ``wait_server``,
  ``wait_server_deleted``, and the generic ``wait_for``; each with a timeout and errors naming the resource and the
  status it was stuck in.
* ``errors``: ``CloudError`` and its subclasses (``NotFound``, ``OverQuota``, ``ServiceUnavailable``,
  ``ResourceFailed``, ``ResourceTimeout``...).
"""
from __future__ import annotations

import re

from .client import Cloud
from .errors import (
    BadRequest,
    CloudError,
    ConfigurationError,
    Conflict,
    Forbidden,
    NotFound,
    OverQuota,
    ResourceFailed,
    ResourceTimeout,
    ServiceUnavailable,
)
from .session import CloudConfig

TEMPORARY_TAG = "storage_backup_job"
TEMPORARY_PREFIX = "storage-backup-"
_JOB_IN_NAME = re.compile(re.escape(TEMPORARY_PREFIX)
                          + r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def temporary_name(job_id: str, what: str) -> str:
    """The name of a temporary resource of a job (docs/TASKS.md): ``storage-backup-<job id>-<what>``."""
    return f"{TEMPORARY_PREFIX}{job_id}-{what}"[:255]


def temporary_metadata(job_id: str) -> dict:
    return {TEMPORARY_TAG: job_id}


def job_of(resource: dict) -> str | None:
    """The job a temporary resource belongs to: its ``storage_backup_job`` metadata (Glance keeps it at the top
    level of the image), else the job id in its name; ``None`` for anything a job did not make."""
    tag = (resource.get("metadata") or {}).get(TEMPORARY_TAG) or resource.get(TEMPORARY_TAG)
    if tag:
        return tag
    match = _JOB_IN_NAME.match(resource.get("name") or "")
    return match.group(1) if match else None


__all__ = [
    "TEMPORARY_TAG", "BadRequest", "Cloud", "CloudConfig", "CloudError", "ConfigurationError", "Conflict",
    "Forbidden", "NotFound", "OverQuota", "ResourceFailed", "ResourceTimeout", "ServiceUnavailable",
    "TEMPORARY_PREFIX", "job_of", "temporary_metadata", "temporary_name",
]
