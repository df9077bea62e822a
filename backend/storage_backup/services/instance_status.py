# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How each of a page of instances is protected: policy, last restore point, last job, next scheduled run.

The Protected Instances panel lists the project's instances from Nova one page at a time; this answers for that
page only (a bounded list of IDs), with one query per kind of object, so a page costs the same with 10 or 10,000
restore points in the catalog.
"""
from __future__ import annotations

from django.db.models import Max
from django.utils import timezone

from storage_backup.catalog.models import Job, JobState, ProtectedInstance, RestorePoint
from storage_backup.policies import protected_instances as rules
from storage_backup.services import policies
from storage_backup.services.context import Caller, authorize, scope_queryset
from storage_backup.services.errors import ValidationFailed
from storage_backup.unprotected_disks import unprotected_disks

MAX_INSTANCES = 200
ACTIVE = (JobState.QUEUED, JobState.RUNNING)


def _next_run(policy, now):
    return policies.schedule_status(policy, now)[0]  # a schedule that cannot run shows no next run, never a 500


def _job(job: Job | None) -> dict | None:
    if job is None:
        return None
    return {"id": job.id, "type": job.type, "state": job.state, "created_at": job.created_at,
            "finished_at": job.finished_at, "error": job.error, "percent": (job.progress or {}).get("percent")}


def _latest_per_instance(queryset) -> dict:
    """The newest row of each instance: one grouped query for the times, one for the rows (index on both)."""
    latest = dict(queryset.order_by().values("instance_id").annotate(latest=Max("created_at"))
                  .values_list("instance_id", "latest"))
    found: dict = {}
    for row in queryset.filter(created_at__in=set(latest.values())).order_by("-created_at"):
        if row.created_at == latest.get(row.instance_id):
            found.setdefault(row.instance_id, row)
    return found


def summaries(caller: Caller, instance_ids: list[str]) -> list[dict]:
    """One entry per requested ID (in the caller's scope; another project's instance reads as unprotected)."""
    authorize(caller, rules.LIST)
    ids = list(dict.fromkeys(i for i in instance_ids if i))
    if len(ids) > MAX_INSTANCES:
        raise ValidationFailed("instance_id", f"at most {MAX_INSTANCES} instances per request")
    caller = caller.with_all_projects(caller.is_admin)  # an admin's page may hold any project's instances
    assignments = {a.instance_id: a for a in scope_queryset(
        caller, ProtectedInstance.objects.select_related("policy")).filter(instance_id__in=ids)}
    points = scope_queryset(caller, RestorePoint.objects.all()).filter(instance_id__in=ids)
    last_points = _latest_per_instance(points.only("id", "instance_id", "created_at", "strategy", "metadata"))
    jobs = scope_queryset(caller, Job.objects.all()).filter(instance_id__in=ids)
    last_jobs = _latest_per_instance(jobs)
    finished = _latest_per_instance(jobs.exclude(state__in=ACTIVE).filter(type="backup"))
    now = timezone.now()
    result = []
    for instance_id in ids:
        assignment = assignments.get(instance_id)
        point = last_points.get(instance_id)
        last = last_jobs.get(instance_id)
        result.append({
            "instance_id": instance_id,
            "protected": assignment is not None,
            "policy_id": assignment.policy_id if assignment else None,
            "policy_name": assignment.policy.name if assignment else "",
            "source": assignment.source if assignment else "",
            "next_run_at": _next_run(assignment.policy, now) if assignment else None,
            "last_restore_point": {"id": point.id, "created_at": point.created_at, "strategy": point.strategy}
            if point else None,
            # What the last restore point could not hold (the flavor's ephemeral disk and swap): said loudly.
            "unprotected_disks": unprotected_disks(point.metadata or {}) if point else [],
            "last_job": _job(last),
            "last_backup_result": _job(finished.get(instance_id)),
            "active_job": _job(last) if last is not None and last.state in ACTIVE else None,
        })
    return result
