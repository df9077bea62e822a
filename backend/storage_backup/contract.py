# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""docs/TASKS.md in code: the names the control plane and the proxy workers share through Redis.

Both sides import this module and nothing of each other: the control plane sends tasks by name, a proxy needs no
catalog. Plain constants and string formatting only (no Django, no Celery, no cloud).
"""
from __future__ import annotations

# Cooperative cancellation: the control plane sets the key, the pipeline checks it between blocks and steps.
CANCEL_KEY = "storage-backup:cancel:{job_id}"
CANCEL_TTL_SECONDS = 86400

# The job log as it grows: the proxy appends each entry (JSON ``{"at", "step", "message"}``), the control plane
# reads the list into the job's log while the task runs and after it ended (whatever way it ended).
LOG_KEY = "storage-backup:log:{job_id}"
LOG_TTL_SECONDS = 7 * 86400

# Liveness: refreshed by the proxy while a task runs; once it expires, the worker died under the task (killed,
# host lost) and the control plane fails the job, so the sweeper may remove its temporary resources.
ALIVE_KEY = "storage-backup:alive:{job_id}"
ALIVE_SECONDS = 60.0


def proxy_queue(availability_zone: str) -> str:
    """The queue the proxy worker(s) of one availability zone consume."""
    return f"proxy.{availability_zone}"


def cancel_key(job_id: str) -> str:
    return CANCEL_KEY.format(job_id=job_id)


def log_key(job_id: str) -> str:
    return LOG_KEY.format(job_id=job_id)


def alive_key(job_id: str) -> str:
    return ALIVE_KEY.format(job_id=job_id)
