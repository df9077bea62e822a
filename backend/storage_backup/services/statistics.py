# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the administrators' overview shows: protection coverage, job outcomes per day, stored bytes over time,
data reduction, the projects using most, and what needs attention. Also each destination's capacity, and each
project's usage against its quotas.

Aggregates run in the database (grouped counts and sums), so the overview costs about the same with 10,000 restore
points as with 10; only the reduction ratios read the per-volume figures, of the period's restore points alone.
"""
from __future__ import annotations

import datetime as dt
import logging
import os

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from storage_backup.catalog.models import (
    Destination,
    Job,
    JobState,
    Policy,
    ProtectedInstance,
    Proxy,
    Quota,
    RestorePoint,
    UnresolvedLeftover,
)
from storage_backup.policies import destinations as destination_rules
from storage_backup.policies import usage as usage_rules
from storage_backup.services import inventory, lock_maintenance, proxies, quotas, vanished, vault_health
from storage_backup.services.context import Caller, allowed, authorize
from storage_backup.services.errors import ServiceError, ValidationFailed

LOG = logging.getLogger(__name__)
PERIODS = (7, 30, 90)
TOP_PROJECTS = 5
ATTENTION_ROWS = 10


def _days(days: int, now: dt.datetime) -> list[dt.date]:
    today = now.date()
    return [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _service_project() -> str:
    try:
        return inventory.service_cloud().project_id or ""
    except Exception as error:  # the count below says what is wrong with the cloud
        LOG.warning("cannot tell the backup service's own project: %s", error)
        return ""


def _instances(exclude_projects: set[str]) -> dict:
    """Every instance in the cloud against the catalog's protections (the proxies' own project left out)."""
    exclude_projects = exclude_projects | {_service_project()}
    try:
        instances = [i for i in inventory.list_instances() if i.project_id not in exclude_projects]
    except ServiceError as error:
        LOG.warning("cannot count the cloud's instances: %s", error)
        protected = ProtectedInstance.objects.count()
        return {"total": None, "protected": protected, "unprotected": None, "error": error.message}
    live = {instance.id for instance in instances}
    protected = ProtectedInstance.objects.filter(instance_id__in=live).count() if live else 0
    return {"total": len(live), "protected": protected, "unprotected": len(live) - protected, "error": ""}


def _jobs_per_day(since: dt.datetime, days: list[dt.date]) -> list[dict]:
    rows = (Job.objects.filter(finished_at__gte=since, type__in=("backup", "restore", "restore_volume"))
            .annotate(day=TruncDate("finished_at")).values("day", "state").annotate(count=Count("id")))
    table = {day: {"date": day.isoformat(), "succeeded": 0, "failed": 0, "cancelled": 0} for day in days}
    for row in rows:
        entry = table.get(row["day"])
        if entry is not None and row["state"] in entry:
            entry[row["state"]] += row["count"]
    return [table[day] for day in days]


def _stored_per_day(since: dt.datetime, days: list[dt.date]) -> list[dict]:
    """Bytes the catalog's restore points hold at the end of each day (those deleted since are not counted)."""
    before = RestorePoint.objects.filter(created_at__lt=since).aggregate(total=Sum("bytes_stored"), count=Count("id"))
    running_bytes, running_count = before["total"] or 0, before["count"] or 0
    rows = (RestorePoint.objects.filter(created_at__gte=since).annotate(day=TruncDate("created_at")).values("day")
            .annotate(total=Sum("bytes_stored"), count=Count("id")))
    added = {row["day"]: row for row in rows}
    series = []
    for day in days:
        row = added.get(day)
        if row:
            running_bytes += row["total"] or 0
            running_count += row["count"] or 0
        series.append({"date": day.isoformat(), "bytes_stored": running_bytes, "restore_points": running_count})
    return series


def _reduction(since: dt.datetime) -> dict:
    """Deduplication and compression over the period's backups, from the per-volume figures the proxies report:
    the non-zero data of the volumes against the new unique data written for it (deduplication, incremental
    backups included), and that new data against what it took once compressed."""
    totals = RestorePoint.objects.aggregate(logical=Sum("bytes_total"), read=Sum("bytes_read"),
                                            stored=Sum("bytes_stored"))
    considered = new = stored_new = 0
    for volumes in RestorePoint.objects.filter(created_at__gte=since).values_list("volumes", flat=True).iterator():
        for volume in volumes or []:
            size = int(volume.get("size") or 0)
            if "bytes_new" in volume:
                fresh = int(volume.get("bytes_new") or 0)
            elif volume.get("blocks_total"):
                fresh = int(volume.get("blocks_new") or 0) * size // int(volume["blocks_total"])
            else:
                continue
            considered += max(size - int(volume.get("bytes_zero") or 0), 0)
            new += fresh
            stored_new += int(volume.get("bytes_stored") or 0)
    logical, read, stored = totals["logical"] or 0, totals["read"] or 0, totals["stored"] or 0
    return {
        "logical_bytes": logical, "bytes_read": read, "bytes_stored": stored,
        # The volumes' non-zero data read per byte stored: provisioned space never written (a 10 GiB volume
        # holding 100 MiB) is no reduction the product made (it showed 1588x).
        "reduction_ratio": round(read / stored, 2) if stored else None,
        "deduplication_ratio": round(considered / new, 2) if new else None,
        "compression_ratio": round(new / stored_new, 2) if stored_new else None,
    }


def _top_projects() -> list[dict]:
    rows = (RestorePoint.objects.values("project_id").annotate(bytes_stored=Sum("bytes_stored"),
                                                               restore_points=Count("id"))
            .order_by("-bytes_stored", "project_id")[:TOP_PROJECTS])
    protected = dict(ProtectedInstance.objects.filter(project_id__in=[row["project_id"] for row in rows])
                     .values("project_id").annotate(count=Count("instance_id")).values_list("project_id", "count"))
    return [{"project_id": row["project_id"], "bytes_stored": row["bytes_stored"] or 0,
             "restore_points": row["restore_points"], "protected_instances": protected.get(row["project_id"], 0)}
            for row in rows]


def _attention(since: dt.datetime, now: dt.datetime) -> dict:
    failed = Job.objects.filter(state=JobState.FAILED, finished_at__gte=since).order_by("-finished_at")
    waiting = Job.objects.filter(state=JobState.QUEUED).exclude(waiting_reason="").order_by("created_at")
    down = [proxy for proxy in Proxy.objects.all() if not proxies.is_up(proxy, now)]
    # Policies the scheduler skips (each on its own, the others run): their backups do not happen until mended.
    failing = Policy.objects.filter(enabled=True).exclude(schedule_error="").order_by("schedule_failed_at", "id")
    return {
        "failed_jobs_count": failed.count(),
        "failed_jobs": [{"id": job.id, "type": job.type, "project_id": job.project_id,
                         "instance_name": job.instance_name or job.instance_id, "error": job.error,
                         "finished_at": job.finished_at} for job in failed[:ATTENTION_ROWS]],
        "waiting_jobs": [{"id": job.id, "type": job.type, "project_id": job.project_id,
                          "instance_name": job.instance_name or job.instance_id, "reason": job.waiting_reason,
                          "created_at": job.created_at} for job in waiting[:ATTENTION_ROWS]],
        "proxies_down": [{"hostname": proxy.hostname, "availability_zone": proxy.availability_zone,
                          "last_heartbeat": proxy.last_heartbeat} for proxy in down],
        "failing_policies_count": failing.count(),
        "failing_policies": [{"id": policy.id, "name": policy.name, "project_id": policy.project_id,
                              "shared": policy.shared, "error": policy.schedule_error,
                              "since": policy.schedule_failed_at} for policy in failing[:ATTENTION_ROWS]],
        # S3 destinations whose Object Lock retention is not being extended: a pass failed, or none ran for 1.5
        # intervals (services/lock_maintenance.py): their protection is ending.
        "lock_maintenance": lock_maintenance.attention(now),
        # Locked restore points whose documents were removed on the storage (services/vanished.py).
        "vanished_restore_points": vanished.attention(),
        # Vaults whose worker went silent or whose copies lag (services/vault_health.py): the air gap's protection
        # ends without anybody being told otherwise, as the control plane never calls the vault.
        "vaults": vault_health.attention(now),
        # Temporary resources of dead jobs the sweeper could not remove (it says why): an operator's to finish.
        "unresolved_leftovers": [{"resource_type": row.resource_type, "resource_id": row.resource_id,
                                  "status": row.status, "job_id": row.job_id, "project_id": row.project_id,
                                  "reason": row.reason, "since": row.first_seen}
                                 for row in UnresolvedLeftover.objects.all()[:ATTENTION_ROWS]],
    }


def overview(caller: Caller, days: int = 7, exclude_projects: set[str] | None = None) -> dict:
    authorize(caller, usage_rules.OVERVIEW)
    if days not in PERIODS:
        raise ValidationFailed("days", f"must be one of: {', '.join(str(p) for p in PERIODS)}")
    now = timezone.now()
    calendar = _days(days, now)
    since = dt.datetime.combine(calendar[0], dt.time.min, tzinfo=dt.UTC)
    job_days = _jobs_per_day(since, calendar)
    outcomes = {state: sum(day[state] for day in job_days) for state in ("succeeded", "failed", "cancelled")}
    ended = outcomes["succeeded"] + outcomes["failed"]
    all_proxies = list(Proxy.objects.all())
    return {
        "days": days,
        "generated_at": now,
        "instances": _instances(exclude_projects or set()),
        "jobs": {"per_day": job_days, "totals": outcomes,
                 "success_rate": round(outcomes["succeeded"] / ended, 3) if ended else None,
                 "active": Job.objects.filter(Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING)).count()},
        "stored": {"per_day": _stored_per_day(since, calendar)},
        "data": _reduction(since),
        "top_projects": _top_projects(),
        "proxies": {"up": sum(1 for proxy in all_proxies if proxies.is_up(proxy, now)),
                    "down": sum(1 for proxy in all_proxies if not proxies.is_up(proxy, now))},
        "attention": _attention(since, now),
    }


def destination_usage(caller: Caller) -> list[dict]:
    """Per destination: restore points and bytes stored there (catalog), and the filesystem's size and free space
    where the control plane reaches its path (as it must, to delete and lock restore points)."""
    authorize(caller, destination_rules.LIST)
    # A vault-only restore point holds nothing on its (primary) destination any more.
    sums = {row["destination_id"]: row for row in RestorePoint.objects.filter(vault_only=False).values(
        "destination_id").annotate(restore_points=Count("id"), bytes_stored=Sum("bytes_stored"))}
    result = []
    for destination in Destination.objects.all():
        row = sums.get(destination.id, {})
        entry = {"destination_id": destination.id, "restore_points": row.get("restore_points", 0),
                 "bytes_stored": row.get("bytes_stored") or 0, "filesystem_bytes": None, "filesystem_free": None,
                 "reachable": os.path.isdir(destination.path)}
        if entry["reachable"]:
            stats = os.statvfs(destination.path)
            entry["filesystem_bytes"] = stats.f_blocks * stats.f_frsize
            entry["filesystem_free"] = stats.f_bavail * stats.f_frsize
        result.append(entry)
    return result


def project_usage(caller: Caller, project_id: str | None = None) -> list[dict]:
    """Per project: protected instances, restore points, stored bytes and quotas, the most stored first (then by
    project ID). Administrators whom ``storage_backup:usage:list_all`` lets get every project that has any of them
    or a quota of its own (or the one asked for); anyone else gets their own project. Three queries, whatever the
    number of projects."""
    authorize(caller, usage_rules.LIST)
    if not (caller.is_admin and allowed(caller, usage_rules.LIST_ALL)):
        project_id = caller.project_id
    points = RestorePoint.objects.order_by()
    protected = ProtectedInstance.objects.order_by()
    quota_rows = Quota.objects.order_by()
    if project_id is not None:
        points = points.filter(project_id=project_id)
        protected = protected.filter(project_id=project_id)
        quota_rows = quota_rows.filter(project_id__in=["", project_id])
    stored = {row["project_id"]: row for row in points.values("project_id").annotate(
        restore_points=Count("id"), stored_bytes=Sum("bytes_stored"))}
    instances = dict(protected.values("project_id").annotate(count=Count("instance_id"))
                     .values_list("project_id", "count"))
    rows = {row.project_id: row for row in quota_rows}
    projects = {project_id} if project_id is not None else set(stored) | set(instances) | (set(rows) - {""})
    usage = [{"project_id": project,
              "protected_instances": instances.get(project, 0),
              "restore_points": stored.get(project, {}).get("restore_points", 0),
              "stored_bytes": stored.get(project, {}).get("stored_bytes") or 0,
              "quota": quotas.limits_of(project, rows)} for project in projects]
    return sorted(usage, key=lambda row: (-row["stored_bytes"], row["project_id"]))
