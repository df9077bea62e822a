# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Enforce retention: per policy and instance, delete the restore points its rules no longer keep, then prune the
destinations that lost restore points, so their space actually comes back.

Locked (WORM) points and points younger than the minimum age are never deleted; each run that deletes
something leaves a ``retention`` job with the list in its log, and each prune a ``retention`` job saying what it
freed. A prune the repository refuses (a backup or restore holds it) is tried again at the next run.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from storage_backup.catalog.models import Destination, Job, JobState, JobType, Policy, RestorePoint
from storage_backup.services import audit, repository_access, restore_points
from storage_backup.services.context import SYSTEM
from storage_backup.services.jobs import log_entry
from storage_backup.services.retention import Point, Rules, decide

LOG = logging.getLogger(__name__)


def rules_of(policy: Policy) -> Rules:
    return Rules(keep_last=policy.keep_last, keep_daily=policy.keep_daily, keep_weekly=policy.keep_weekly,
                 keep_monthly=policy.keep_monthly, keep_yearly=policy.keep_yearly,
                 min_age_days=policy.min_age_days, timezone=policy.timezone)


def enforce(now: dt.datetime | None = None) -> list[Job]:
    now = now or timezone.now()
    jobs = []
    for policy in Policy.objects.all():
        instances = (RestorePoint.objects.filter(policy=policy).values_list("instance_id", flat=True)
                     .distinct().order_by())
        for instance_id in instances:
            job = enforce_instance(policy, instance_id, now)
            if job is not None:
                jobs.append(job)
    jobs += prune_destinations()
    return jobs


def prune_destinations() -> list[Job]:
    """Prune every destination a restore point was deleted from (by retention or by someone) since its last prune."""
    from storage_backup.repository import RepositoryLocked

    jobs = []
    for destination in Destination.objects.filter(id__in=repository_access.destinations_to_prune()):
        started = timezone.now()
        job = Job(type=JobType.RETENTION, project_id=destination.project_id, destination=destination,
                  started_at=started, scheduled=True, progress={"percent": 100},
                  log=[log_entry("prune", f"Pruning destination {destination.name}: removing the data no restore "
                                          "point references any more")])
        try:
            report = repository_access.prune(destination)
        except RepositoryLocked as error:  # still pending: the next run tries again
            LOG.info("prune of %s deferred: %s", destination.name, error)
            continue
        except Exception as error:
            LOG.exception("prune of %s failed", destination.name)
            job.state, job.error = JobState.FAILED, f"The prune of destination {destination.name} failed: {error}"
            job.log.append(log_entry("error", job.error))
        else:
            freed = report.bytes_freed if report else 0
            job.state = JobState.SUCCEEDED
            job.result = report.__dict__.copy() if report else {}
            job.log.append(log_entry("prune", f"Freed {freed} bytes: {report.packs_deleted if report else 0} pack(s) "
                                              f"deleted, {report.packs_repacked if report else 0} repacked"))
            audit.record(SYSTEM, "destination.prune", "destination", destination.id, "success",
                         f"freed {freed} bytes", project_id=destination.project_id)
        job.finished_at = timezone.now()
        job.save()
        jobs.append(job)
    return jobs


def enforce_instance(policy: Policy, instance_id: str, now: dt.datetime) -> Job | None:
    points = list(RestorePoint.objects.filter(policy=policy, instance_id=instance_id))
    decision = decide([Point(p.id, p.created_at, p.retention_lock_until) for p in points], rules_of(policy), now)
    if not decision.delete:
        return None
    by_id = {point.id: point for point in points}
    job = Job.objects.create(type=JobType.RETENTION, project_id=by_id[decision.delete[0]].project_id,
                             instance_id=instance_id, policy=policy, state=JobState.RUNNING,
                             started_at=timezone.now(), scheduled=True,
                             log=[log_entry("retention", f"{len(decision.delete)} restore point(s) past the "
                                                         f"rules of policy {policy.name}")])
    failures = []
    for point_id in decision.delete:
        try:
            restore_points.delete_for_retention(by_id[point_id])
            job.log.append(log_entry("deleted", f"Deleted restore point {point_id}"))
        except Exception as error:
            failures.append(point_id)
            job.log.append(log_entry("error", f"Could not delete {point_id}: {error}"))
    job.state = JobState.FAILED if failures else JobState.SUCCEEDED
    job.error = f"{len(failures)} restore point(s) could not be deleted" if failures else ""
    job.finished_at = timezone.now()
    job.progress = {"percent": 100}
    job.save()
    return job
