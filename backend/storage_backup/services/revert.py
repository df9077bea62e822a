# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""In-place revert: a restore point written back over the original instance's volumes (``revert`` jobs,
docs/TASKS.md ``proxy.revert``), a data volume alone or the whole (volume-backed) instance.

Guarded as a restore is — tenancy first (another project's restore point is a 404), then the rule
``storage_backup:restore_point:revert`` — and, because it destroys what the volumes hold now, by an explicit
confirmation: ``confirm`` must be ``true`` or the name (or id) of what is overwritten, typed back. What the proxy
would refuse is refused now, naming what changed: the instance or a volume gone (409), a volume resized or attached
elsewhere (409), the boot volume asked for alone (400: Nova does not detach it).

``stop_server`` (one data volume only, default false) has the proxy stop the server while the volume is away and
start it again afterwards. With ``instance`` it is refused (400), not ignored: a whole-instance revert always stops
the server, and a caller asking for it there has misread what the option does.
"""
from __future__ import annotations

from django.db import transaction

from storage_backup import contract
from storage_backup.catalog.models import ACTIVE_JOB_STATES, Job, JobType, RestorePoint
from storage_backup.policies import restore_points as rules
from storage_backup.services import bus, inventory, restore_points, vault_recovery
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize
from storage_backup.services.errors import Conflict, ValidationFailed
from storage_backup.services.jobs import log_entry

GIB = 1 << 30
#: Job types that hold an instance's volumes: a revert waits for them (and they for it).
BUSY_TYPES = (JobType.BACKUP, JobType.REVERT)


def _records(point: RestorePoint) -> dict[str, dict]:
    """The restore point's block-device mapping by volume id."""
    return {record["volume_id"]: record for record in (point.metadata or {}).get("block_device_mapping") or []
            if record.get("volume_id")}


def _confirmed(confirm, names: list[str]) -> bool:
    if confirm is True:
        return True
    return isinstance(confirm, str) and confirm.strip() != "" and confirm.strip() in names


def _check_volume(point: RestorePoint, volume_id: str, instance_id: str) -> inventory.VolumeInfo:
    backed_up = {v.get("volume_id"): v for v in point.volumes or []}
    record = _records(point).get(volume_id) or {}
    volume = inventory.get_volume(volume_id)
    label = f"volume {record.get('name') or volume_id}"
    if volume is None:
        raise Conflict(f"The {label} ({volume_id}) no longer exists; restore it as a new volume instead.")
    recorded = int(record.get("size") or -(-int(backed_up.get(volume_id, {}).get("size") or 0) // GIB))
    if recorded and volume.size != recorded:
        raise Conflict(f"The {label} ({volume_id}) is {volume.size} GiB now and was {recorded} GiB in restore point "
                       f"{point.id}; a revert would leave part of it as it is now. Restore it as a new volume "
                       "instead.")
    others = [server for server in volume.attached_to if server != instance_id]
    if others:
        raise Conflict(f"The {label} ({volume_id}) is attached to server {others[0]}, not to instance "
                       f"{instance_id}; detach it first.")
    return volume


def create_revert(caller: Caller, restore_point_id: str, options: dict) -> Job:
    """Queue a revert of ``options["volume_id"]`` (one data volume) or, with ``options["instance"]`` true, of the
    whole instance; ``options["confirm"]`` must confirm it."""
    with audited(caller, "restore.revert", "restore_point", restore_point_id) as target:
        point = restore_points.get_restore_point(caller, restore_point_id)
        target.project_id = point.project_id
        authorize(caller, rules.REVERT, {"project_id": point.project_id})
        vault_recovery.refuse_vault_only(point, "reverted in place")
        volume_id, whole = options.get("volume_id"), bool(options.get("instance"))
        if bool(volume_id) == whole:
            raise ValidationFailed("volume_id", "name one data volume to revert (volume_id), or ask for the whole "
                                                "instance (instance: true) — one of the two")
        stop_server = bool(options.get("stop_server"))
        if stop_server and whole:
            raise ValidationFailed("stop_server", "a whole-instance revert always stops the server (and starts it "
                                                  "again if it was running); stop_server is for one data volume "
                                                  "(volume_id)")
        instance = inventory.get_instance(point.instance_id)
        if instance is None or instance.project_id != point.project_id:
            raise Conflict(f"Instance {point.instance_name or point.instance_id} no longer exists; a revert writes "
                           "over the original, so restore it as a new instance instead.")
        records = _records(point)
        if volume_id:
            if volume_id not in {v.get("volume_id") for v in point.volumes or []}:
                raise ValidationFailed("volume_id", f"volume {volume_id} is not in restore point {point.id}")
            if (records.get(volume_id) or {}).get("boot_index") == 0:
                raise ValidationFailed("volume_id", f"volume {volume_id} is the boot volume of {instance.name}: Nova "
                                                    "never detaches it; revert the whole instance instead")
            volume = _check_volume(point, volume_id, instance.id)
            # The name it has now, or the one the restore point recorded (what Horizon's dialog shows).
            names = [volume.id, *{volume.name, (records.get(volume_id) or {}).get("name")} - {None, ""}]
            what = f"volume {volume.name or volume.id}"
        else:
            for key in [v.get("volume_id") for v in point.volumes or [] if v.get("volume_id") in records]:
                if key not in instance.volume_ids:
                    raise Conflict(f"Volume {records[key].get('name') or key} ({key}) of restore point {point.id} "
                                   f"is no longer attached to {instance.name}; the instance changed since. Restore "
                                   "it as a new instance instead.")
                _check_volume(point, key, instance.id)
            names = [instance.id, *{instance.name, point.instance_name} - {None, ""}]
            what = f"instance {instance.name or instance.id}"
        if not _confirmed(options.get("confirm"), names):
            typed = " or ".join(repr(name) for name in (names[1:] or names))
            raise ValidationFailed("confirm", f"a revert overwrites {what} with restore point {point.id}; confirm it "
                                              f"with true or by typing its name back ({typed})")
        job = Job(type=JobType.REVERT, project_id=point.project_id, instance_id=point.instance_id,
                  instance_name=instance.name or point.instance_name, policy=point.policy,
                  destination=point.destination, restore_point_id=point.id,
                  availability_zone=instance.availability_zone, queue=bus.proxy_queue(instance.availability_zone),
                  task_name=contract.REVERT, priority=100, requested_by=caller.user_id)
        job.request = {"job_id": job.id, "project_id": point.project_id, "restore_point_id": point.id,
                       "instance_id": point.instance_id, "volume_id": volume_id or None,
                       "availability_zone": instance.availability_zone, "stop_server": stop_server}
        job.log = [log_entry("queued", f"Revert of {what} in place to restore point {point.id}"
                                       + (", the server stopped meanwhile," if stop_server else "")
                                       + f" requested by {caller.user_name or caller.user_id}")]
        with transaction.atomic():
            busy = Job.objects.select_for_update().filter(instance_id=point.instance_id, type__in=BUSY_TYPES,
                                                          state__in=ACTIVE_JOB_STATES).first()
            if busy is not None:
                raise Conflict(f"Instance {instance.name or point.instance_id} has a {busy.type} job {busy.id} "
                               f"({busy.state}); revert it once that job has ended.")
            job.save()
        target.detail = f"job {job.id} ({what})"
        return job
