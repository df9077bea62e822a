# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Vault-only restore points: a restore point deleted from the catalog (by its project, by someone holding its
credentials, by retention, by a catalog rebuild) that has a complete vault copy can be put back and restored.

When a restore point leaves the catalog, its row is kept on each of its vault copies (``point_record``): the vault
copy alone is unreadable from here (the control plane opens no repository and no vault), and a restore needs what
the row says (volumes, instance metadata, the primary destination whose repository secret the vault shares).
``GET /v1/vault-copies`` lists a project's copies whose primary is gone; ``POST /v1/vault-copies/{id}/recover``
puts the row back, same id, flagged ``vault_only``. Such a point restores from the vault only (``source`` defaults
to ``vault``); everything that needs its primary copy (verify, file browse and download, revert in place, a
retention lock written into the repository) is refused with 409 saying why; deleting it removes the catalog row
alone (its vault copy stays, the only copy again), and retention, prune and lock maintenance leave it alone.
"""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from storage_backup.catalog.models import CopyState, Destination, Policy, RestorePoint, RestorePointCopy
from storage_backup.policies import vault_copies as rules
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize, check_visible, listing, scope_queryset
from storage_backup.services.errors import Conflict, NotFound

#: The restore point's fields a recovery puts back (every field of the row but ``missing_since`` and the flag).
RECORD_FIELDS = ("id", "project_id", "instance_id", "instance_name", "availability_zone", "policy_id",
                 "destination_id", "job_id", "created_at", "strategy", "consistency", "bytes_total", "bytes_read",
                 "bytes_stored", "volumes", "metadata", "retention_lock_until")
TIMES = ("created_at", "retention_lock_until")
RECORD_FORMAT = 1


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def record_of(point: RestorePoint) -> dict:
    """The row as JSON: what ``recover`` makes it again from."""
    record = {name: getattr(point, name) for name in RECORD_FIELDS}
    for name in TIMES:
        record[name] = _iso(record[name])
    return {"format": RECORD_FORMAT, **record}


def keep_records(restore_point_ids: list[str]) -> None:
    """Before the rows go: each one's record on its vault copies (every state: a copy still running may yet be
    reported complete)."""
    points = RestorePoint.objects.filter(pk__in=restore_point_ids)
    for point in points:
        RestorePointCopy.objects.filter(restore_point_id=point.id, project_id=point.project_id).update(
            point_record=record_of(point))


# -- what a vault-only restore point may not do ----------------------------------------------------------------------

def refuse_vault_only(point: RestorePoint, what: str) -> None:
    """409 for anything that reads or writes the restore point on its primary destination, which no longer holds
    it."""
    if point.vault_only:
        raise Conflict(f"Restore point {point.id} is vault-only: it was deleted from its primary destination and "
                       f"recovered from its vault copy, so it cannot be {what} (that needs the primary copy). Restore "
                       "it from the vault instead.")


# -- listing and recovering --------------------------------------------------------------------------------------------

def with_catalog_state(queryset: QuerySet) -> QuerySet:
    """Each copy with ``in_catalog``: whether its restore point is in the catalog (again)."""
    return queryset.annotate(in_catalog=Exists(RestorePoint.objects.filter(pk=OuterRef("restore_point_id"))))


def list_orphaned_copies(caller: Caller, project_id: str | None = None) -> QuerySet:
    """The vault copies whose primary restore point was deleted, newest restore point first; the project's own
    (every project's for an administrator with ``all_projects``)."""
    caller = listing(caller, rules.LIST, rules.LIST_ALL)
    queryset = RestorePointCopy.objects.select_related("vault", "primary").filter(primary_deleted_at__isnull=False)
    return with_catalog_state(scope_queryset(caller, queryset, project_id=project_id)).order_by(
        "-point_created_at", "-primary_deleted_at", "id")


def refusal(copy: RestorePointCopy) -> str:
    """Why the copy cannot be recovered now ("" when it can). ``copy.in_catalog`` from ``with_catalog_state``."""
    point = copy.restore_point_id
    if copy.state != CopyState.COPIED:
        return (f"The vault copy of restore point {point} is {copy.state}, not complete: only a complete copy can be "
                "recovered.")
    in_catalog = getattr(copy, "in_catalog", None)
    if in_catalog is None:
        in_catalog = RestorePoint.objects.filter(pk=point).exists()
    if copy.primary_deleted_at is None or in_catalog:
        return f"Restore point {point} is in the catalog already; restore it from there."
    if not copy.point_record:
        return (f"No record of restore point {point} was kept when it was deleted (it was deleted before this "
                "service kept them), so it cannot be put back into the catalog.")
    destination_id = copy.point_record.get("destination_id") or copy.primary_id
    if copy.primary_id is None or not Destination.objects.filter(pk=destination_id).exists():
        return (f"The primary destination of restore point {point} was deleted, and with it the repository secret "
                "its vault copy shares: the copy cannot be opened from here.")
    return ""


def _point_from(record: dict, copy: RestorePointCopy) -> RestorePoint:
    values = {name: record.get(name) for name in RECORD_FIELDS}
    for name in TIMES:
        values[name] = parse_datetime(values[name]) if values[name] else None
    policy_id = values.pop("policy_id")
    values["policy"] = Policy.objects.filter(pk=policy_id).first() if policy_id else None  # a deleted policy: none
    values["destination_id"] = values["destination_id"] or copy.primary_id
    values["created_at"] = values["created_at"] or copy.point_created_at or timezone.now()
    values["volumes"], values["metadata"] = values["volumes"] or [], values["metadata"] or {}
    # A field the record lacks takes the model's default (a record of another format); these may be null.
    nullable = ("policy", "retention_lock_until")
    return RestorePoint(**{name: value for name, value in values.items() if value is not None or name in nullable},
                        vault_only=True)


def get_copy(caller: Caller, copy_id: str) -> RestorePointCopy:
    copy = with_catalog_state(RestorePointCopy.objects.select_related("vault", "primary")).filter(
        pk=copy_id).first()
    if copy is None:
        raise NotFound(f"Vault copy {copy_id} could not be found.")
    check_visible(caller, copy.project_id, "Vault copy", copy_id)
    return copy


def recover(caller: Caller, copy_id: str) -> RestorePoint:
    """Put the copy's restore point back into the catalog (same id) as a vault-only restore point; 409 when the copy
    is not complete, the point is in the catalog, or its primary destination (the repository secret) is gone."""
    with audited(caller, "restore_point.recover", "restore_point", copy_id) as target:
        copy = get_copy(caller, copy_id)
        target.id, target.project_id = copy.restore_point_id, copy.project_id
        authorize(caller, rules.RECOVER, {"project_id": copy.project_id})
        try:
            with transaction.atomic():
                copy = with_catalog_state(RestorePointCopy.objects.select_for_update()).get(pk=copy.pk)
                reason = refusal(copy)
                if reason:
                    raise Conflict(reason)
                point = _point_from(copy.point_record, copy)
                point.save(force_insert=True)
        except IntegrityError:  # recovered by another request at the same moment
            raise Conflict(f"Restore point {copy.restore_point_id} is in the catalog already; restore it from "
                           "there.") from None
        target.detail = (f"restore point {point.id} of {point.instance_name or point.instance_id} back in the "
                         f"catalog, vault-only (vault {copy.vault.name})")
        return point
