# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Celery tasks of the control worker: thin wrappers over ``storage_backup.control`` and ``storage_backup.services``."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from storage_backup.control import heartbeat, lock_maintenance, retention, scheduler, sweeper, vanished_check
from storage_backup.control.worker import CONTROL, NOTIFICATIONS, app
from storage_backup.notifications import delivery
from storage_backup.notifications.events import NOTIFY_TASK
from storage_backup.services import assignments, dispatch, tracking
from storage_backup.services.bus import DISPATCH_TASK
from storage_backup.services.errors import ServiceError

LOG = logging.getLogger(__name__)


def _stage(report: dict, name: str, run: Callable[[], Any]) -> Any:
    """Run one stage of the tick on its own: its failure is logged and reported, and the next stages still run
    (a cloud away, or one stage's bug, must not stop the recording and dispatch of every project's jobs)."""
    try:
        return run()
    except Exception as error:
        message = error.message if isinstance(error, ServiceError) else f"{type(error).__name__}: {error}"
        LOG.warning("tick: stage %s failed: %s", name, message, exc_info=not isinstance(error, ServiceError))
        report["errors"][name] = message
        return None


@app.task(name="control.tick")
def tick() -> dict:
    """Every few seconds: auto-assign tagged instances, queue due policies, record results, send what can go.

    The report holds each stage's outcome (None where it failed), ``errors`` (stage → why) and ``failed_policies``
    (policy ID → why the scheduler skipped it)."""
    report: dict = {"errors": {}, "failed_policies": {}}
    assigned = _stage(report, "auto_assign", assignments.auto_assign)
    report["auto_assigned"] = [a.instance_id for a in assigned or []]
    run = _stage(report, "schedule", scheduler.run_due_policies)
    report["scheduled"] = [job.id for job in run.jobs] if run else []
    report["failed_policies"] = dict(run.failed) if run else {}
    report["changed"] = _stage(report, "track", tracking.sync_active)
    report["submitted"] = _stage(report, "dispatch", dispatch.dispatch_ready)
    return report


@app.task(name="control.sync_jobs")
def sync_jobs() -> dict:
    report: dict = {"errors": {}}
    report["changed"] = _stage(report, "track", tracking.sync_active)
    report["submitted"] = _stage(report, "dispatch", dispatch.dispatch_ready)
    return report


@app.task(name=DISPATCH_TASK)
def dispatch_now() -> dict:
    """Sent by the API when it recorded a job (``bus.wake_dispatcher``): the job goes now, not at the next tick."""
    return {"submitted": dispatch.dispatch_ready()}


@app.task(name="control.heartbeat")
def beat(wait: float = 10.0) -> dict:
    # Never wait longer than the period: a silent AZ must not pile heartbeats up behind it.
    answered = heartbeat.beat(wait=min(wait, max(CONTROL["heartbeat_seconds"] * 0.8, 0.5)), data=True)
    submitted = dispatch.dispatch_ready()  # a worker that came back takes its queue's waiting jobs at once
    return {"answered": answered, "submitted": submitted}


@app.task(name="control.retention")
def enforce_retention() -> dict:
    return {"jobs": [job.id for job in retention.enforce()]}


@app.task(name="control.lock_maintenance")
def maintain_locks() -> dict:
    """Queue the lock maintenance passes that are due (S3 destinations with Object Lock)."""
    return {"jobs": [job.id for job in lock_maintenance.schedule()]}


@app.task(name="control.vanished_check")
def check_vanished() -> dict:
    """Queue the checks for vanished locked restore points that are due (``services/vanished.py``)."""
    return {"jobs": [job.id for job in vanished_check.schedule()]}


@app.task(name="control.sweep")
def sweep(grace_seconds: float | None = None, stuck_seconds: float | None = None) -> dict:
    return sweeper.sweep(grace_seconds, stuck_seconds).as_dict()


# Notifications: bounded by their own time limit (a receiver or a transport that hangs holds one worker process for
# at most that long), and never retried by Celery: delivery retries webhooks itself, and an event is not worth more.
@app.task(name=NOTIFY_TASK, soft_time_limit=NOTIFICATIONS["task_time_limit"],
          time_limit=NOTIFICATIONS["task_time_limit"] + 10)
def notify(events: list[dict]) -> list[dict]:
    """A job's events (``storage_backup.notifications.events.announce``) on every channel that applies."""
    return delivery.deliver_all(events)


@app.task(name=delivery.WEBHOOK_TASK, soft_time_limit=NOTIFICATIONS["task_time_limit"],
          time_limit=NOTIFICATIONS["task_time_limit"] + 10)
def deliver_webhook(hook_id: str, event: dict, attempt: int, delivery_id: str) -> str:
    return delivery.deliver_webhook(hook_id, event, attempt, delivery_id)
