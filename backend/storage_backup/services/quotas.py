# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Per project quotas (protected instances, restore points, stored bytes), checked before any work starts."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from storage_backup.catalog.models import ProtectedInstance, Quota, RestorePoint
from storage_backup.policies import quotas as rules
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize, check_visible
from storage_backup.services.errors import QuotaExceeded, ValidationFailed

LIMITS = ("protected_instances", "restore_points", "stored_bytes")


@dataclass
class Usage:
    project_id: str
    protected_instances: int
    restore_points: int
    stored_bytes: int
    limits: dict


def limits(project_id: str) -> dict:
    """The project's limits, falling back field by field to the defaults row (empty project); None = unlimited."""
    return limits_of(project_id, {row.project_id: row for row in Quota.objects.filter(project_id__in=["", project_id])})


def limits_of(project_id: str, rows: dict[str, Quota]) -> dict:
    """``limits`` from quota rows already read (project ID → row, the defaults under the empty ID)."""
    result = {}
    for name in LIMITS:
        value = None
        for key in (project_id, ""):
            row = rows.get(key)
            if row is not None and getattr(row, name) is not None:
                value = getattr(row, name)
                break
        result[name] = value
    return result


def usage(project_id: str) -> Usage:
    # A vault-only restore point takes nothing on the project's destinations: it does not count against the quota
    # (a project recovering from a mass deletion must still be able to back up).
    points = RestorePoint.objects.filter(project_id=project_id, vault_only=False)
    return Usage(project_id=project_id,
                 protected_instances=ProtectedInstance.objects.filter(project_id=project_id).count(),
                 restore_points=points.count(),
                 stored_bytes=points.aggregate(total=Sum("bytes_stored"))["total"] or 0,
                 limits=limits(project_id))


def get_quota(caller: Caller, project_id: str) -> dict:
    """A project's limits: the caller's own project's, or any project's for an admin (another's is a 404)."""
    check_visible(caller, project_id, "Quota of project", project_id)
    authorize(caller, rules.GET, {"project_id": project_id})
    return limits(project_id)


def check_protect(project_id: str, adding: int = 1) -> None:
    current = usage(project_id)
    limit = current.limits["protected_instances"]
    if limit is not None and current.protected_instances + adding > limit:
        raise QuotaExceeded(f"Project {project_id} may protect {limit} instances and already protects "
                            f"{current.protected_instances}; remove one or ask an administrator to raise the quota.")


def check_backup(project_id: str) -> None:
    """A backup adds a restore point and stored bytes: refuse it before it starts when either is used up."""
    current = usage(project_id)
    limit = current.limits["restore_points"]
    if limit is not None and current.restore_points + 1 > limit:
        raise QuotaExceeded(f"Project {project_id} may keep {limit} restore points and has "
                            f"{current.restore_points}; delete some or ask an administrator to raise the quota.")
    limit = current.limits["stored_bytes"]
    if limit is not None and current.stored_bytes >= limit:
        raise QuotaExceeded(f"Project {project_id} has stored {current.stored_bytes} of its {limit} bytes; delete "
                            "restore points or ask an administrator to raise the quota.")


def set_quota(caller: Caller, project_id: str, data: dict) -> dict:
    with audited(caller, "quota.update", "quota", project_id, project_id=project_id):
        authorize(caller, rules.UPDATE, {"project_id": project_id})
        row, _ = Quota.objects.get_or_create(project_id=project_id)
        for name in LIMITS:
            if name in data:
                value = data[name]
                if value is not None and (not isinstance(value, int) or value < 0):
                    raise ValidationFailed(name, "must be a non-negative integer or null (unlimited)")
                setattr(row, name, value)
        row.save()
        return limits(project_id)
