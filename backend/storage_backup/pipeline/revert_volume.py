# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Overwrite one existing data volume in place with what a restore point holds (part of ``proxy.revert``).

Genuine Nova lets a data volume go (``DELETE os-volume_attachments``) and take it back, so the volume keeps its id:
detach it from its server → take a **safety snapshot** of what it holds now → attach it to this proxy → write
*every* block of the restore point, zeros included (the target is not blank: a block the restore point holds as
zeros may hold data now) → detach it from the proxy → attach it to the server again, asking for the same device.

The safety snapshot is removed once the whole job succeeded. When the job fails after writing began it is kept,
untagged and named ``storage-backup-safety-<volume>``, and the error names it: it is then the volume's newest
snapshot, so Cinder's own revert-to-snapshot puts the volume back as it was before the revert. A volume that was
detached is attached to its server again whatever happened, so the server keeps all its volume ids.
"""
from __future__ import annotations

from dataclasses import dataclass

from storage_backup.cloud import TEMPORARY_TAG, Cloud, CloudError, ResourceNotFound, temporary_metadata, temporary_name
from storage_backup.cloud.naming import TEMPORARY_PREFIX
from storage_backup.cloud.waiting import attached_to, wait_snapshot, wait_volume_attached, wait_volume_detached
from storage_backup.repository import BackupCancelled, RestorePoint

from .cleanup import TemporaryResources
from .context import JobContext
from .errors import InvalidJobRequest, JobCancelled
from .proxy_disks import attach_to_proxy
from .restore_disks import GIB, volume_record


@dataclass
class Overwrite:
    """One volume being reverted in place, and how far it got (what a failure must say and undo)."""

    key: str  # the original volume's id: the repository's key for it, and the volume overwritten
    label: str
    size: int  # bytes the restore point holds of it
    server_id: str | None = None  # the server it is attached to (and goes back to)
    device: str | None = None
    snapshot_id: str | None = None
    detached: bool = False
    writing: bool = False
    written: bool = False
    reattached: bool = False
    bytes_written: int = 0

    def state(self) -> str:
        """What the volume holds now, in words the error of a failed revert carries."""
        where = (f"attached to server {self.server_id} again" if self.reattached or not self.detached
                 else f"detached from server {self.server_id} (attach it again)" if self.server_id else "available")
        if self.written:
            held = "holds the restore point's data"
        elif self.writing:
            held = "is PARTLY OVERWRITTEN" + (
                f"; what it held before is snapshot {self.snapshot_id} (its newest snapshot: Cinder's "
                "revert-to-snapshot puts it back)" if self.snapshot_id else "")
        else:
            held = "is unchanged"
        return f"{self.label} {held}, {where}"


def check_target(ctx: JobContext, restore_point: RestorePoint, key: str, project_id: str,
                 server_id: str | None) -> Overwrite:
    """The volume as it is now must be the one backed up: there, in the project, the same size, attached to the
    instance or to nothing. Anything else is a refusal naming what changed (nothing is touched yet)."""
    record = volume_record(restore_point, key)
    entry = restore_point.volume(key)
    label = f"volume {record.get('name')} ({key})" if record.get("name") else f"volume {key}"
    try:
        volume = ctx.cloud.block_storage.get_volume(key)
    except ResourceNotFound:
        raise InvalidJobRequest(f"{label} no longer exists; restore it as a new volume instead") from None
    if volume.project_id and volume.project_id != project_id:
        raise InvalidJobRequest(f"{label} is not in project {project_id}")
    recorded_gib = int(record.get("size") or -(-entry.size // GIB))
    if int(volume.size or 0) != recorded_gib:
        raise InvalidJobRequest(f"{label} is {volume.size} GiB now and was {recorded_gib} GiB at the restore point: "
                                "a revert would leave part of it as it is now; restore it as a new volume instead")
    attachments = [a for a in volume.attachments or [] if a.get("server_id")]
    overwrite = Overwrite(key=key, label=label, size=entry.size)
    if attachments:
        attachment = attached_to(volume, server_id) if server_id else None
        if attachment is None:
            raise InvalidJobRequest(f"{label} is attached to server {attachments[0]['server_id']}, not to the "
                                    f"instance {server_id or 'it was backed up from'}; detach it first")
        overwrite.server_id, overwrite.device = server_id, attachment.get("device")
    elif volume.status != "available":
        raise InvalidJobRequest(f"{label} is {volume.status}; it must be available or attached to its instance")
    return overwrite


def detach_from_server(ctx: JobContext, tenant: Cloud, overwrite: Overwrite) -> None:
    if not overwrite.server_id:
        return
    ctx.step("detach_from_instance", f"Detaching {overwrite.label} from server {overwrite.server_id}")
    tenant.compute.delete_volume_attachment(overwrite.server_id, overwrite.key, ignore_missing=False)
    overwrite.detached = True
    wait_volume_detached(ctx.cloud, overwrite.key, overwrite.server_id, timeout=ctx.timeouts.detach,
                         what=f"Volume {overwrite.key}", where=f" on server {overwrite.server_id}", cancel=ctx.cancel)


def take_safety_snapshot(ctx: JobContext, tenant: Cloud, resources: TemporaryResources, overwrite: Overwrite) -> None:
    """What the volume holds before the revert (after the detach: the guest has let go of it)."""
    ctx.step("safety_snapshot", f"Taking a safety snapshot of {overwrite.label}")
    snapshot = tenant.block_storage.create_snapshot(
        volume_id=overwrite.key, name=temporary_name(ctx.job_id, f"safety-{overwrite.key[:8]}"), force=True,
        description=f"what {overwrite.key} held before revert job {ctx.job_id}",
        metadata=temporary_metadata(ctx.job_id))
    overwrite.snapshot_id = snapshot.id
    resources.snapshots.append(snapshot.id)
    wait_snapshot(ctx.cloud, snapshot.id, timeout=ctx.timeouts.snapshot,
                  what=f"Safety snapshot {snapshot.id} of {overwrite.label}", cancel=ctx.cancel)


def write_in_place(ctx: JobContext, resources: TemporaryResources, repository, restore_point: RestorePoint,
                   overwrite: Overwrite) -> None:
    """Attach to this proxy, write every block of the restore point (zeros where the volume has data), detach."""
    ctx.step("attach", f"Attaching {overwrite.label} to this proxy")
    device = attach_to_proxy(ctx, resources, overwrite.key, overwrite.label)
    ctx.step("write", f"Overwriting {overwrite.label} ({overwrite.size} bytes) with restore point "
                      f"{restore_point.id}")
    overwrite.writing = True
    try:
        # target_zeroed=False: the volume holds data, so a zero block of the restore point is written too.
        stats = repository.restore_volume(restore_point.id, overwrite.key, device,
                                          progress=ctx.progress.volume_callback(), verify=True, cancel=ctx.cancel,
                                          target_zeroed=False)
    except BackupCancelled as error:
        raise JobCancelled(f"Job {ctx.job_id} was cancelled while overwriting {overwrite.label} ({error})") from None
    overwrite.written = True
    overwrite.bytes_written = int(stats.get("bytes_written", 0))
    ctx.progress.finish_volume(overwrite.size, overwrite.bytes_written)
    ctx.log.add("write", f"{overwrite.label}: wrote {overwrite.bytes_written} bytes, verified "
                         f"{stats.get('chunks_verified', 0)} chunks in {stats.get('duration', 0)} s")
    ctx.step("detach", f"Detaching {overwrite.label} from this proxy")
    resources.detach(overwrite.key)


def reattach(ctx: JobContext, tenant: Cloud, overwrite: Overwrite) -> None:
    """Give the volume back to its server, at the device it had (Nova takes the name as a hint)."""
    if not overwrite.server_id or not overwrite.detached or overwrite.reattached:
        return
    ctx.log.add("reattach", f"Attaching {overwrite.label} to server {overwrite.server_id} again at "
                            f"{overwrite.device or 'its device'}")
    attachment = tenant.compute.create_volume_attachment(overwrite.server_id, overwrite.key,
                                                         **({"device": overwrite.device} if overwrite.device else {}))
    volume = wait_volume_attached(ctx.cloud, overwrite.key, overwrite.server_id, timeout=ctx.timeouts.attach,
                                  what=f"Volume {overwrite.key}", where=f" on server {overwrite.server_id}")
    overwrite.reattached = True
    device = (attached_to(volume, overwrite.server_id) or {}).get("device") or getattr(attachment, "device", None)
    if overwrite.device and device and device != overwrite.device:
        ctx.log.warning("reattach", f"{overwrite.label} was at {overwrite.device} and Nova gave it {device}; the "
                                    "guest should find it by its serial or filesystem label")
    overwrite.device = device or overwrite.device


def keep_safety_snapshot(ctx: JobContext, resources: TemporaryResources, overwrite: Overwrite) -> None:
    """A failed revert wrote into the volume: its safety snapshot stays, no longer the job's (the sweeper keeps it)."""
    if not overwrite.snapshot_id or not overwrite.writing:
        return
    resources.keep("snapshots", overwrite.snapshot_id)
    try:
        ctx.cloud.block_storage.update_snapshot(overwrite.snapshot_id,
                                                name=f"{TEMPORARY_PREFIX}safety-{overwrite.key}")
        ctx.cloud.block_storage.delete_snapshot_metadata(overwrite.snapshot_id, keys=[TEMPORARY_TAG])
    except CloudError as error:
        ctx.log.warning("cleanup", f"safety snapshot {overwrite.snapshot_id} is kept but still carries the job tag "
                                   f"({error}); copy it before the sweeper runs")
    ctx.log.warning("failed", f"safety snapshot {overwrite.snapshot_id} of {overwrite.label} is kept")
