# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Restore points: the catalog's index of what the repositories hold, their WORM locks, their deletion.

The catalog changes at once; the repository follows by a job on a data worker (``delete``, ``lock``): the control
plane opens no repository.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from storage_backup.catalog.models import DEFAULT_MAX_LOCK_DAYS, Destination, Job, JobType, RestorePoint
from storage_backup.contract import BackupResult
from storage_backup.policies import restore_points as rules
from storage_backup.services import jobs, vault, vault_recovery
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize, check_visible, listing, scope_queryset
from storage_backup.services.errors import Conflict, NotFound, ValidationFailed


def list_restore_points(caller: Caller, instance_id: str | None = None, project_id: str | None = None):
    caller = listing(caller, rules.LIST, rules.LIST_ALL)
    queryset = scope_queryset(caller, RestorePoint.objects.all(), project_id=project_id)
    if instance_id:
        queryset = queryset.filter(instance_id=instance_id)
    return queryset


def get_restore_point(caller: Caller, restore_point_id: str) -> RestorePoint:
    point = RestorePoint.objects.select_related("destination").filter(id=restore_point_id).first()
    if point is None:
        raise NotFound(f"Restore point {restore_point_id} could not be found.")
    check_visible(caller, point.project_id, "Restore point", restore_point_id)
    authorize(caller, rules.GET, {"project_id": point.project_id})
    return point


def is_locked(point: RestorePoint, now: dt.datetime | None = None) -> bool:
    return point.retention_lock_until is not None and point.retention_lock_until > (now or timezone.now())


def refuse_if_locked(point: RestorePoint) -> None:
    if is_locked(point):
        raise Conflict(f"Restore point {point.id} is under a retention lock until "
                       f"{point.retention_lock_until.isoformat()}; nobody, administrators included, can delete it "
                       "before then.")


def check_lock_date(destination: Destination | None, until: dt.datetime,
                    now: dt.datetime | None = None) -> dt.datetime:
    """``until`` in UTC if a retention lock may end then: in the future, and at most the destination's
    ``max_lock_days`` ahead (a lock cannot be taken back, so a typo must not pin data for ever); else 400."""
    field = "retention_lock_until"
    if until.tzinfo is None:
        raise ValidationFailed(field, "must carry a time zone (e.g. 2030-01-01T00:00:00Z)")
    now = now or timezone.now()
    max_days = destination.max_lock_days if destination is not None else DEFAULT_MAX_LOCK_DAYS
    latest = now + dt.timedelta(days=max_days)
    try:
        until = until.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationFailed(field, "is out of range; give a date in the future") from None
    if until <= now:
        raise ValidationFailed(field, f"must be in the future (it is {until.isoformat()}; now is "
                                      f"{now.replace(microsecond=0).isoformat()})")
    if until > latest:
        raise ValidationFailed(field, f"may be at most {max_days} days ahead on this destination (until "
                                      f"{latest.replace(microsecond=0).isoformat()}); an administrator sets that "
                                      "limit as the destination's max_lock_days")
    return until


def delete_restore_point(caller: Caller, restore_point_id: str) -> Job | None:
    """Remove it from the catalog now and from the repository by a ``delete`` job; a WORM lock refuses it (409)
    for everyone. A vault-only restore point leaves the catalog alone (no job: its primary holds nothing, and no
    deletion reaches a vault); its vault copy stays, the only copy again."""
    with audited(caller, "restore_point.delete", "restore_point", restore_point_id) as target:
        point = get_restore_point(caller, restore_point_id)
        target.project_id = point.project_id
        authorize(caller, rules.DELETE, {"project_id": point.project_id})
        refuse_if_locked(point)
        # (The delete job of a vault-only point's former primary copy may still be queued: not a use of it.)
        if Job.objects.filter(restore_point_id=point.id, state__in=("queued", "running")).exclude(
                type=JobType.DELETE).exists():
            raise Conflict(f"Restore point {point.id} is being restored; wait for that job to end.")
        if point.vault_only:
            with transaction.atomic():
                vault.primary_deleted([point.id])
                point.delete()
            target.detail = "vault-only: removed from the catalog; its vault copy stays"
            return None
        job = jobs.create_delete(caller, [point], f"Deletion of restore point {point.id} of "
                                                  f"{point.instance_name or point.instance_id} requested by "
                                                  f"{caller.user_name or caller.user_id}")
        target.detail = f"job {job.id}"
        return job


def extend_lock(caller: Caller, restore_point_id: str, until: dt.datetime | None) -> RestorePoint:
    """Set or lengthen the WORM lock; shortening or removing an active lock is refused for everyone.

    The catalog holds the lock at once, and every deletion is refused by the catalog first; a ``lock`` job writes
    it into the repository too (docs/TASKS.md, "Retention locks"), without the request waiting for a data worker."""
    with audited(caller, "restore_point.lock", "restore_point", restore_point_id) as target:
        with transaction.atomic():
            point = get_restore_point(caller, restore_point_id)
            target.project_id = point.project_id
            authorize(caller, rules.LOCK, {"project_id": point.project_id})
            vault_recovery.refuse_vault_only(point, "locked (the lock is written into the primary's repository)")
            if until is not None:
                until = check_lock_date(point.destination, until)
            if is_locked(point) and (until is None or until < point.retention_lock_until):
                raise Conflict(f"Restore point {point.id} is locked until {point.retention_lock_until.isoformat()}; "
                               "a retention lock can be extended but never shortened or removed.")
            changed = until is not None and until != point.retention_lock_until
            point.retention_lock_until = until
            point.save(update_fields=["retention_lock_until"])
            if changed:
                jobs.create_lock(caller, point, until)
            target.detail = f"until {until.isoformat() if until else None}"
            return point


def _when(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value or "")) or timezone.now()
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def backup_strategy(result: dict, requested: str) -> str:
    """What the restore point is, from what the proxy did with each volume: ``incremental`` when any volume was
    stored against an earlier restore point, else ``full`` (an incremental asked for the first time is a full)."""
    strategies = {volume.get("strategy") for volume in result.get("volumes") or []}
    if not strategies or None in strategies:
        return requested
    return "incremental" if strategies & {"incremental", "changed-extents"} else "full"


def record_backup_result(job: Job, result: BackupResult) -> RestorePoint:
    """Index the restore point a finished backup job reports (docs/TASKS.md ``BackupResult``): what the UI shows of
    it — full or incremental, consistency, bytes read and stored, per-volume figures, the retention lock."""
    volumes = [volume.to_message() for volume in result.volumes]
    point, _ = RestorePoint.objects.update_or_create(id=result.restore_point_id, defaults={
        "project_id": job.project_id, "instance_id": job.instance_id, "instance_name": job.instance_name,
        "availability_zone": job.availability_zone, "policy": job.policy, "destination": job.destination,
        "job_id": job.id, "created_at": _when(result.created_at),
        "strategy": backup_strategy({"volumes": volumes}, job.strategy), "consistency": result.consistency,
        "bytes_read": result.bytes_read, "bytes_stored": result.bytes_stored,
        "bytes_total": int(job.progress.get("bytes_total") or result.bytes_total or 0),
        "volumes": volumes, "metadata": result.metadata,
        "retention_lock_until": parse_datetime(job.request.get("retention_lock_until") or "") or None,
    })
    vault.ensure_copy(point)  # the policy's vault worker copies it at its next window
    return point

