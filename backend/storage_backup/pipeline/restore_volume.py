# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Restore one volume of a restore point as a new volume (docs/TASKS.md ``proxy.restore_volume``), optionally
attached to an instance of the project. The new volume is made in the project (token scoped to it), in the zone
asked for (or the original's), written through this proxy like a whole-instance restore, and only given its final
name and freed of the job tag once everything, attaching included, has succeeded."""
from __future__ import annotations

import time

from storage_backup.cloud import ResourceNotFound
from storage_backup.cloud.waiting import wait_volume_attached
from storage_backup.contract import RestoreVolumeRequest

from .cleanup import TemporaryResources
from .context import JobContext
from .errors import InvalidJobRequest, add_cleanup_report
from .metadata import ROOT_DISK_KEY
from .repository_access import open_restore_point
from .restore_disks import (
    check_volume_type,
    create_volumes,
    finalize_volume,
    plan_volume,
    prepare_for_boot,
    restored_name,
    volume_record,
    write_volume,
)
from .restore_instance import check_proxy


def restore_volume(ctx: JobContext, request: RestoreVolumeRequest) -> dict:
    started = time.monotonic()
    resources = TemporaryResources(ctx)
    failure: BaseException | None = None
    try:
        result = _restore(ctx, request, resources)
    except BaseException as error:
        failure = error
        ctx.log.add("failed", f"{type(error).__name__}: {error}")
        raise
    finally:
        problems = resources.cleanup()
        if failure is not None:
            add_cleanup_report(failure, problems)
    result.update(duration=round(time.monotonic() - started, 3), cleanup_problems=list(resources.problems),
                  warnings=list(ctx.log.warnings), log=ctx.log.as_list())
    return result


def _restore(ctx: JobContext, request: RestoreVolumeRequest, resources: TemporaryResources) -> dict:
    key = request.volume_id
    repository, restore_point = open_restore_point(ctx, request)
    restore_point.volume(key)  # VolumeNotFound names the volumes it has
    record = volume_record(restore_point, key)
    metadata = restore_point.instance_metadata or {}
    zone = request.availability_zone or record.get("availability_zone") or metadata.get("availability_zone")
    check_proxy(ctx, zone)
    project_id = request.project_id or metadata.get("project_id")
    tenant = ctx.cloud.for_project(project_id)

    server = None
    attach_to = request.attach_to
    if attach_to:
        try:
            server = tenant.compute.get_server(attach_to)
        except ResourceNotFound:
            raise InvalidJobRequest(f"instance {attach_to} to attach the restored volume to does not exist in "
                                    f"project {project_id}") from None
        server_zone = server.availability_zone
        if server_zone and server_zone != zone:
            raise InvalidJobRequest(f"instance {attach_to} is in availability zone {server_zone}, the volume would be "
                                    f"in {zone}; restore it into {server_zone} to attach it there")

    label = record.get("name") or (f"{metadata.get('name')}-root" if key == ROOT_DISK_KEY else key)
    volume_type = check_volume_type(ctx, tenant, request.volume_type, record.get("volume_type"),
                                    f"volume {label}", encrypted=bool(record.get("encrypted")),
                                    field_name="volume_type")
    plan = plan_volume(restore_point, key, zone, volume_type, name=request.name or restored_name(label))
    ctx.progress.set_total(plan.entry.size)
    create_volumes(ctx, tenant, resources, [plan])
    write_volume(ctx, resources, repository, restore_point, plan)
    if plan.bootable:
        prepare_for_boot(ctx, tenant, plan)
    if server is not None:
        ctx.step("attach_to_instance", f"Attaching volume {plan.volume_id} to instance {attach_to}")
        tenant.compute.create_volume_attachment(attach_to, plan.volume_id)
        wait_volume_attached(ctx.cloud, plan.volume_id, attach_to, timeout=ctx.timeouts.attach,
                             what=f"Volume {plan.volume_id} (restored {plan.label})",
                             where=f" on instance {server.name or attach_to}", cancel=ctx.cancel)
    ctx.step("finalize", f"Naming the restored volume {plan.name!r}")
    finalize_volume(tenant, plan)
    resources.keep("volumes", plan.volume_id)
    ctx.log.add("done", f"volume {plan.volume_id} ({plan.name}) restored from {restore_point.id}"
                        + (f" and attached to {attach_to}" if server is not None else ""))
    return {"volume_id": plan.volume_id, "name": plan.name, "attached_to": attach_to if server is not None else None,
            "availability_zone": zone, "restore_point_id": restore_point.id, "source_volume_id": key,
            "bytes_written": int(plan.stats.get("bytes_written", 0))}
