# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Write backed-up disks into new Cinder volumes: create (in the tenant's project), attach to this proxy, write only
the non-zero blocks with every chunk's keyed hash checked (the engine does both), detach, and — once the job has
succeeded — give the volume its final name and drop the job tag.

Until then a new volume is a temporary resource like any other (named ``storage-backup-<job>-restore-…``, tagged
``storage_backup_job``): a failed or cancelled restore removes it, and so does the sweeper if the worker died.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from storage_backup.cloud import TEMPORARY_TAG, Cloud, CloudError, temporary_metadata, temporary_name, without_none
from storage_backup.cloud.waiting import wait_volume
from storage_backup.repository import BackupCancelled, RestorePoint, VolumeEntry

from .cleanup import TemporaryResources
from .context import JobContext
from .errors import InvalidJobRequest, JobCancelled
from .metadata import ROOT_DISK_KEY
from .proxy_disks import attach_to_proxy

GIB = 1024 ** 3
# volume_image_metadata keys Cinder manages itself; the rest (os_distro, hw_* ...) is restored, and so is
# ``image_name``: it is what the Volumes panel and ``openstack volume show`` say a boot volume was made from. The
# ``image_id`` is not: that image may be gone, and Nova would rebuild from it.
CINDER_IMAGE_KEYS = ("image_id", "checksum", "size", "min_disk", "min_ram", "disk_format", "container_format")


def restored_name(original: str, when: dt.datetime | None = None) -> str:
    """A restored volume's default name: the original's and when it was restored, so it is told apart from the
    original (or an earlier restore) in the Volumes panel: ``web-1-root (restored 2026-12-02 14:03 UTC)``."""
    when = when or dt.datetime.now(dt.UTC)
    return f"{original} (restored {when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC)"


@dataclass
class VolumePlan:
    key: str  # the repository's volume key (original volume id, or ROOT_DISK_KEY)
    entry: VolumeEntry
    label: str
    name: str | None
    description: str | None
    size_gib: int
    volume_type: str | None
    availability_zone: str
    bootable: bool = False
    boot_index: int | None = None
    device: str | None = None
    delete_on_termination: bool = False
    tag: str | None = None
    metadata: dict = field(default_factory=dict)
    image_metadata: dict = field(default_factory=dict)
    volume_id: str | None = None  # the new volume
    stats: dict = field(default_factory=dict)


def volume_record(restore_point: RestorePoint, key: str) -> dict:
    """What the restore point says about one disk: its block-device-mapping entry (or the root disk's)."""
    metadata = restore_point.instance_metadata or {}
    for volume in metadata.get("block_device_mapping") or []:
        if volume.get("volume_id") == key:
            return volume
    entry = restore_point.volume(key)
    return dict(entry.metadata or {})


def plan_volume(restore_point: RestorePoint, key: str, availability_zone: str, volume_type: str | None,
                name: str | None = None) -> VolumePlan:
    entry = restore_point.volume(key)
    record = volume_record(restore_point, key)
    size_gib = max(int(record.get("size") or 0), math.ceil(entry.size / GIB), 1)
    original_name = record.get("name")
    if key == ROOT_DISK_KEY:
        label = "root disk"
        original_name = f"{(restore_point.instance_metadata or {}).get('name') or 'instance'}-root"
    else:
        label = f"volume {original_name} ({key})" if original_name else f"volume {key}"
    return VolumePlan(
        key=key, entry=entry, label=label, name=name or restored_name(original_name or key),
        description=record.get("description"),
        size_gib=size_gib, volume_type=volume_type, availability_zone=availability_zone,
        bootable=bool(record.get("bootable")) or key == ROOT_DISK_KEY, boot_index=record.get("boot_index"),
        device=record.get("device"), delete_on_termination=bool(record.get("delete_on_termination")),
        tag=record.get("tag"), metadata=dict(record.get("metadata") or {}),
        image_metadata={k: v for k, v in (record.get("image_metadata") or {}).items() if k not in CINDER_IMAGE_KEYS})


def type_is_encrypted(cloud: Cloud, volume_type) -> bool:
    """True when Cinder encrypts the volumes of ``volume_type`` (openstacksdk's ``Type``): it has an encryption
    spec (``types/{id}/encryption``, read with the admin account: Cinder shows it to admins only)."""
    spec = cloud.block_storage.get_type_encryption(volume_type.id)
    return bool(getattr(spec, "encryption_id", None) or getattr(spec, "provider", None))


def check_volume_type(ctx: JobContext, tenant: Cloud, wanted: str | None, original: str | None,
                      what: str, encrypted: bool = False, field_name: str = "volume_types") -> str | None:
    """The volume type to create with: the one asked for (must exist), else the original if it still exists, else
    the cloud's default (logged). A disk Cinder encrypted (``encrypted``) only goes into a type Cinder encrypts:
    the one asked for must be one, and the original must still exist — never the default in its place."""
    types = list(tenant.block_storage.types())
    by_key = {t.name: t for t in types} | {t.id: t for t in types}
    if wanted:
        if wanted not in by_key:
            raise InvalidJobRequest(f"volume type {wanted!r} asked for {what} does not exist; choose one of "
                                    f"{', '.join(sorted(t.name for t in types))}")
        if encrypted and not type_is_encrypted(ctx.cloud, by_key[wanted]):
            raise InvalidJobRequest(f"{field_name}: {what} was encrypted by Cinder; volume type {wanted!r} is not "
                                    "encrypted. Choose a volume type with encryption.")
        return wanted
    if original and original not in by_key:
        if encrypted:
            raise InvalidJobRequest(f"{field_name}: the original volume type {original!r} of {what} no longer "
                                    "exists and the volume was encrypted by Cinder; choose a volume type with "
                                    "encryption")
        ctx.log.warning("prepare", f"the original volume type {original!r} of {what} no longer exists; using the "
                                   "default type")
        return None
    if encrypted and (not original or not type_is_encrypted(ctx.cloud, by_key[original])):
        raise InvalidJobRequest(f"{field_name}: {what} was encrypted by Cinder, but its original volume type "
                                f"{original!r} no longer encrypts; choose a volume type with encryption")
    return original


def create_volumes(ctx: JobContext, tenant: Cloud, resources: TemporaryResources, plans: list[VolumePlan]) -> None:
    """Create every volume (tagged as the job's), then wait until all are ``available``."""
    ctx.step("create", "Creating " + ", ".join(f"{p.size_gib} GiB for the {p.label}" for p in plans))
    for plan in plans:
        ctx.cancel.check("before creating volumes")
        metadata = {str(k): str(v) for k, v in {**plan.metadata, **temporary_metadata(ctx.job_id)}.items()}
        volume = tenant.block_storage.create_volume(**without_none(
            size=plan.size_gib, name=temporary_name(ctx.job_id, f"restore-{plan.key[:8]}"),
            description=plan.description, availability_zone=plan.availability_zone, volume_type=plan.volume_type,
            metadata=metadata))
        plan.volume_id = volume.id
        resources.volumes.append(volume.id)
    for plan in plans:
        wait_volume(ctx.cloud, plan.volume_id, "available", timeout=ctx.timeouts.volume,
                    what=f"Volume {plan.volume_id} (new {plan.label})", cancel=ctx.cancel)


def write_volume(ctx: JobContext, resources: TemporaryResources, repository, restore_point: RestorePoint,
                 plan: VolumePlan) -> None:
    """Attach the new volume to this proxy, write the backed-up disk into it (verified), detach it."""
    ctx.step("attach", f"Attaching the new {plan.label} to this proxy")
    device = attach_to_proxy(ctx, resources, plan.volume_id, f"new {plan.label}")
    ctx.step("write", f"Writing the {plan.label} ({plan.entry.size} bytes) into volume {plan.volume_id}")
    try:
        stats = repository.restore_volume(restore_point.id, plan.key, device, progress=ctx.progress.volume_callback(),
                                          verify=True, cancel=ctx.cancel, target_zeroed=True)
    except BackupCancelled as error:
        raise JobCancelled(f"Job {ctx.job_id} was cancelled while writing ({error})") from None
    plan.stats = dict(stats)
    ctx.progress.finish_volume(plan.entry.size, int(stats.get("bytes_written", 0)))
    ctx.log.add("write", f"{plan.label}: wrote {stats.get('bytes_written', 0)} bytes, skipped "
                         f"{stats.get('bytes_zero', 0)} bytes of zeros, verified {stats.get('chunks_verified', 0)} "
                         f"chunks in {stats.get('duration', 0)} s")
    ctx.step("detach", f"Detaching the new {plan.label} from this proxy")
    resources.detach(plan.volume_id)


def prepare_for_boot(ctx: JobContext, tenant: Cloud, plan: VolumePlan) -> None:
    """What Nova needs of a boot volume: the bootable flag, and the image properties (hw_*, os_*) it had."""
    if plan.bootable:
        tenant.block_storage.set_volume_bootable_status(plan.volume_id, True)
    if plan.image_metadata:
        try:
            tenant.block_storage.set_volume_image_metadata(
                plan.volume_id, **{str(k): str(v) for k, v in plan.image_metadata.items()})
        except CloudError as error:
            ctx.log.warning("finalize", f"could not restore the image properties of the {plan.label}: {error}")


def finalize_volume(tenant: Cloud, plan: VolumePlan) -> None:
    """The job succeeded: the volume gets its final name and loses the job tag. The caller then ``keep``s it, once
    everything else is final too (should anything fail before, the job's cleanup removes the volume)."""
    tenant.block_storage.update_volume(plan.volume_id, name=plan.name or plan.label)
    tenant.block_storage.delete_volume_metadata(plan.volume_id, keys=[TEMPORARY_TAG])
