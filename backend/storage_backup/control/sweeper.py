# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The sweeper: find temporary snapshots, group snapshots, volumes, images and attachments that dead jobs left
behind, by the job tag of docs/TASKS.md (metadata ``storage_backup_job`` / name ``storage-backup-<job id>-…``), and
remove them in order: a half-restored server → detach → delete volume → delete snapshot / group snapshot / image.

What is stuck is resolved through Cinder's and Nova's admin actions, in the order ``storage_backup.cloud.removal``
documents: a volume left ``detaching``, ``attaching`` or ``reserved`` is freed by Nova's detach (after
``os-roll_detaching``), else Cinder's attachment delete, else ``os-force_detach``, else ``os-reset_status`` (the last
resort), then deleted; a volume or snapshot in a status that no longer ends on its own (``creating``, ``deleting``,
``error_deleting``, ``saving`` images…) is force-deleted once that status is older than ``sweeper_stuck_after``
(``STORAGE_BACKUP_SWEEPER_STUCK_AFTER``), an image stuck ``saving`` deleted. Every forced step is in the report
(``forced``) and the audit log (``sweeper.force``); what could not be resolved is in the report (``unresolved``),
the log, and the admin overview (``attention.unresolved_leftovers``, kept in ``UnresolvedLeftover``) until a
sweep removes it.

Kept Ceph base snapshots (``storage_backup.pipeline.changed_blocks``; tagged ``storage_backup_base``, no job tag)
are never leftovers of a job. A base is removed only once it is orphaned: its volume is gone or no longer attached to
the instance it was kept for, that instance is no longer protected, or a newer base of the same volume exists; and
never while a backup of that instance is queued or running (it may be about to diff against it, or to replace it).
A base that belongs to a kept group snapshot goes with its group snapshot.

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

from storage_backup.catalog.models import ACTIVE_JOB_STATES, Job, JobType, ProtectedInstance, Proxy, UnresolvedLeftover
from storage_backup.cloud import BASE_GROUP_TAG, BASE_INSTANCE_TAG, base_of, job_of
from storage_backup.cloud.removal import ATTACHING, HELD, Remover
from storage_backup.services import audit, inventory, tracking
from storage_backup.services.context import SYSTEM

LOG = logging.getLogger(__name__)
# Statuses that end on their own: the next sweep finds the resource settled, unless it stays in one longer than
# ``sweeper_stuck_after``: then it is stuck and forced. A pending attach of a dead job (``attaching``, ``reserved``)
# never ends on its own, so it is not one of them (it is freed at once).
TRANSITIONAL = {"creating", "detaching", "deleting", "backing-up", "restoring-backup", "downloading", "uploading",
                "extending", "saving", "importing"}


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
    forced: list[str] = field(default_factory=list)  # "<kind> <id>: <admin action>: <detail>"
    bases: list[str] = field(default_factory=list)  # orphaned Ceph base snapshots (or their group snapshots) removed
    unresolved: list[dict] = field(default_factory=list)  # kind, id, status, job_id, project_id, reason

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _old_enough(resource, grace: dt.timedelta, now: dt.datetime) -> bool:
    created = parse_datetime(resource.created_at or "")
    if created is None:
        return True
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    return now - created >= grace


def _stuck_since(resource) -> dt.datetime | None:
    """When the resource last changed (``updated_at``, else ``created_at``)."""
    stamp = parse_datetime(getattr(resource, "updated_at", None) or getattr(resource, "created_at", None) or "")
    if stamp is not None and stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp


class Sweep:
    def __init__(self, grace: dt.timedelta, stuck_after: dt.timedelta | None = None) -> None:
        self.grace = grace
        self.stuck_after = dt.timedelta(seconds=settings.CONTROL["sweeper_stuck_after"]) \
            if stuck_after is None else stuck_after
        self.now = timezone.now()
        self.report = SweepReport()
        self.cloud = inventory.service_cloud()
        wait = settings.CONTROL["sweeper_wait"]
        self.remover = Remover(self.cloud, detach_timeout=wait, delete_timeout=wait,
                               warn=lambda message: LOG.warning("sweeper: %s", message))
        self.alive: set[str] = set()
        self.still_attached: set[str] = set()

    def run(self) -> SweepReport:
        # The jobs alive before the listing, not only after it: a job that ends between the two (keeping its snapshot
        # as a Ceph base, which removes the job's tag) was listed with the tag it no longer has, and its base was
        # swept as a leftover. What a job alive then left is the next sweep's, read afresh.
        alive_before = tracking.jobs_holding_resources()
        with inventory.unavailable_on_error("temporary resources"):
            block_storage = self.cloud.block_storage
            volumes = list(block_storage.volumes(details=True, all_projects=True))
            snapshots = list(block_storage.snapshots(details=True, all_projects=True))
            group_snapshots = list(block_storage.group_snapshots(details=True, all_projects=True))
            images = list(self.cloud.image.images())
            servers = [s for s in self.cloud.compute.servers(details=True, all_projects=True) if job_of(s)]
        tagged = {job_of(r) for r in volumes + snapshots + group_snapshots + images + servers} - {None}
        self.alive = alive_before | tracking.jobs_holding_resources(tagged)
        # A half-restored server first: its volumes are attached to it (its boot volume cannot be detached).
        for server in filter(self._leaked, servers):
            self._remove("server", server, self.remover.delete_server, self.report.servers)
        if self.report.servers:
            with inventory.unavailable_on_error("temporary volumes"):
                volumes = list(self.cloud.block_storage.volumes(details=True, all_projects=True))
        leaked_volumes = [v for v in volumes if self._leaked(v)]
        # Detach first: a volume attached to the proxy (or half attached) can be neither deleted nor let go of its
        # snapshot; then volumes; then what they were made from.
        released = [volume for volume in leaked_volumes if self._detach(volume)]
        if released:  # their statuses changed: read them again
            with inventory.unavailable_on_error("temporary volumes"):
                current = {v.id: v for v in self.cloud.block_storage.volumes(details=True, all_projects=True)}
            leaked_volumes = [current[v.id] for v in leaked_volumes if v.id in current]
        for volume in leaked_volumes:
            self._remove("volume", volume, self.remover.delete_volume, self.report.volumes,
                         force=self.remover.force_delete_volume)
        for snapshot in snapshots:
            if self._leaked(snapshot) and not snapshot.group_snapshot_id:  # members go with their group
                self._remove("snapshot", snapshot, self.remover.delete_snapshot, self.report.snapshots,
                             force=self.remover.force_delete_snapshot)
        # A group snapshot kept as a Ceph base keeps its job's name (Cinder cannot rename one); its members say it.
        base_groups = {(s.metadata or {}).get(BASE_GROUP_TAG) for s in snapshots if base_of(s)}
        for group_snapshot in (g for g in group_snapshots if g.id not in base_groups and self._leaked(g)):
            self._remove("group snapshot", group_snapshot, self.remover.delete_group_snapshot,
                         self.report.group_snapshots)
        for image in filter(self._leaked, images):
            # Glance deletes an image in any status: one stuck ``saving`` goes like any other once it is stuck.
            self._remove("image", image, self.remover.delete_image, self.report.images,
                         force=self.remover.delete_image)
        self._sweep_bases(volumes, snapshots, group_snapshots)
        _record_unresolved(self.report.unresolved)
        return self.report

    def _sweep_bases(self, volumes, snapshots, group_snapshots) -> None:
        bases = [s for s in snapshots if base_of(s)]
        if not bases:
            return
        by_id = {volume.id: volume for volume in volumes}
        instances = {(s.metadata or {}).get(BASE_INSTANCE_TAG, "") for s in bases}
        protected = set(ProtectedInstance.objects.filter(instance_id__in=instances)
                        .values_list("instance_id", flat=True))
        busy = set(Job.objects.filter(instance_id__in=instances, type=JobType.BACKUP, state__in=ACTIVE_JOB_STATES)
                   .values_list("instance_id", flat=True))
        newest: dict[str, str] = {}
        for snapshot in sorted(bases, key=lambda s: s.created_at or ""):
            newest[base_of(snapshot)] = snapshot.id
        groups = {g.id: g for g in group_snapshots}
        done: set[str] = set()
        for snapshot in bases:
            volume_id, instance_id = base_of(snapshot), (snapshot.metadata or {}).get(BASE_INSTANCE_TAG, "")
            if instance_id in busy:
                continue
            volume = by_id.get(volume_id)
            if volume is None:
                why = f"volume {volume_id} is gone"
            elif instance_id not in protected:
                why = f"instance {instance_id} is no longer protected"
            elif not any(a.get("server_id") == instance_id for a in volume.attachments or []):
                why = f"volume {volume_id} is no longer attached to instance {instance_id}"
            elif newest[volume_id] != snapshot.id:
                why = f"snapshot {newest[volume_id]} is the newer base of volume {volume_id}"
            else:
                continue
            group_id = (snapshot.metadata or {}).get(BASE_GROUP_TAG) or snapshot.group_snapshot_id
            target = groups.get(group_id) if group_id else snapshot
            if target is None or target.id in done:
                continue
            done.add(target.id)
            kind = "group snapshot" if group_id else "snapshot"
            remove = self.remover.delete_group_snapshot if group_id else self.remover.delete_snapshot
            before = len(self.report.bases)
            self._remove(f"base {kind}", target, remove, self.report.bases)
            if len(self.report.bases) > before:
                LOG.info("sweeper removed Ceph base %s %s: %s", kind, target.id, why)

    def _stuck(self, resource) -> bool:
        since = _stuck_since(resource)  # now, not the sweep's start: a resource read again may be younger than that
        return since is None or timezone.now() - since >= self.stuck_after

    def _unresolved(self, kind: str, resource, reason: str) -> None:
        self.report.unresolved.append({
            "kind": kind, "id": resource.id, "status": str(getattr(resource, "status", "") or ""),
            "job_id": job_of(resource) or "", "reason": reason[:2000],
            "project_id": getattr(resource, "project_id", None) or getattr(resource, "owner", None) or ""})
        LOG.warning("sweeper could not resolve %s %s (%s) left by job %s: %s", kind, resource.id,
                    getattr(resource, "status", ""), job_of(resource), reason)

    def _leaked(self, resource) -> bool:
        job_id = job_of(resource)
        return job_id is not None and job_id not in self.alive and _old_enough(resource, self.grace, self.now)

    def _detach(self, volume) -> bool:
        """Free the volume of its attachments (``Remover.release``: Nova, then Cinder's admin actions); True when
        something was done."""
        volume_id = volume.id
        servers = [a["server_id"] for a in volume.attachments or [] if a.get("server_id")]
        if not servers and volume.status not in HELD:
            return False
        if volume.status in ("detaching", "error_detaching") and not self._stuck(volume):
            self.still_attached.add(volume_id)
            self.report.skipped.append(f"volume {volume_id} is {volume.status}; next sweep")
            return False
        if volume.status in ATTACHING:
            servers = servers or self.remover.attaching_servers(volume_id) or _proxy_servers()
        try:
            release = self.remover.release(volume_id, servers)
        except Exception as error:  # one resource must not stop the sweep; the next one tries again
            self.still_attached.add(volume_id)
            self.report.errors.append(f"volume {volume_id}: {error}")
            self._unresolved("volume", volume, str(error))
            return True
        for server_id in release.detached:
            self.report.detached.append(f"{volume_id}@{server_id}")
            _audit("detach", volume, f"from server {server_id}")
        for step in release.forced:
            self.report.forced.append(f"volume {volume_id}: {step}")
            _audit("force", volume, step)
        if release.forced:  # the forced steps detached it: one detach event says so, after them
            held_by = [s for s in dict.fromkeys(servers) if s not in release.detached] or ["(no server)"]
            self.report.detached.extend(f"{volume_id}@{server_id}" for server_id in held_by)
            _audit("detach", volume, f"from server {', '.join(held_by)} by force "
                                     f"({', '.join(step.split(':')[0] for step in release.forced)})")
        return True

    def _remove(self, kind: str, resource, remove, removed: list, force=None) -> None:
        forced = False
        if resource.status in TRANSITIONAL:
            if force is None or not self._stuck(resource):
                self.report.skipped.append(f"{kind} {resource.id} is {resource.status}; next sweep")
                return
            remove, forced = force, True
        if resource.id in self.still_attached:
            self.report.skipped.append(f"{kind} {resource.id} is still attached; next sweep")
            return
        try:
            remove(resource.id)
        except Exception as error:  # reported; the resource keeps its tag for the next sweep
            self.report.errors.append(f"{kind} {resource.id}: {error}")
            self._unresolved(kind, resource, str(error))
            return
        removed.append(resource.id)
        if forced:
            step = f"os-force_delete: stuck in '{resource.status}' since {_stuck_since(resource)}"
            self.report.forced.append(f"{kind} {resource.id}: {step}")
            _audit("force", resource, step)
        _audit("delete", resource, kind)


def _proxy_servers() -> list[str]:
    """The proxy servers the control plane knows: where a pending attach of a dead job was heading."""
    return list(Proxy.objects.exclude(server_id="").values_list("server_id", flat=True))


def sweep(grace_seconds: float | None = None, stuck_seconds: float | None = None) -> SweepReport:
    grace = dt.timedelta(seconds=settings.CONTROL["sweeper_grace"] if grace_seconds is None else grace_seconds)
    stuck_after = None if stuck_seconds is None else dt.timedelta(seconds=stuck_seconds)
    return Sweep(grace, stuck_after).run()


def _record_unresolved(unresolved: list[dict]) -> None:
    """What this sweep could not resolve replaces what the last one could not (the admin overview shows it)."""
    seen = []
    for entry in unresolved:
        seen.append(entry["id"])
        UnresolvedLeftover.objects.update_or_create(resource_id=entry["id"], defaults={
            "resource_type": entry["kind"], "status": entry["status"], "job_id": entry["job_id"],
            "project_id": entry["project_id"], "reason": entry["reason"]})
    UnresolvedLeftover.objects.exclude(resource_id__in=seen).delete()


def _audit(what: str, resource, detail: str) -> None:
    """Recorded against the resource's project: ``project_id`` of openstacksdk's volumes, snapshots, group
    snapshots and servers, ``owner`` of its images."""
    audit.record(SYSTEM, f"sweeper.{what}", "cloud_resource", resource.id, "success",
                 f"{detail} left by job {job_of(resource)}",
                 project_id=getattr(resource, "project_id", None) or getattr(resource, "owner", None) or "")
