# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The sweeper: find temporary snapshots, group snapshots, volumes, images and attachments that dead jobs left
behind, by the job tag of docs/TASKS.md (metadata ``storage_backup_job`` / name ``storage-backup-<job id>-…``), and
remove them in order: a half-restored server → detach → delete volume → delete snapshot / group snapshot / image.

A job is dead unless it has a task sent or running (``tracking.jobs_holding_resources``: a job whose worker was
killed, or whose task Redis lost, is found lost by ``storage_backup.services.tracking`` within its grace). Resources
younger than the grace period are left alone, so a job that the catalog has not recorded yet is never swept from
under a proxy. Each removal is ``storage_backup.cloud.removal.Remover``'s, the one a job's own cleanup uses (waits,
force-delete, reset of an attach that never completed), and each is recorded in the audit log.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from storage_backup.catalog.models import Proxy
from storage_backup.cloud import job_of
from storage_backup.cloud.removal import ATTACHING, Remover
from storage_backup.services import audit, inventory, tracking
from storage_backup.services.context import SYSTEM

LOG = logging.getLogger(__name__)
# How long a detach or a delete may take before the sweeper reports it and moves on (STORAGE_BACKUP_SWEEPER_WAIT).
WAIT_SECONDS = settings.CONTROL.get("sweeper_wait", 120)
# Statuses that end on their own: the next sweep finds the resource settled. A pending attach of a dead job
# (``attaching``, ``reserved``) never ends on its own, so it is not one of them.
TRANSITIONAL = {"creating", "detaching", "deleting", "backing-up", "restoring-backup", "downloading", "uploading",
                "extending", "saving"}


@dataclass
class SweepReport:
    servers: list[str] = field(default_factory=list)
    detached: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    group_snapshots: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _old_enough(resource, grace: dt.timedelta, now: dt.datetime) -> bool:
    created = parse_datetime(resource.created_at or "")
    if created is None:
        return True
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    return now - created >= grace


class Sweep:
    def __init__(self, grace: dt.timedelta) -> None:
        self.grace = grace
        self.now = timezone.now()
        self.report = SweepReport()
        self.cloud = inventory.service_cloud()
        self.remover = Remover(self.cloud, detach_timeout=WAIT_SECONDS, delete_timeout=WAIT_SECONDS,
                               warn=lambda message: LOG.warning("sweeper: %s", message))
        self.alive: set[str] = set()
        self.still_attached: set[str] = set()

    def run(self) -> SweepReport:
        with inventory.unavailable_on_error("temporary resources"):
            block_storage = self.cloud.block_storage
            volumes = list(block_storage.volumes(details=True, all_projects=True))
            snapshots = list(block_storage.snapshots(details=True, all_projects=True))
            group_snapshots = list(block_storage.group_snapshots(details=True, all_projects=True))
            images = list(self.cloud.image.images())
            servers = [s for s in self.cloud.compute.servers(details=True, all_projects=True) if job_of(s)]
        tagged = {job_of(r) for r in volumes + snapshots + group_snapshots + images + servers} - {None}
        self.alive = tracking.jobs_holding_resources(tagged)
        # A half-restored server first: its volumes are attached to it (its boot volume cannot be detached).
        for server in filter(self._leaked, servers):
            self._remove("server", server, self.remover.delete_server, self.report.servers)
        if self.report.servers:
            with inventory.unavailable_on_error("temporary volumes"):
                volumes = list(self.cloud.block_storage.volumes(details=True, all_projects=True))
        leaked_volumes = [v for v in volumes if self._leaked(v)]
        # Detach first: a volume attached to the proxy (or half attached) can be neither deleted nor let go of its
        # snapshot; then volumes; then what they were made from.
        for volume in leaked_volumes:
            self._detach(volume)
        for volume in leaked_volumes:
            self._remove("volume", volume, self.remover.delete_volume, self.report.volumes)
        for snapshot in snapshots:
            if self._leaked(snapshot) and not snapshot.group_snapshot_id:  # members go with their group
                self._remove("snapshot", snapshot, self.remover.delete_snapshot, self.report.snapshots)
        for group_snapshot in filter(self._leaked, group_snapshots):
            self._remove("group snapshot", group_snapshot, self.remover.delete_group_snapshot,
                         self.report.group_snapshots)
        for image in filter(self._leaked, images):
            self._remove("image", image, self.remover.delete_image, self.report.images)
        return self.report

    def _leaked(self, resource) -> bool:
        job_id = job_of(resource)
        return job_id is not None and job_id not in self.alive and _old_enough(resource, self.grace, self.now)

    def _detach(self, volume) -> None:
        volume_id = volume.id
        servers = [a["server_id"] for a in volume.attachments or [] if a.get("server_id")]
        if volume.status in ATTACHING:
            servers = servers or self.remover.attaching_servers(volume_id) or _proxy_servers()
        for server_id in dict.fromkeys(servers):
            try:
                self.remover.detach(volume_id, server_id)
            except Exception as error:  # one resource must not stop the sweep; the next one tries again
                self.still_attached.add(volume_id)
                self.report.errors.append(f"volume {volume_id} on server {server_id}: {error}")
                LOG.warning("sweeper could not detach volume %s from %s: %s", volume_id, server_id, error)
                continue
            self.report.detached.append(f"{volume_id}@{server_id}")
            _audit("detach", volume, f"from server {server_id}")

    def _remove(self, kind: str, resource, remove, removed: list) -> None:
        if resource.status in TRANSITIONAL:
            self.report.skipped.append(f"{kind} {resource.id} is {resource.status}; next sweep")
            return
        if resource.id in self.still_attached:
            self.report.skipped.append(f"{kind} {resource.id} is still attached; next sweep")
            return
        try:
            remove(resource.id)
        except Exception as error:  # reported; the resource keeps its tag for the next sweep
            self.report.errors.append(f"{kind} {resource.id}: {error}")
            LOG.warning("sweeper could not remove %s %s: %s", kind, resource.id, error)
            return
        removed.append(resource.id)
        _audit("delete", resource, kind)


def _proxy_servers() -> list[str]:
    """The proxy servers the control plane knows: where a pending attach of a dead job was heading."""
    return list(Proxy.objects.exclude(server_id="").values_list("server_id", flat=True))


def sweep(grace_seconds: float | None = None) -> SweepReport:
    grace = dt.timedelta(seconds=settings.CONTROL["sweeper_grace"] if grace_seconds is None else grace_seconds)
    return Sweep(grace).run()


def _audit(what: str, resource, detail: str) -> None:
    """Recorded against the resource's project: ``project_id`` of openstacksdk's volumes, snapshots, group
    snapshots and servers, ``owner`` of its images."""
    audit.record(SYSTEM, f"sweeper.{what}", "cloud_resource", resource.id, "success",
                 f"{detail} left by job {job_of(resource)}",
                 project_id=getattr(resource, "project_id", None) or getattr(resource, "owner", None) or "")
