# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control worker's Celery app: Django set up, tasks on queue ``control``, beat's schedule.

``celery -A storage_backup.control.worker worker -Q control`` and ``celery -A storage_backup.control.worker beat``;
both read
the same environment as the REST API (``storage_backup.settings``) plus ``STORAGE_BACKUP_BROKER_URL``.
"""
from __future__ import annotations

import os

import django
from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storage_backup.settings")
django.setup()

from django.conf import settings  # noqa: E402  (after django.setup)

from storage_backup.celery_reconnect import RECONNECTING  # noqa: E402
from storage_backup.services import vanished  # noqa: E402
from storage_backup.services.lock_maintenance import check_seconds  # noqa: E402

CONTROL = settings.CONTROL
NOTIFICATIONS = settings.NOTIFICATIONS

app = Celery("storage_backup_control", include=["storage_backup.control.tasks"])
app.conf.update(
    broker_url=settings.BROKER_URL,
    result_backend=settings.RESULT_URL,
    **RECONNECTING,  # the control worker and beat ride out a Redis restart as the workers do
    task_serializer="json", result_serializer="json", accept_content=["json"], result_accept_content=["json"],
    task_default_queue="control",
    task_routes={"control.*": {"queue": "control"}},
    task_soft_time_limit=1800, task_time_limit=1900,
    worker_prefetch_multiplier=1,
    result_expires=24 * 3600,
    timezone="UTC", enable_utc=True,
    beat_schedule_filename=os.path.join(settings.DATA_DIR, "beat-schedule"),
    beat_schedule={
        # Expiring messages: a backlog after an outage collapses into the next run instead of a burst.
        "tick": {"task": "control.tick", "schedule": CONTROL["tick_seconds"],
                 "options": {"expires": CONTROL["tick_seconds"]}},
        "heartbeat": {"task": "control.heartbeat", "schedule": CONTROL["heartbeat_seconds"],
                      "options": {"expires": CONTROL["heartbeat_seconds"]}},
        "retention": {"task": "control.retention", "schedule": CONTROL["retention_seconds"],
                      "options": {"expires": CONTROL["retention_seconds"]}},
        "lock-maintenance": {"task": "control.lock_maintenance", "schedule": check_seconds(),
                             "options": {"expires": check_seconds()}},
        "sweeper": {"task": "control.sweep", "schedule": CONTROL["sweeper_seconds"],
                    "options": {"expires": CONTROL["sweeper_seconds"]}},
    },
)
if vanished.interval():  # STORAGE_BACKUP_VANISHED_CHECK_INTERVAL=0: the periodic check is off
    app.conf.beat_schedule["vanished-check"] = {"task": "control.vanished_check", "schedule": vanished.check_seconds(),
                                                "options": {"expires": vanished.check_seconds()}}
