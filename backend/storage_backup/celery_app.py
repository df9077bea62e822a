# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Celery application of the workers that hold no catalog: the proxy workers and the data worker(s).

Start a proxy worker for availability zone ``<az>`` (in that zone's proxy VM), and a data worker where every
destination is mounted, with::

    STORAGE_BACKUP_BROKER_URL=redis://127.0.0.1:6390/0 \\
        celery -A storage_backup.celery_app worker -Q proxy.<az> -n proxy-<az>@%h --concurrency 2
    STORAGE_BACKUP_BROKER_URL=redis://127.0.0.1:6390/0 \\
        celery -A storage_backup.celery_app worker -Q data -n data@%h --concurrency 2

Configuration comes from the environment, read when the app is first configured (so importing this module never
needs a broker):

- ``STORAGE_BACKUP_BROKER_URL`` (required): the Redis broker. There is no default on purpose: a worker must never
  pick up, or a test disturb, whatever Redis happens to listen on the standard port.
- ``STORAGE_BACKUP_RESULT_BACKEND``: where results and progress go (default: the broker).
- ``STORAGE_BACKUP_REPOSITORY_ROOT``: where this worker mounts the destinations (default ``/``).
- ``STORAGE_BACKUP_PROXY_KEY_FILE``: this worker's private keys (default ``/var/lib/storage-backup/proxy.key``, made
  0600 on the first start); an administrator enrols the public key (``storage-backup proxy-key show``) before the
  worker gets tasks whose secrets are sealed (docs/TASKS.md "Sealed secrets").

The control plane sends tasks by name to the queue of an AZ (``proxy.<az>``) or to ``data``; see docs/TASKS.md.
"""
from __future__ import annotations

import logging
import os

from celery import Celery, signals

from storage_backup.celery_reconnect import RECONNECTING
from storage_backup.contract import CONTROL_QUEUE

BROKER_URL_ENV = "STORAGE_BACKUP_BROKER_URL"
RESULT_BACKEND_ENV = "STORAGE_BACKUP_RESULT_BACKEND"

# Default limits for every task; a task states tighter ones where it knows better. A backup of a large volume
# runs for hours, so the hard limit is generous, but it exists: a hung attach must not hold a worker forever.
DEFAULT_SOFT_TIME_LIMIT = 12 * 3600
DEFAULT_TIME_LIMIT = DEFAULT_SOFT_TIME_LIMIT + 600


def broker_url() -> str:
    url = os.environ.get(BROKER_URL_ENV)
    if not url:
        raise RuntimeError(f"{BROKER_URL_ENV} is not set: point it at the backup service's Redis, e.g. "
                           "redis://127.0.0.1:6390/0 (make demo writes it to .demo/endpoints.json)")
    return url


def _settings() -> dict:
    url = broker_url()
    return {
        "broker_url": url,
        "result_backend": os.environ.get(RESULT_BACKEND_ENV) or url,
        **RECONNECTING,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        # Off until the backup tasks are idempotent: a redelivered half-done backup must not run twice.
        "task_acks_late": False,
        "task_soft_time_limit": DEFAULT_SOFT_TIME_LIMIT,
        "task_time_limit": DEFAULT_TIME_LIMIT,
        "task_track_started": True,
        # Tasks are long and few: a worker takes one at a time per process, so another proxy can take the next.
        "worker_prefetch_multiplier": 1,
        "task_default_queue": CONTROL_QUEUE,
        "result_expires": 7 * 24 * 3600,
        # Never: an extended result keeps the task's arguments in Redis for result_expires (docs/TASKS.md).
        "result_extended": False,
        "timezone": "UTC",
        "enable_utc": True,
    }


app = Celery("storage_backup", include=["storage_backup.proxy.tasks", "storage_backup.proxy.backup_tasks",
                                         "storage_backup.proxy.restore_tasks", "storage_backup.proxy.data_tasks",
                                         "storage_backup.ceph.tasks"])
app.add_defaults(_settings)


@signals.worker_init.connect
def _remember_pool_size(sender=None, **_) -> None:
    """The pool size, inherited by the prefork children: the share of the proxy's read limit each takes while Redis
    cannot hold the shared bucket (``pipeline/read_limit.py``)."""
    from storage_backup.pipeline import read_limit

    try:
        read_limit.proxy_limit_mbps()
    except ValueError as error:  # said at start; each backup then fails naming the setting rather than read uncapped
        logging.getLogger(__name__).error("%s", error)
    concurrency = getattr(sender, "concurrency", None)
    if isinstance(concurrency, int) and concurrency > 0:
        read_limit.pool_size = concurrency


@signals.worker_init.connect
def _ensure_worker_key(**_) -> None:
    """A worker makes its key pair on its first start (``STORAGE_BACKUP_PROXY_KEY_FILE``) and logs what to enrol."""
    from storage_backup.proxy import worker_key

    worker_key.ensure_on_start()
