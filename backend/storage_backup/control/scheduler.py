# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Dispatch due policies: for each enabled policy whose cron fired (in its time zone, inside its time window), queue
a scheduled backup of each instance it protects, through the service layer as ``SYSTEM``.

Each policy is on its own: one whose schedule cannot be computed (stored before the API refused it, a time zone
gone from the system's database, …) is recorded on the policy (``schedule_error``, shown on the administrators'
overview) and skipped, and every other policy runs.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from storage_backup.catalog.models import Job, Policy
from storage_backup.services import jobs, schedule
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import Conflict, ServiceError

LOG = logging.getLogger(__name__)


@dataclass
class ScheduleRun:
    """What one pass queued, and the policies that failed with why (policy ID → error)."""

    jobs: list[Job] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def run_due_policies(now: dt.datetime | None = None) -> ScheduleRun:
    now = now or timezone.now()
    run = ScheduleRun()
    for policy in Policy.objects.filter(enabled=True).exclude(schedule=""):
        try:
            _run_policy(policy, now, run.jobs)
        except Exception as error:  # this policy's fault must not stop the others
            message = error.message if isinstance(error, ServiceError) else f"{type(error).__name__}: {error}"
            if message != policy.schedule_error:  # once per new error, not at every tick
                LOG.warning("policy %s (%s, project %s) could not be scheduled: %s", policy.id, policy.name,
                            policy.project_id or "shared", message, exc_info=not isinstance(error, ServiceError))
            run.failed[policy.id] = message
            _record_failure(policy, message, now)
        else:
            if policy.schedule_error or policy.schedule_failed_at:
                Policy.objects.filter(pk=policy.pk).update(schedule_error="", schedule_failed_at=None)
    return run


def _run_policy(policy: Policy, now: dt.datetime, created: list[Job]) -> None:
    """Queue the policy's backups if it is due, into ``created`` (kept there should a later one fail)."""
    # Refused by the API now; one stored by an older release is reported, never searched for a run it lacks.
    schedule.check(policy.schedule, policy.timezone, policy.window_start, policy.window_end, now)
    fire = schedule.due_fire(policy.schedule, policy.timezone, policy.last_scheduled_at, now,
                             policy.window_start, policy.window_end, created=policy.created_at)
    if fire is None or (policy.last_scheduled_at and fire <= policy.last_scheduled_at):
        return
    # Claim this fire: only one control worker (or tick) wins even when several run at once.
    if not Policy.objects.filter(pk=policy.pk, last_scheduled_at=policy.last_scheduled_at).update(
            last_scheduled_at=fire):
        return
    LOG.info("policy %s (%s) fired at %s", policy.id, policy.name, fire.isoformat())
    for assignment in policy.assignments.all():
        created += _backup(policy, assignment.instance_id, assignment.project_id, fire)


def _record_failure(policy: Policy, message: str, now: dt.datetime) -> None:
    """Keep the first failure's time (how long it has been failing) and the latest message."""
    try:
        Policy.objects.filter(pk=policy.pk).update(schedule_error=message[:2000],
                                                   schedule_failed_at=policy.schedule_failed_at or now)
    except Exception:  # the catalog itself failing is the tick's to report
        LOG.exception("could not record the failure of policy %s", policy.id)


def _backup(policy: Policy, instance_id: str, project_id: str, fire: dt.datetime) -> list[Job]:
    try:
        return [jobs.create_backup(SYSTEM, instance_id, scheduled=True)]
    except Conflict as error:
        LOG.info("scheduled backup of %s skipped: %s", instance_id, error)
        return []
    except ServiceError as error:
        # Recorded as a failed job so the tenant sees why the scheduled backup did not happen.
        return [jobs.record_refused_backup(SYSTEM, policy, instance_id, project_id,
                                           f"Scheduled at {fire.isoformat()}: {error.message}")]
