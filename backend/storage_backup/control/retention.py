# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Enforce retention: per policy and instance, delete the restore points its rules no longer keep, then prune the
destinations that lost restore points, so their space actually comes back.

Locked (WORM) points and points younger than the minimum age are never deleted. Everything goes through the service
layer as the control plane's ``SYSTEM`` caller, and the repository work runs on a data worker: each policy and
instance with points past its rules gets a ``delete`` job (the points leave the catalog at once), each destination
that lost points a ``prune`` job. A prune the repository refuses (a backup or restore holds it) is tried again by the
job's retries, then at the next run.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from storage_backup.catalog.models import Destination, Job, Policy, RestorePoint
from storage_backup.services import audit, data_plane, jobs
from storage_backup.services.context import SYSTEM
from storage_backup.services.errors import ServiceError
from storage_backup.services.retention import Point, Rules, decide

LOG = logging.getLogger(__name__)


def rules_of(policy: Policy) -> Rules:
    return Rules(keep_last=policy.keep_last, keep_daily=policy.keep_daily, keep_weekly=policy.keep_weekly,
                 keep_monthly=policy.keep_monthly, keep_yearly=policy.keep_yearly,
                 min_age_days=policy.min_age_days, timezone=policy.timezone)


def enforce(now: dt.datetime | None = None) -> list[Job]:
    now = now or timezone.now()
    made = []
    for policy in Policy.objects.all():
        instances = (RestorePoint.objects.filter(policy=policy, vault_only=False).values_list("instance_id", flat=True)
                     .distinct().order_by())
        for instance_id in instances:
            made += enforce_instance(policy, instance_id, now)
    made += prune_destinations()
    return made


def prune_destinations() -> list[Job]:
    """A ``prune`` job for every destination a restore point was deleted from since its last prune (none while one
    of its prunes is queued or running: it takes this deletion too, or the next run does)."""
    made = []
    for destination in Destination.objects.filter(id__in=data_plane.destinations_to_prune()):
        try:
            made.append(jobs.create_prune(SYSTEM, destination, f"Pruning destination {destination.name}: removing "
                                                               "the data no restore point references any more"))
        except ServiceError as error:
            LOG.info("prune of %s not queued: %s", destination.name, error.message)
    return made


def enforce_instance(policy: Policy, instance_id: str, now: dt.datetime) -> list[Job]:
    """A ``delete`` job for the instance's points past the policy's rules, per destination (a policy may have
    changed destination), or none."""
    # A vault-only point was put back on purpose, and its primary holds nothing to delete: retention leaves it.
    points = list(RestorePoint.objects.filter(policy=policy, instance_id=instance_id, vault_only=False)
                  .select_related("destination"))
    decision = decide([Point(p.id, p.created_at, p.retention_lock_until) for p in points], rules_of(policy), now)
    if not decision.delete:
        return []
    doomed = [point for point in points if point.id in set(decision.delete)]
    made = []
    for destination_id in sorted({point.destination_id for point in doomed}):
        batch = [point for point in doomed if point.destination_id == destination_id]
        try:
            job = jobs.create_delete(SYSTEM, batch, f"{len(batch)} restore point(s) past the rules of policy "
                                                    f"{policy.name}: " + ", ".join(point.id for point in batch),
                                     scheduled=True, policy=policy)
        except ServiceError as error:  # locked or being restored since the decision: the next run decides again
            LOG.info("retention of %s under policy %s deferred: %s", instance_id, policy.name, error.message)
            continue
        for point in batch:
            audit.record(SYSTEM, "restore_point.delete", "restore_point", point.id, "success",
                         f"retention of policy {policy.name}: job {job.id}", project_id=point.project_id)
        made.append(job)
    return made
