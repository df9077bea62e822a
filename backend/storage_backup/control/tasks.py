# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Celery tasks of the control worker: thin wrappers over ``storage_backup.control`` and ``storage_backup.services``."""
from __future__ import annotations

import logging

from storage_backup.control import heartbeat, retention, scheduler, sweeper
from storage_backup.control.worker import CONTROL, app
from storage_backup.services import assignments, dispatch, tracking
from storage_backup.services.bus import DISPATCH_TASK
from storage_backup.services.errors import ServiceError

LOG = logging.getLogger(__name__)


@app.task(name="control.tick")
def tick() -> dict:
    """Every few seconds: auto-assign tagged instances, queue due policies, send what can go, record results."""
    report = {}
    try:
        report["auto_assigned"] = [a.instance_id for a in assignments.auto_assign()]
    except ServiceError as error:  # the cloud being away must not stop tracking of running jobs
        LOG.warning("auto-assignment skipped: %s", error)
        report["auto_assigned"] = []
    report["scheduled"] = [job.id for job in scheduler.run_due_policies()]
    report["changed"] = tracking.sync_active()
    report["submitted"] = dispatch.dispatch_ready()
    return report


@app.task(name="control.sync_jobs")
def sync_jobs() -> dict:
    changed = tracking.sync_active()
    return {"changed": changed, "submitted": dispatch.dispatch_ready()}


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


@app.task(name="control.sweep")
def sweep(grace_seconds: float | None = None, stuck_seconds: float | None = None) -> dict:
    return sweeper.sweep(grace_seconds, stuck_seconds).as_dict()
