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


def temporary_name(job_id: str, what: str) -> str:
    """The name of a temporary resource of a job (docs/TASKS.md): ``storage-backup-<job id>-<what>``."""
    return f"storage-backup-{job_id}-{what}"[:255]


def temporary_metadata(job_id: str) -> dict:
    return {TEMPORARY_TAG: job_id}


__all__ = [
    "TEMPORARY_TAG", "BadRequest", "Cloud", "CloudConfig", "CloudError", "ConfigurationError", "Conflict",
    "Forbidden", "NotFound", "OverQuota", "ResourceFailed", "ResourceTimeout", "ServiceUnavailable",
    "temporary_metadata", "temporary_name",
]
