# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Ceph changed-block backups: which extents of a volume to read, from the base snapshot the last backup kept.

With ``STORAGE_BACKUP_CHANGED_BLOCKS=ceph`` on a proxy, each backup of a volume that lives in Ceph RBD keeps its
Cinder snapshot as the volume's **base** once the restore point is committed (renamed and tagged, see
``storage_backup.cloud.naming``), and deletes the base before it. The next backup asks the diff worker beside Ceph
(``ceph.diff``, docs/TASKS.md) for the extents changed between the base and its own new snapshot, on the RBD image
Cinder's driver names ``volume-<name_id>`` (the name id, not the volume id: a migrated volume's image is its
``name_id``'s), and reads only those from the volume attached to the proxy; the engine re-reads a sample of the
rest and compares it with the previous checksums (``SAMPLE_UNCHANGED``).

It falls back to the checksum strategy, and says why in the restore point (``strategy_reason``), when the base is
gone or is not the one the last restore point recorded, when the volume was resized, migrated or retyped since, when
the volume is not in Ceph, and when the diff worker does not answer within ``STORAGE_BACKUP_TIMEOUT_DIFF`` seconds.
An instance snapshotted as one Cinder group snapshot keeps the whole group snapshot as its base (Cinder deletes its
member snapshots only with it), and replaces it as one.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from storage_backup.cloud import (
    BASE_GROUP_TAG,
    BASE_INSTANCE_TAG,
    BASE_TAG,
    TEMPORARY_TAG,
    CloudError,
    ResourceNotFound,
    base_name,
    base_of,
)
from storage_backup.contract import CEPH_DIFF, CEPH_QUEUE, DiffRequest, DiffResult
from storage_backup.repository import SAMPLE_UNCHANGED

from .context import JobContext

MODE_ENV = "STORAGE_BACKUP_CHANGED_BLOCKS"
SAMPLE_ENV = "STORAGE_BACKUP_CHANGED_BLOCKS_SAMPLE"
#: Where a restore point's volume records the base snapshot the next backup diffs against.
RECORD_KEY = "ceph_base"
GIB = 1024 ** 3


def enabled(environ: dict | None = None) -> bool:
    mode = ((os.environ if environ is None else environ).get(MODE_ENV) or "").strip().lower()
    if mode not in ("", "ceph", "off"):
        raise ValueError(f"{MODE_ENV}={mode!r}: use ceph (ask the diff worker for changed extents) or off")
    return mode == "ceph"


def sample_size(environ: dict | None = None) -> int:
    raw = (os.environ if environ is None else environ).get(SAMPLE_ENV)
    try:
        return SAMPLE_UNCHANGED if not raw else max(0, int(raw))
    except ValueError:
        raise ValueError(f"{SAMPLE_ENV}={raw!r}: give a number of blocks (0: no sample)") from None


def image_name(name_id: str) -> str:
    return f"volume-{name_id}"


def snapshot_name(snapshot_id: str) -> str:
    return f"snapshot-{snapshot_id}"


class DiffUnavailable(Exception):
    """The diff worker did not answer (none running, Ceph unreachable, the question timed out)."""


def ask_diff(request: DiffRequest, timeout: float) -> DiffResult:
    """Send ``ceph.diff`` and wait at most ``timeout`` seconds; the message expires with the wait, so a diff worker
    that comes back later does not answer a question nobody waits for."""
    from storage_backup.celery_app import app

    result = app.send_task(CEPH_DIFF, args=[request.to_message()], queue=CEPH_QUEUE, expires=timeout)
    try:
        answer = result.get(timeout=timeout, propagate=True, disable_sync_subtasks=False)
    except Exception as error:  # a timeout, a failed task, Redis away: all mean "no diff this time"
        kind = "no answer" if type(error).__name__ == "TimeoutError" else f"{type(error).__name__}: {error}"
        raise DiffUnavailable(f"the Ceph diff worker (queue {CEPH_QUEUE}) gave {kind} within {timeout:g} s") \
            from None
    finally:
        result.forget()
    return DiffResult.from_message(answer, where=CEPH_DIFF + " result")


@dataclass
class Plan:
    """What one disk's backup does: the extents to read (None: every block), why, and whether its new snapshot
    becomes the volume's base (recorded in the restore point as ``record``)."""

    extents: list[tuple[int, int]] | None = None
    zero_ranges: list[tuple[int, int]] | None = None  # discarded since the base: zeros, not read
    reason: str = ""
    keep_base: bool = False
    record: dict | None = None
    changed_bytes: int = 0


def previous_base(disk) -> dict | None:
    """The base the disk's previous restore point recorded, if any."""
    if disk.previous is None:
        return None
    entry = next((v for v in disk.previous.volumes if v.key == disk.key), None)
    return (entry.metadata or {}).get(RECORD_KEY) if entry is not None else None


def _base_problem(ctx: JobContext, base: dict, volume, volume_id: str) -> str | None:
    """Why the recorded base cannot be diffed against, or None."""
    name_id = volume.migration_id or volume.id
    if base.get("name_id") != name_id:
        return (f"the volume was migrated since the base (its RBD image is now {image_name(name_id)}, was "
                f"{image_name(str(base.get('name_id')))})")
    if int(base.get("size_gib") or 0) != int(volume.size or 0):
        return f"the volume was resized from {base.get('size_gib')} to {volume.size} GiB since the base"
    if (base.get("volume_type") or "") != (volume.volume_type or ""):
        return f"the volume was retyped from {base.get('volume_type')} to {volume.volume_type} since the base"
    try:
        snapshot = ctx.cloud.block_storage.get_snapshot(base["snapshot_id"])
    except ResourceNotFound:
        return f"its base snapshot {base['snapshot_id']} is gone"
    if snapshot.volume_id != volume_id or base_of(snapshot) != volume_id or snapshot.status != "available":
        return (f"its base snapshot {snapshot.id} is not usable (volume {snapshot.volume_id}, status "
                f"{snapshot.status}, base tag {base_of(snapshot)})")
    return None


def plan_disk(ctx: JobContext, disk, instance_id: str, incremental: bool, timeout: float,
              group_snapshot_id: str | None = None, ask=ask_diff) -> Plan:
    """Decide how ``disk`` (a volume with a new snapshot) is read; asks the diff worker at most once."""
    try:
        volume = ctx.cloud.block_storage.get_volume(disk.volume_id)
    except CloudError as error:
        return Plan(reason=f"checksum: cannot read volume {disk.volume_id} ({error})")
    name_id = volume.migration_id or volume.id
    base = previous_base(disk) if incremental else None
    problem = None
    if incremental and disk.previous is not None and base is None:
        problem = f"restore point {disk.previous.id} recorded no Ceph base snapshot for it"
    elif base is not None:
        problem = _base_problem(ctx, base, volume, disk.volume_id)
    use_base = base is not None and problem is None
    # The exact diff, not whole objects: scattered writes widened to 4 MiB objects made 1 % written read as 19 %
    # of the volume (bench/RBD_RESULTS.md), while the exact diff costs well under a second on 10 GiB.
    request = DiffRequest(image=image_name(name_id), snapshot=snapshot_name(disk.snapshot_id),
                          base_snapshot=snapshot_name(base["snapshot_id"]) if use_base else None, whole_object=False)
    try:
        answer = ask(request, timeout)
    except DiffUnavailable as error:
        return Plan(reason=f"checksum: {error}")
    if not answer.found:
        return Plan(reason=f"checksum: {answer.reason}")
    record = {"snapshot_id": disk.snapshot_id, "group_snapshot_id": group_snapshot_id, "name_id": name_id,
              "size_gib": int(volume.size or 0), "volume_type": volume.volume_type or "", "pool": answer.pool,
              "image": answer.image, "instance_id": instance_id}
    if not use_base:
        why = problem or ("a full backup was asked for" if not incremental else "no earlier restore point holds it")
        return Plan(keep_base=True, record=record,
                    reason=f"{'full' if not incremental or disk.previous is None else 'checksum'}: {why}; "
                           f"snapshot {disk.snapshot_id} kept as the Ceph base of the next backup")
    if answer.base_size != answer.size:
        return Plan(keep_base=True, record=record,
                    reason=f"checksum: the RBD image was resized from {answer.base_size} to {answer.size} bytes "
                           "since the base")
    extents = [(offset, length) for offset, length, _exists in answer.extents]
    zeros = [(offset, length) for offset, length, exists in answer.extents if not exists]
    return Plan(extents=extents, zero_ranges=zeros, keep_base=True, record=record, changed_bytes=answer.changed_bytes,
                reason=f"changed blocks from Ceph: {len(extents)} extent(s), {answer.changed_bytes} bytes changed "
                       f"since base snapshot {base['snapshot_id']} (restore point {disk.previous.id}; diff "
                       f"{answer.duration:g} s)")


def promote_bases(ctx: JobContext, resources, instance_id: str, disks, group_snapshot_id: str | None) -> None:
    """After the restore point is committed: the kept snapshots become the volumes' bases (renamed, tagged, no longer
    temporary), and every older base of those volumes is deleted. A failure is a warning: the worst outcome is a
    checksum backup next time, and the sweeper removes what is left over."""
    block_storage = ctx.cloud.block_storage
    kept = [disk for disk in disks if disk.plan is not None and disk.plan.keep_base]
    if not kept:
        return
    if group_snapshot_id and len(kept) != len([d for d in disks if d.volume_id]):
        ctx.log.add("release", "not every volume of the group snapshot is in Ceph: no base kept")
        return
    for disk in kept:
        tags = {BASE_TAG: disk.volume_id, BASE_INSTANCE_TAG: instance_id}
        if group_snapshot_id:
            tags[BASE_GROUP_TAG] = group_snapshot_id
        try:
            block_storage.update_snapshot(disk.snapshot_id, name=base_name(disk.volume_id),
                                          description=f"storage backup: base of the next changed-block backup of "
                                                      f"volume {disk.volume_id} (instance {instance_id})")
            block_storage.set_snapshot_metadata(disk.snapshot_id, **tags)
            if not group_snapshot_id:
                block_storage.delete_snapshot_metadata(disk.snapshot_id, keys=[TEMPORARY_TAG])
        except CloudError as error:
            ctx.log.warning("release", f"could not keep snapshot {disk.snapshot_id} as the base of "
                                       f"{disk.label}: {error}; the next backup of it compares checksums")
            continue
        resources.keep("snapshots", disk.snapshot_id)
    if group_snapshot_id:
        resources.keep("group_snapshots", group_snapshot_id)
    ctx.log.add("release", "Kept as Ceph bases for the next backup: " + ", ".join(
        f"{disk.label} -> snapshot {disk.snapshot_id}" for disk in kept)
        + (f" (group snapshot {group_snapshot_id})" if group_snapshot_id else ""))
    _delete_older_bases(ctx, resources, kept, group_snapshot_id)


def _delete_older_bases(ctx: JobContext, resources, kept, group_snapshot_id: str | None) -> None:
    block_storage = ctx.cloud.block_storage
    new = {disk.snapshot_id for disk in kept}
    groups_done: set[str] = set()
    for disk in kept:
        try:
            older = [s for s in block_storage.snapshots(details=True, all_projects=True, volume_id=disk.volume_id)
                     if base_of(s) == disk.volume_id and s.id not in new]
        except CloudError as error:
            ctx.log.warning("release", f"could not list the older bases of {disk.label}: {error}")
            continue
        for snapshot in older:
            group = (snapshot.metadata or {}).get(BASE_GROUP_TAG) or snapshot.group_snapshot_id
            try:
                if group and group != group_snapshot_id:
                    if group not in groups_done:
                        groups_done.add(group)
                        resources.delete_group_snapshot(group)
                elif not group:
                    resources.delete_snapshot(snapshot.id)
            except CloudError as error:
                ctx.log.warning("release", f"could not delete the older base {group or snapshot.id} of "
                                           f"{disk.label}: {error}; the sweeper removes it")
                continue
            ctx.log.add("release", f"Deleted the older base {group or snapshot.id} of {disk.label}")
