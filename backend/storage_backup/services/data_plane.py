# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the control plane knows of the data plane, kept in Redis: the data workers that answered the ``data``
queue's ping (docs/TASKS.md ``data.ping``), and the destinations that lost restore points since their last prune.

The control plane never opens a repository: deleting, pruning, locking, verifying and listing restore points are
jobs on the ``data`` queue (``storage_backup.services.jobs``), run by data workers that mount the destinations.
"""
from __future__ import annotations

import json
import logging
import time

from django.conf import settings

from storage_backup.contract import DATA_QUEUE, DataPingResult
from storage_backup.services import bus

LOG = logging.getLogger(__name__)
PRUNE_PENDING_KEY = "storage-backup:prune-pending"
DATA_WORKERS_KEY = "storage-backup:data-workers"


def mark_for_prune(destination_id: str) -> None:
    """Remember that the destination lost restore points: the next retention run prunes it."""
    try:
        bus.redis_client().sadd(PRUNE_PENDING_KEY, destination_id)
    except Exception as error:  # Redis away: this deletion's space comes back at a later prune
        LOG.warning("cannot remember that destination %s needs a prune: %s", destination_id, error)


def destinations_to_prune() -> list[str]:
    return sorted(member.decode() for member in bus.redis_client().smembers(PRUNE_PENDING_KEY))


def prune_taken(destination_id: str) -> None:
    """A prune job was made for it: a deletion from now on puts it back for the next one."""
    bus.redis_client().srem(PRUNE_PENDING_KEY, destination_id)


def record_heartbeat(answer: DataPingResult) -> str:
    """Store a data worker's answer to ``data.ping``; returns its name."""
    name = answer.worker or answer.hostname
    entry = {**answer.to_message(), "at": time.time()}
    bus.redis_client().hset(DATA_WORKERS_KEY, name, json.dumps(entry))
    return name


def live_workers(now: float | None = None) -> dict[str, dict]:
    """The data workers heard within ``STORAGE_BACKUP_PROXY_DOWN_AFTER`` seconds (others are forgotten)."""
    now = time.time() if now is None else now
    down_after = settings.CONTROL["proxy_down_after"]
    live = {}
    for raw_name, raw in bus.redis_client().hgetall(DATA_WORKERS_KEY).items():
        name = raw_name.decode()
        try:
            entry = json.loads(raw)
        except ValueError:
            entry = {}
        if now - float(entry.get("at") or 0) <= down_after:
            live[name] = entry
        else:
            bus.redis_client().hdel(DATA_WORKERS_KEY, name)
    return live


def known_worker_count() -> int:
    return len(bus.redis_client().hkeys(DATA_WORKERS_KEY))


def waiting_reason(in_flight: int) -> str:
    """Why a data job cannot be sent now ("" when it can): no data worker answers, or they are all busy."""
    workers = live_workers()
    if not workers:
        return (f"Waiting for a data worker: none answered on queue {DATA_QUEUE} in the last "
                f"{settings.CONTROL['proxy_down_after']:.0f} s. Start one where the destinations are mounted: "
                f"celery -A storage_backup.celery_app worker -Q {DATA_QUEUE}.")
    limit = capacity(len(workers))
    if in_flight >= limit:
        return f"Waiting for a free slot: the data workers run {in_flight} job(s), their limit is {limit}."
    return ""


def capacity(workers: int) -> int:
    return workers * settings.CONTROL["data_max_jobs"]
