# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The queues and Redis keys the control plane and the workers share (docs/TASKS.md "Queues" and "Redis keys")."""
from __future__ import annotations

# The control worker's queue (celery beat feeds it; the REST API wakes it with ``control.dispatch``).
CONTROL_QUEUE = "control"
# Repository work that needs no cloud and no availability zone: verification, deletion, prune, retention locks,
# listing for a catalog rebuild. Consumed by the data worker(s), which mount every destination; a destination shared
# by every availability zone is served here once.
DATA_QUEUE = "data"
PROXY_QUEUE_PREFIX = "proxy."
# Not a Celery queue: the name the vault worker's key is enrolled under (``/v1/proxies/{name}/keys``), which the
# repository secrets of the vault work (``GET /v1/vault/work``) are sealed to.
VAULT_QUEUE = "vault"
# Changed-extent questions for Ceph, answered by the diff worker beside Ceph (the only holder of a Ceph key): the
# proxies ask, and wait for the answer, while they back up RBD volumes.
CEPH_QUEUE = "ceph"

# Cooperative cancellation: the control plane sets the key, the pipeline checks it between blocks and steps.
CANCEL_KEY = "storage-backup:cancel:{job_id}"
CANCEL_TTL_SECONDS = 86400

# The job log as it grows: the worker appends each entry (JSON ``{"at", "step", "message"}``), the control plane
# reads the list into the job's log while the task runs and after it ended (whatever way it ended).
LOG_KEY = "storage-backup:log:{job_id}"
LOG_TTL_SECONDS = 7 * 86400

# Liveness: refreshed by the worker while a task runs; once it expires, the worker died under the task (killed,
# host lost) and the control plane fails the job, so the sweeper may remove its temporary resources.
ALIVE_KEY = "storage-backup:alive:{job_id}"
ALIVE_SECONDS = 60.0

# Which worker (Celery node name) took a task, written when it starts: results keep no extended fields (they would
# keep the task's arguments), so this says who ran it, whatever way it ended. Same lifetime as the log.
RUNNER_KEY = "storage-backup:runner:{task_id}"
# Which attempt of a job may run: the control plane sets it to the task id it sends, and to anything else once the
# job ended or waits for its next attempt. A worker runs a task only when the key is absent (a Redis that lost its
# data lost the old messages with it) or names that very task, so a stale or redelivered message never runs a job
# twice (docs/TASKS.md "Which attempt runs").
ATTEMPT_KEY = "storage-backup:attempt:{job_id}"
ATTEMPT_TTL_SECONDS = 7 * 86400
NO_ATTEMPT = "none"


def proxy_queue(availability_zone: str) -> str:
    """The queue the proxy worker(s) of one availability zone consume."""
    return f"{PROXY_QUEUE_PREFIX}{availability_zone}"


def cancel_key(job_id: str) -> str:
    return CANCEL_KEY.format(job_id=job_id)


def log_key(job_id: str) -> str:
    return LOG_KEY.format(job_id=job_id)


def alive_key(job_id: str) -> str:
    return ALIVE_KEY.format(job_id=job_id)


def runner_key(task_id: str) -> str:
    return RUNNER_KEY.format(task_id=task_id)
def attempt_key(job_id: str) -> str:
    return ATTEMPT_KEY.format(job_id=job_id)
