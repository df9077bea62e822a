# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rebuild the restore-point index of one destination from its repository (``rebuild_catalog`` command, ``rebuild``
jobs): a data worker lists the repository's restore point documents (``data.list_restore_points``), and ``apply``
makes the catalog's rows from them when the job succeeds. The control plane itself opens no repository."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from storage_backup.catalog.models import ACTIVE_JOB_STATES, Destination, Job, JobType, Policy, RestorePoint
from storage_backup.contract import RestorePointDocument
from storage_backup.services import restore_points, vault


@dataclass
class RebuildReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped (no project or instance label, or being deleted)")

    def as_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary()}


def _fields(destination: Destination, document: RestorePointDocument) -> dict:
    labels = document.labels
    metadata = document.instance_metadata
    # The per-volume figures a backup job's result gives (docs/TASKS.md), as the engine recorded them.
    volumes = [{"bytes_read": 0, "bytes_stored": 0, **volume.stats, "volume_id": volume.key,
                "size": volume.size, "strategy": volume.strategy, "parent": volume.parent}
               for volume in document.volumes]
    policy_id = labels.get("policy_id")
    return {
        "project_id": labels.get("project_id", ""), "instance_id": labels.get("instance_id", ""),
        "instance_name": metadata.get("name") or labels.get("name", ""),
        "availability_zone": metadata.get("availability_zone") or metadata.get("OS-EXT-AZ:availability_zone") or "",
        "policy": Policy.objects.filter(pk=policy_id).first() if policy_id else None,
        "destination": destination, "job_id": labels.get("job_id", ""),
        "created_at": parse_datetime(document.created.replace("Z", "+00:00")),
        "strategy": restore_points.backup_strategy({"volumes": volumes}, "full"),
        "consistency": document.consistency or "",
        "bytes_total": sum(volume.size for volume in document.volumes),
        "bytes_read": sum(v["bytes_read"] for v in volumes),
        "bytes_stored": sum(v["bytes_stored"] for v in volumes),
        "volumes": volumes, "metadata": metadata,
        "retention_lock_until": parse_datetime(document.lock_until.replace("Z", "+00:00"))
        if document.lock_until else None,
    }


def apply(destination: Destination, documents: list[RestorePointDocument], dry_run: bool = False,
          remove_missing: bool = True, listed_since: dt.datetime | None = None) -> RebuildReport:
    """Make the destination's catalog rows what its repository holds (the data worker refused an empty or missing
    repository before this: an unmounted share never empties the index). ``listed_since``: when the listing was
    asked for; what changed since (a backup recorded, a deletion not yet done in the repository) is left alone."""
    report = RebuildReport()
    seen = set()
    deleting = _being_deleted(destination, listed_since)
    with transaction.atomic():
        recorded = set(Job.objects.filter(type=JobType.BACKUP, finished_at__gte=listed_since)
                       .values_list("restore_point_id", flat=True)) if listed_since else set()
        for document in documents:
            seen.add(document.id)
            if document.id in deleting:
                report.skipped.append(document.id)
                continue
            values = _fields(destination, document)
            if not values["project_id"] or not values["instance_id"]:
                report.skipped.append(document.id)
                continue
            existing = RestorePoint.objects.filter(pk=document.id).first()
            (report.updated if existing else report.created).append(document.id)
            # A lock only ever grows: the catalog's may be newer than the repository's (its ``lock`` job not run yet).
            if existing and existing.retention_lock_until and (values["retention_lock_until"] is None or
                                                               existing.retention_lock_until >
                                                               values["retention_lock_until"]):
                values["retention_lock_until"] = existing.retention_lock_until
            if not dry_run:
                # Found on the primary again (a vault-only point's document put back): an ordinary point once more.
                RestorePoint.objects.update_or_create(id=document.id, defaults={**values, "vault_only": False})
        if remove_missing:
            # A vault-only point is not in its primary's repository by definition: it stays.
            missing = RestorePoint.objects.filter(destination=destination, vault_only=False).exclude(
                id__in=seen | recorded)
            for point in missing:
                report.removed.append(point.id)
            if report.removed and not dry_run:
                vault.primary_deleted(report.removed)  # their vault copies keep the rows, as for a deletion
                RestorePoint.objects.filter(pk__in=report.removed).delete()
    return report


def _being_deleted(destination: Destination, since: dt.datetime | None) -> set[str]:
    """Restore points gone from the catalog whose ``delete`` job has not ended, or ended after the listing was asked
    for: the listing may still hold them."""
    ids: set[str] = set()
    recent = Q(state__in=ACTIVE_JOB_STATES) | (Q(finished_at__gte=since) if since else Q(pk__in=[]))
    for request in Job.objects.filter(recent, destination=destination, type=JobType.DELETE).values_list(
            "request", flat=True):
        ids |= set((request or {}).get("restore_point_ids") or [])
    return ids
