# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How a job's temporary resources are named and tagged (docs/TASKS.md), and how a leftover is traced to its job.

Every volume, snapshot, group snapshot, image and half-restored server a job makes is named
``storage-backup-<job id>-<what>`` and, where the resource has metadata, tagged ``storage_backup_job=<job id>``:
the job's cleanup and the control plane's sweeper both find them by that.

A backup's snapshot kept as the **base** of the next Ceph changed-block backup is not temporary: once the restore
point is committed it is renamed ``storage-backup-base-<volume id>`` and tagged ``storage_backup_base=<volume id>``
and ``storage_backup_instance=<instance id>`` (``storage_backup_group_snapshot=<id>`` when it is a member of a kept
group snapshot), and loses its job tag. ``job_of`` never names a job for it; the sweeper removes a base only when it
is orphaned (``storage_backup.control.sweeper``).
"""
from __future__ import annotations

import re

TEMPORARY_TAG = "storage_backup_job"
TEMPORARY_PREFIX = "storage-backup-"
BASE_TAG = "storage_backup_base"
BASE_INSTANCE_TAG = "storage_backup_instance"
BASE_GROUP_TAG = "storage_backup_group_snapshot"
_JOB_IN_NAME = re.compile(re.escape(TEMPORARY_PREFIX)
                          + r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def temporary_name(job_id: str, what: str) -> str:
    """The name of a temporary resource of a job: ``storage-backup-<job id>-<what>``."""
    return f"{TEMPORARY_PREFIX}{job_id}-{what}"[:255]


def temporary_metadata(job_id: str) -> dict:
    return {TEMPORARY_TAG: job_id}


def base_name(volume_id: str) -> str:
    return f"{TEMPORARY_PREFIX}base-{volume_id}"


def base_of(resource) -> str | None:
    """The volume a kept base snapshot is the base of (its ``storage_backup_base`` tag), else ``None``."""
    return (getattr(resource, "metadata", None) or {}).get(BASE_TAG) or None


def job_of(resource) -> str | None:
    """The job a temporary resource (an openstacksdk resource) belongs to: its ``storage_backup_job`` metadata
    (an image keeps it as a property: openstacksdk puts Glance's unknown top-level keys in ``properties``), else
    the job id in its name; ``None`` for anything a job did not make, and for a kept base snapshot."""
    if base_of(resource):
        return None
    tag = ((getattr(resource, "metadata", None) or {}).get(TEMPORARY_TAG)
           or (getattr(resource, "properties", None) or {}).get(TEMPORARY_TAG))
    if tag:
        return tag
    match = _JOB_IN_NAME.match(getattr(resource, "name", None) or "")
    return match.group(1) if match else None
