# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How a job's temporary resources are named and tagged (docs/TASKS.md), and how a leftover is traced to its job.

Every volume, snapshot, group snapshot, image and half-restored server a job makes is named
``storage-backup-<job id>-<what>`` and, where the resource has metadata, tagged ``storage_backup_job=<job id>``:
the job's cleanup and the control plane's sweeper both find them by that.
"""
from __future__ import annotations

import re

TEMPORARY_TAG = "storage_backup_job"
TEMPORARY_PREFIX = "storage-backup-"
_JOB_IN_NAME = re.compile(re.escape(TEMPORARY_PREFIX)
                          + r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def temporary_name(job_id: str, what: str) -> str:
    """The name of a temporary resource of a job: ``storage-backup-<job id>-<what>``."""
    return f"{TEMPORARY_PREFIX}{job_id}-{what}"[:255]


def temporary_metadata(job_id: str) -> dict:
    return {TEMPORARY_TAG: job_id}


def job_of(resource) -> str | None:
    """The job a temporary resource (an openstacksdk resource) belongs to: its ``storage_backup_job`` metadata
    (an image keeps it as a property: openstacksdk puts Glance's unknown top-level keys in ``properties``), else
    the job id in its name; ``None`` for anything a job did not make."""
    tag = ((getattr(resource, "metadata", None) or {}).get(TEMPORARY_TAG)
           or (getattr(resource, "properties", None) or {}).get(TEMPORARY_TAG))
    if tag:
        return tag
    match = _JOB_IN_NAME.match(getattr(resource, "name", None) or "")
    return match.group(1) if match else None
