# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Back up one instance (docs/TASKS.md ``proxy.backup_instance``), agentless, through the OpenStack APIs only.

Per disk: a Cinder snapshot of each volume (``force``: they are in use), taken back to back — or one group snapshot
when all the instance's volumes are in a Cinder group whose type allows consistent group snapshots — and, for an
image-booted server, a Nova ``createImage`` of its root disk; then a volume from each snapshot (or image) in the
same zone, attached to this proxy, read from ``/dev/disk/by-id/virtio-<id[:20]>`` by the repository engine
(``full``, or ``incremental`` against the last restore point of the instance that holds that disk), detached,
deleted, and the snapshot deleted. Every temporary resource is named ``storage-backup-<job id>-…`` and tagged
``storage_backup_job=<job id>``; ``TemporaryResources.cleanup`` removes whatever is left in a ``finally``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from storage_backup.cloud import CloudError, ResourceNotFound, temporary_metadata, temporary_name, without_none
from storage_backup.cloud.waiting import wait_for, wait_group_snapshot, wait_image, wait_snapshot, wait_volume
from storage_backup.contract import BackupRequest, GuestCommand
from storage_backup.repository import (
    BackupCancelled,
    Consistency,
    KnownZerosSource,
    RestorePoint,
    ThrottledSource,
    VolumeEntry,
    open_source,
)

from . import changed_blocks, read_limit
from .cleanup import TemporaryResources
from .context import JobContext
from .errors import InvalidJobRequest, JobCancelled, WrongProxy, add_cleanup_report
from .hardening import harden
from .metadata import ROOT_DISK_KEY, gather_instance_metadata
from .proxy_disks import attach_to_proxy
from .repository_access import dedup_domain, open_for_backup

GIB = 1024 ** 3
STRATEGIES = ("full", "incremental")
CONSISTENT_GROUP_SPEC = "consistent_group_snapshot_enabled"
#: Volume statuses that end on their own and in which Cinder refuses a snapshot: waited for before snapshotting
#: (not ``reserved``: a shelved-offloaded server's volumes stay so, and that backup fails at once, saying so).
SETTLING = frozenset({"attaching", "detaching"})
VOLUME_FIGURES = ("bytes_read", "bytes_stored", "blocks_new", "blocks_total", "bytes_zero", "bytes_unchanged",
                  "sampled_blocks", "sample_mismatches")


@dataclass
class Disk:
    """One disk of the instance on its way into the repository."""

    key: str  # the repository's volume key: the Cinder volume id, or ROOT_DISK_KEY
    label: str
    size_gib: int
    availability_zone: str
    metadata: dict  # kept with the volume in the restore point
    volume_id: str | None = None  # the instance's volume (None for an image-booted root disk)
    snapshot_id: str | None = None
    image_id: str | None = None  # createImage's image of the root disk
    temp_volume_id: str | None = None
    entry: VolumeEntry | None = None
    previous: RestorePoint | None = None
    notes: list[str] = field(default_factory=list)
    plan: changed_blocks.Plan | None = None  # Ceph changed blocks: what to read, and whether to keep the snapshot


def _gib(size_bytes: int | None) -> int:
    return max(1, math.ceil((size_bytes or 0) / GIB))


def plan_disks(metadata: dict) -> list[Disk]:
    disks = []
    if metadata.get("root_disk"):
        root = metadata["root_disk"]
        disks.append(Disk(key=ROOT_DISK_KEY, label=f"root disk of {metadata.get('name') or metadata['id']}",
                          size_gib=int(root.get("size") or 1), availability_zone=metadata["availability_zone"],
                          metadata={"kind": "root-disk", "device": root.get("device"), "boot_index": 0,
                                    "bootable": True, "image": metadata.get("image")}))
    for volume in metadata.get("block_device_mapping") or []:
        label = f"volume {volume['name']} ({volume['volume_id']})" if volume.get("name") else \
            f"volume {volume['volume_id']}"
        disks.append(Disk(key=volume["volume_id"], label=label,
                          size_gib=int(volume["size"]), availability_zone=volume.get("availability_zone")
                          or metadata["availability_zone"], metadata={"kind": "volume", **volume},
                          volume_id=volume["volume_id"]))
    return disks


def refuse_clear_copy_of_encrypted(metadata: dict, destination) -> None:
    """A volume Cinder encrypts reaches the proxy decrypted (Nova's encryptor sits below the guest), so its backup
    must only go to an encrypted repository: otherwise the data Cinder keeps encrypted would rest in clear."""
    if destination.encrypted:
        return
    encrypted = [v for v in metadata.get("block_device_mapping") or [] if v.get("encrypted")]
    if encrypted:
        names = ", ".join(f"{v['volume_id']} ({v.get('name') or 'unnamed'}, type {v.get('volume_type')})"
                          for v in encrypted)
        raise InvalidJobRequest(
            f"instance {metadata.get('name') or metadata.get('id')} has Cinder-encrypted volume(s) {names}; "
            f"destination {destination.id} is not encrypted, so their data would be stored in clear. Protect the "
            "instance with a policy whose destination is encrypted.")


def choose_consistency(ctx: JobContext, metadata: dict, disks: list[Disk]) -> tuple[Consistency, str | None]:
    """``(GROUP, group id)`` when one consistent group snapshot covers every disk, else ``(PER_VOLUME, None)`` for
    several disks snapshotted back to back, or ``(CRASH, None)`` for a single disk."""
    if len(disks) == 1:
        return Consistency.CRASH, None
    volumes = metadata.get("block_device_mapping") or []
    groups = {volume.get("group_id") for volume in volumes}
    if len(volumes) == len(disks) and len(groups) == 1 and None not in groups:
        group_id = groups.pop()
        try:
            group = ctx.cloud.block_storage.get_group(group_id)
            group_type = ctx.cloud.block_storage.get_group_type(group.group_type)
        except CloudError as error:
            ctx.log.warning("snapshot", f"cannot read Cinder group {group_id} ({error}); snapshotting the volumes "
                                        "one after another")
            return Consistency.PER_VOLUME, None
        spec = str((group_type.group_specs or {}).get(CONSISTENT_GROUP_SPEC, "")).lower()
        if spec in ("<is> true", "true"):
            return Consistency.GROUP, group_id
        ctx.log.add("snapshot", f"the volumes share Cinder group {group_id}, but its type "
                                f"{group_type.name} does not allow consistent group snapshots")
    return Consistency.PER_VOLUME, None


class InstanceBackup:
    def __init__(self, ctx: JobContext, request: BackupRequest) -> None:
        self.ctx = ctx
        self.request = request
        self.instance_id = request.instance_id
        self.strategy = request.strategy
        self.resources = TemporaryResources(ctx)
        self.disks: list[Disk] = []
        self.writer = None
        self.server = None  # openstacksdk's Server
        self.metadata: dict = {}
        self.consistency = Consistency.CRASH
        self.group_snapshot_id: str | None = None
        self.pre_command_result: str | None = None
        self.writer_created: str | None = None
        # The job's cap and the proxy's: built once, so the job's bucket spans all its volumes.
        self.read_limit = read_limit.ReadLimit(read_limit.job_bucket(request.read_limit_mbps), ctx.proxy_read_limit)

    # -- the job ----------------------------------------------------------------------------------------------------

    def run(self) -> dict:
        started = time.monotonic()
        failure: BaseException | None = None
        try:
            restore_point_id = self._run()
        except BackupCancelled as error:
            failure = JobCancelled(f"Job {self.ctx.job_id} was cancelled while reading ({error}); temporary "
                                   "resources removed")
            raise failure from None
        except BaseException as error:
            failure = error
            raise
        finally:
            if self.writer is not None:
                self.writer.abort()
            if failure is not None:
                self.ctx.log.add("failed", f"{type(failure).__name__}: {failure}")
            problems = self.resources.cleanup()
            if failure is not None:
                add_cleanup_report(failure, problems)
        return self._result(restore_point_id, started)

    def _run(self) -> str:
        ctx, request = self.ctx, self.request
        if not self.instance_id:
            raise InvalidJobRequest("the task names no instance_id")
        if self.strategy not in STRATEGIES:
            raise InvalidJobRequest(f"unknown strategy {self.strategy!r}; use full or incremental")

        ctx.step("inspect", f"Reading instance {self.instance_id} from Nova, Cinder, Glance and Neutron")
        self._check_proxy()
        try:
            self.server = ctx.cloud.compute.get_server(self.instance_id)
        except ResourceNotFound:
            raise InvalidJobRequest(f"instance {self.instance_id} no longer exists in the cloud") from None
        if request.project_id and self.server.project_id != request.project_id:
            raise InvalidJobRequest(f"instance {self.instance_id} belongs to project {self.server.project_id}, "
                                    f"not {request.project_id}")
        zone = self.server.availability_zone
        if zone != ctx.proxy.availability_zone:
            raise WrongProxy(f"instance {self.instance_id} is in availability zone {zone}; this proxy serves "
                             f"{ctx.proxy.availability_zone}. Send the job to queue proxy.{zone}.")
        notes: list[str] = []
        self.metadata = gather_instance_metadata(ctx.cloud, self.server, notes)
        for note in notes:
            ctx.log.warning("inspect", note)
        refuse_clear_copy_of_encrypted(self.metadata, request.destination)
        self.disks = plan_disks(self.metadata)
        if not self.disks:
            raise InvalidJobRequest(f"instance {self.instance_id} has no disk this service can back up (no volume, "
                                    "and not booted from an image)")
        ctx.log.add("inspect", f"{self.server.name}: " + ", ".join(
            f"{disk.label} {disk.size_gib} GiB" for disk in self.disks))

        repository = open_for_backup(request.destination, request.repository_secret, ctx.proxy.repository_root)
        self._find_previous(repository)
        self.consistency, group_id = choose_consistency(ctx, self.metadata, self.disks)

        self._take_snapshots(group_id)
        self._plan_changed_blocks()
        self._make_volumes()

        labels = dict(request.labels)
        labels.update({"instance_id": self.instance_id, "project_id": str(self.server.project_id),
                       "job_id": ctx.job_id, "name": str(self.server.name or "")})
        self.metadata["consistency"] = {"level": self.consistency, "group_snapshot": self.group_snapshot_id,
                                        "pre_command": self.pre_command_result}
        # The instance's own project (checked against the request's above) keys its chunk ids.
        self.writer = repository.start_restore_point(
            labels, self.metadata, consistency=self.consistency, lock_until=request.retention_lock_until or None,
            dedup_domain=dedup_domain(request.destination, str(self.server.project_id)))
        self.writer_created = self.writer.created
        ctx.progress.set_total(sum(disk.size_gib * GIB for disk in self.disks))
        for disk in self.disks:
            self._read(disk)
        ctx.step("commit", "Writing the restore point")
        restore_point_id = self.writer.commit()
        self.writer = None
        ctx.log.add("commit", f"Restore point {restore_point_id} written ({self.consistency})")
        harden(ctx, repository, restore_point_id, request.retention_lock_until or None)
        changed_blocks.promote_bases(ctx, self.resources, self.instance_id, self.disks, self.group_snapshot_id)
        return restore_point_id

    # -- steps --------------------------------------------------------------------------------------------------------

    def _check_proxy(self) -> None:
        ctx = self.ctx
        if not ctx.proxy.proxy_server_id:
            raise InvalidJobRequest("this worker does not know its proxy server: set STORAGE_BACKUP_PROXY_SERVER_ID")
        try:
            proxy = ctx.cloud.compute.get_server(ctx.proxy.proxy_server_id)
        except ResourceNotFound:
            raise InvalidJobRequest(f"the proxy server {ctx.proxy.proxy_server_id} of this worker does not exist; "
                                    "fix STORAGE_BACKUP_PROXY_SERVER_ID") from None
        ctx.proxy_name = proxy.name or ctx.proxy.proxy_server_id

    def _find_previous(self, repository) -> None:
        if self.strategy != "incremental":
            return
        points = repository.list_restore_points(labels={"instance_id": self.instance_id})
        for disk in self.disks:
            disk.previous = next((p for p in reversed(points) if any(v.key == disk.key for v in p.volumes)), None)
            if disk.previous is None:
                self.ctx.log.add("inspect", f"{disk.label}: no earlier restore point holds it, so this backup of it "
                                            "is full")

    def _wait_for_settled_volumes(self) -> None:
        """Cinder snapshots only an ``available`` or ``in-use`` volume: one being attached or detached as the backup
        starts (a new server's volume a moment after the server is ACTIVE, someone attaching a disk) is waited for,
        as long as an attach of the product's own may take, instead of failing the backup at once."""
        ctx = self.ctx
        for disk in self.disks:
            if not disk.volume_id or disk.key == ROOT_DISK_KEY:
                continue
            volume = ctx.cloud.block_storage.get_volume(disk.volume_id)
            if volume.status not in SETTLING:
                continue
            ctx.log.add("snapshot", f"{disk.label} is {volume.status}: waiting for it to settle")
            wait_for(lambda volume_id=disk.volume_id: ctx.cloud.block_storage.get_volume(volume_id),
                     done=lambda v: v.status not in SETTLING, status_of=lambda v: str(v.status),
                     what=f"Volume {disk.volume_id} ({disk.label})", timeout=ctx.timeouts.attach,
                     cancel=ctx.cancel, resource="volume", resource_id=disk.volume_id)

    def _take_snapshots(self, group_id: str | None) -> None:
        from storage_backup.guest_commands import addresses_from_server, run_hook

        ctx, job_id = self.ctx, self.ctx.job_id
        tag = temporary_metadata(job_id)
        pre, post = self.request.pre_command, self.request.post_command
        if pre:
            ctx.step("pre_command", "Running the pre-snapshot command on the instance")
            result = run_hook("pre", pre.to_message(), addresses_from_server(self.server), log=ctx.log.append_entry)
            self.pre_command_result = "ok" if result is None or result.ok else "failed"
        failure: BaseException | None = None
        try:
            self._wait_for_settled_volumes()
            ctx.step("snapshot", "Snapshotting " + ", ".join(disk.label for disk in self.disks)
                     + (" (one Cinder group snapshot)" if group_id else ""))
            # Every snapshot is requested before any is waited for: back to back, as close in time as the APIs allow.
            if group_id:
                group_snapshot = ctx.cloud.block_storage.create_group_snapshot(
                    group_id=group_id, name=temporary_name(job_id, "group"), description=f"storage backup job {job_id}")
                self.group_snapshot_id = group_snapshot.id
                self.resources.group_snapshots.append(group_snapshot.id)
            for disk in self.disks:
                if disk.key == ROOT_DISK_KEY:
                    disk.image_id = ctx.cloud.compute.create_server_image(
                        self.instance_id, temporary_name(job_id, "root"), metadata=tag).id
                    self.resources.images.append(disk.image_id)
                elif not group_id:
                    snapshot = ctx.cloud.block_storage.create_snapshot(
                        volume_id=disk.volume_id, name=temporary_name(job_id, f"snap-{disk.volume_id[:8]}"),
                        force=True, description=f"storage backup job {job_id} of instance {self.instance_id}",
                        metadata=tag)
                    disk.snapshot_id = snapshot.id
                    self.resources.snapshots.append(snapshot.id)
            if group_id:
                wait_group_snapshot(ctx.cloud, self.group_snapshot_id, timeout=ctx.timeouts.snapshot,
                                    cancel=ctx.cancel)
                for disk in self.disks:
                    if disk.volume_id:
                        member = next((s for s in ctx.cloud.block_storage.snapshots(all_projects=True,
                                                                                   volume_id=disk.volume_id)
                                       if s.group_snapshot_id == self.group_snapshot_id), None)
                        if member is None:
                            raise InvalidJobRequest(f"group snapshot {self.group_snapshot_id} holds no snapshot of "
                                                    f"{disk.label}")
                        disk.snapshot_id = member.id  # removed with the group snapshot
            for disk in self.disks:
                if disk.snapshot_id:
                    wait_snapshot(ctx.cloud, disk.snapshot_id, timeout=ctx.timeouts.snapshot,
                                  what=f"Snapshot {disk.snapshot_id} of {disk.label}", cancel=ctx.cancel)
                if disk.image_id:
                    image = wait_image(ctx.cloud, disk.image_id, timeout=ctx.timeouts.image,
                                       what=f"Image {disk.image_id} (createImage of {disk.label})", cancel=ctx.cancel)
                    size = max(image.size or 0, image.virtual_size or 0)
                    disk.size_gib = max(disk.size_gib, _gib(size), int(image.min_disk or 0))
                    disk.metadata["snapshot_image"] = {"size": image.size, "disk_format": image.disk_format,
                                                       "checksum": image.checksum}
            ctx.log.add("snapshot", "Snapshots taken: " + ", ".join(
                f"{disk.label} -> {disk.snapshot_id or disk.image_id}" for disk in self.disks))
        except BaseException as error:
            failure = error
            raise
        finally:
            # Whenever the snapshots were attempted (a pre-command that aborts never gets here): thaw what the
            # pre-command froze, or run a post-command that stands alone.
            self._post_command(post, failure)

    def _post_command(self, post: GuestCommand | None, failure: BaseException | None) -> None:
        from storage_backup.guest_commands import GuestCommandFailed, addresses_from_server, run_hook

        if not post:
            return
        self.ctx.log.add("post_command", "Running the post-snapshot command on the instance")
        try:
            run_hook("post", post.to_message(), addresses_from_server(self.server), log=self.ctx.log.append_entry)
        except GuestCommandFailed as error:
            if failure is None:
                raise
            self.ctx.log.warning("post_command", str(error))

    def _plan_changed_blocks(self) -> None:
        """With Ceph changed blocks on (``STORAGE_BACKUP_CHANGED_BLOCKS=ceph``): per volume, the extents the diff
        worker names since the base the last restore point recorded, or why every block is read instead."""
        ctx = self.ctx
        if not changed_blocks.enabled():
            return
        for disk in self.disks:
            if not disk.volume_id or not disk.snapshot_id:
                continue
            ctx.cancel.check("before asking Ceph for changed blocks")
            disk.plan = changed_blocks.plan_disk(ctx, disk, self.instance_id, self.strategy == "incremental",
                                                 ctx.timeouts.diff, group_snapshot_id=self.group_snapshot_id)
            fell_back = disk.plan.reason.startswith("checksum:")
            (ctx.log.warning if fell_back else ctx.log.add)("snapshot", f"{disk.label}: {disk.plan.reason}")

    def _make_volumes(self) -> None:
        ctx, job_id = self.ctx, self.ctx.job_id
        ctx.step("prepare", "Making volumes from the snapshots")
        for disk in self.disks:
            ctx.cancel.check("before making volumes from the snapshots")
            volume = ctx.cloud.block_storage.create_volume(**without_none(
                size=disk.size_gib, name=temporary_name(job_id, f"vol-{disk.key[:8]}"),
                description=f"storage backup job {job_id}: copy of {disk.label}",
                availability_zone=disk.availability_zone, snapshot_id=disk.snapshot_id, image_id=disk.image_id,
                metadata=temporary_metadata(job_id)))
            disk.temp_volume_id = volume.id
            self.resources.volumes.append(volume.id)
        for disk in self.disks:
            wait_volume(ctx.cloud, disk.temp_volume_id, "available", timeout=ctx.timeouts.volume,
                        what=f"Volume {disk.temp_volume_id} (copy of {disk.label})", cancel=ctx.cancel)

    def _read(self, disk: Disk) -> None:
        ctx = self.ctx
        ctx.step("attach", f"Attaching the copy of {disk.label} to this proxy")
        device = attach_to_proxy(ctx, self.resources, disk.temp_volume_id, f"copy of {disk.label}")
        plan = disk.plan or changed_blocks.Plan()
        mode = ("changed blocks" if plan.extents is not None else self.strategy) if disk.previous is not None \
            else "full"
        ctx.step("read", f"Reading {disk.label} ({disk.size_gib} GiB, {mode})")
        metadata = {**disk.metadata, "size_gib": disk.size_gib}
        if plan.keep_base:
            metadata[changed_blocks.RECORD_KEY] = plan.record
        source = open_source(device)
        if plan.zero_ranges:  # Ceph's discarded extents read as zeros: recorded so, unread
            source = KnownZerosSource(source, plan.zero_ranges)
        if self.read_limit:
            ctx.log.add("read", f"{disk.label}: reads capped at {self.read_limit.describe()}")
            source = ThrottledSource(source, self.read_limit.take)
        try:
            entry = self.writer.backup_volume(
                disk.key, source, size=disk.size_gib * GIB, strategy=self.strategy, previous=disk.previous,
                changed_extents=plan.extents, sample_unchanged=changed_blocks.sample_size(),
                progress=ctx.progress.volume_callback(), cancel=ctx.cancel, metadata=metadata)
        finally:
            source.close()
        disk.entry = entry
        stats = entry.stats
        ctx.progress.finish_volume(entry.size, int(stats.get("bytes_stored", 0)))
        for note in entry.notes:
            ctx.log.add("read", note)
        ctx.log.add("read", f"{disk.label}: {entry.strategy}, read {stats.get('bytes_read', 0)} bytes, "
                            f"{stats.get('blocks_new', 0)} new blocks, stored {stats.get('bytes_stored', 0)} bytes "
                            f"in {stats.get('duration', 0)} s")
        if entry.stats.get("sample_mismatches"):
            plan.reason = (f"checksum: {entry.stats['sample_mismatches']} of {entry.stats['sampled_blocks']} sampled "
                           "blocks outside Ceph's changed extents differed from the previous restore point, so "
                           "every block was read and compared")
            ctx.log.warning("read", f"{disk.label}: {plan.reason}")
        ctx.step("release", f"Detaching and deleting the copy of {disk.label}")
        # A snapshot kept as the next backup's base stays (temporary until the restore point is committed).
        self.resources.release_disk(disk.temp_volume_id, None if plan.keep_base else disk.snapshot_id)
        if disk.image_id and disk.image_id in self.resources.images:
            try:
                self.resources.delete_image(disk.image_id)
            except CloudError as error:
                ctx.log.warning("release", f"could not delete image {disk.image_id} at once: {error}")

    # -- the answer ---------------------------------------------------------------------------------------------------

    def _result(self, restore_point_id: str, started: float) -> dict:
        volumes = []
        for disk in self.disks:
            entry = disk.entry
            stats = entry.stats if entry else {}
            # Every figure the engine kept for the volume (bytes new, deduplicated, zero, unchanged, stored...).
            volumes.append({**dict.fromkeys(VOLUME_FIGURES, 0), **stats, "volume_id": disk.key,
                            "size": entry.size if entry else disk.size_gib * GIB, "size_gib": disk.size_gib,
                            "strategy": entry.strategy if entry else self.strategy,
                            "strategy_reason": disk.plan.reason if disk.plan else "",
                            "parent": entry.parent if entry else None, "notes": list(entry.notes if entry else [])})
        created = self.writer_created or ""
        return {
            "restore_point_id": restore_point_id, "created_at": created, "consistency": self.consistency,
            "bytes_read": sum(v["bytes_read"] for v in volumes),
            "bytes_stored": sum(v["bytes_stored"] for v in volumes),
            "bytes_total": sum(v["size"] for v in volumes), "duration": round(time.monotonic() - started, 3),
            "volumes": volumes, "metadata": self.metadata, "cleanup_problems": list(self.resources.problems),
            "warnings": list(self.ctx.log.warnings), "log": self.ctx.log.as_list(),
        }


def backup_instance(ctx: JobContext, request: BackupRequest) -> dict:
    return InstanceBackup(ctx, request).run()
