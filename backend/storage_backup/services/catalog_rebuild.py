# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Rebuild the restore-point index of one destination from its repository (``rebuild_catalog`` command)."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.dateparse import parse_datetime

from storage_backup.catalog.models import Destination, Policy, RestorePoint
from storage_backup.services import repository_access, restore_points
from storage_backup.services.errors import Unavailable


@dataclass
class RebuildReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped (no project or instance label)")


def _fields(destination: Destination, document) -> dict:
    labels = document.labels or {}
    metadata = document.instance_metadata or {}
    # The per-volume figures a backup job's result gives (docs/TASKS.md), as the engine recorded them.
    volumes = [{"bytes_read": 0, "bytes_stored": 0, **(volume.stats or {}), "volume_id": volume.key,
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


def rebuild(destination: Destination, dry_run: bool = False, remove_missing: bool = True) -> RebuildReport:
    report = RebuildReport()
    if repository_access.open_repository(destination) is None:
        # An empty mount must never wipe the index: refuse instead of removing every row.
        raise Unavailable(f"There is no repository at {destination.path}; is the destination mounted?")
    documents = repository_access.list_restore_points(destination)
    seen = set()
    with transaction.atomic():
        for document in documents:
            seen.add(document.id)
            values = _fields(destination, document)
            if not values["project_id"] or not values["instance_id"]:
                report.skipped.append(document.id)
                continue
            exists = RestorePoint.objects.filter(pk=document.id).exists()
            (report.updated if exists else report.created).append(document.id)
            if not dry_run:
                RestorePoint.objects.update_or_create(id=document.id, defaults=values)
        if remove_missing:
            for point in RestorePoint.objects.filter(destination=destination).exclude(id__in=seen):
                report.removed.append(point.id)
                if not dry_run:
                    point.delete()
    return report
