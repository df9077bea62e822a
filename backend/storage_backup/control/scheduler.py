# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Dispatch due policies: for each enabled policy whose cron fired (in its time zone, inside its window), queue
a scheduled backup of each instance it protects, through the service layer as ``SYSTEM``."""
from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from storage_backup.catalog.models import Job, Policy
from storage_backup.services import jobs, schedule
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import Conflict, ServiceError

LOG = logging.getLogger(__name__)


def run_due_policies(now: dt.datetime | None = None) -> list[Job]:
    now = now or timezone.now()
    created = []
    for policy in Policy.objects.filter(enabled=True).exclude(schedule=""):
        fire = schedule.due_fire(policy.schedule, policy.timezone, policy.last_scheduled_at, now,
                                 policy.window_start, policy.window_end, created=policy.created_at)
        if fire is None or (policy.last_scheduled_at and fire <= policy.last_scheduled_at):
            continue
        # Claim this fire: only one control worker (or tick) wins even when several run at once.
        if not Policy.objects.filter(pk=policy.pk, last_scheduled_at=policy.last_scheduled_at).update(
                last_scheduled_at=fire):
            continue
        LOG.info("policy %s (%s) fired at %s", policy.id, policy.name, fire.isoformat())
        for assignment in policy.assignments.all():
            created += _backup(policy, assignment.instance_id, assignment.project_id, fire)
    return created


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
