# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Jobs as the catalog tracks them, queued → running → succeeded / failed / cancelled: backups and restores (on the
proxy of an availability zone), and the data plane's verify, delete, prune, lock and rebuild (on a data worker).

Every job is made here, whoever asks: a person through the API, or the control plane itself (scheduler, retention)
as ``SYSTEM``. Creating a job only records it (after the quota, tenancy and one-backup-per-instance checks);
``storage_backup.services.dispatch`` sends it, in the control worker, when a worker is up and has a free slot, and
``storage_backup.services.tracking`` records progress and results from the Celery result backend.
"""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from storage_backup import contract
from storage_backup.catalog.models import (
    ACTIVE_JOB_STATES,
    Destination,
    Job,
    JobState,
    JobType,
    Policy,
    ProtectedInstance,
    RestorePoint,
)
from storage_backup.notifications import events
from storage_backup.policies import backups as backup_rules
from storage_backup.policies import destinations as destination_rules
from storage_backup.policies import jobs as job_rules
from storage_backup.policies import restore_points as restore_point_rules
from storage_backup.services import (
    assignments,
    bus,
    data_plane,
    encrypted_volumes,
    inventory,
    lock_maintenance,
    quotas,
    restore_names,
    restore_points,
    restore_targets,
    vanished,
    vault,
    vault_recovery,
)
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize, check_visible, listing, scope_queryset
from storage_backup.services.errors import Conflict, NotFound, ValidationFailed
from storage_backup.services.policies import lock_until

STRATEGIES = ("full", "incremental")


def log_entry(step: str, message: str) -> dict:
    return {"at": timezone.now().isoformat(), "step": step, "message": message}


def list_jobs(caller: Caller, project_id: str | None = None, instance_id: str | None = None,
              state: str | None = None):
    caller = listing(caller, job_rules.LIST, job_rules.LIST_ALL)
    queryset = scope_queryset(caller, Job.objects.all(), project_id=project_id)
    if instance_id:
        queryset = queryset.filter(instance_id=instance_id)
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def get_job(caller: Caller, job_id: str) -> Job:
    job = Job.objects.filter(id=job_id).first()
    if job is None:
        raise NotFound(f"Job {job_id} could not be found.")
    check_visible(caller, job.project_id, "Job", job_id)
    authorize(caller, job_rules.GET, {"project_id": job.project_id})
    return job


def active_backup(instance_id: str) -> Job | None:
    return Job.objects.filter(instance_id=instance_id, type=JobType.BACKUP, state__in=ACTIVE_JOB_STATES).first()


def choose_strategy(assignment: ProtectedInstance, requested: str | None) -> str:
    """``auto``: a full backup every ``full_every`` restore points, incremental in between (and full first)."""
    if requested:
        return requested
    policy = assignment.policy
    if policy.strategy != "auto":
        return policy.strategy
    points = list(RestorePoint.objects.filter(instance_id=assignment.instance_id, destination=policy.destination,
                                              vault_only=False)
                  .order_by("-created_at").values_list("strategy", flat=True)[:max(policy.full_every, 1)])
    if "full" not in points:
        return "full"
    # ``full_every`` = N: a full, then N-1 incrementals, then the next full.
    return "full" if points.index("full") + 1 >= policy.full_every else "incremental"


def create_backup(caller: Caller, instance_id: str, strategy: str | None = None, scheduled: bool = False) -> Job:
    with audited(caller, "backup.create", "instance", instance_id) as target:
        if strategy is not None and strategy not in STRATEGIES:
            raise ValidationFailed("strategy", "must be 'full' or 'incremental' (or left out to follow the policy)")
        try:
            assignment = assignments.get_assignment(caller, instance_id)
        except NotFound:
            raise ValidationFailed("instance_id", f"instance {instance_id} is not protected by a policy in this "
                                                  "project; assign it to a policy first") from None
        target.project_id = assignment.project_id
        authorize(caller, backup_rules.CREATE, {"project_id": assignment.project_id})
        instance = inventory.get_instance(instance_id)
        if instance is None:
            raise ValidationFailed("instance_id", f"instance {instance_id} no longer exists in the cloud")
        quotas.check_backup(assignment.project_id)
        policy = assignment.policy
        encrypted_volumes.refuse_unencrypted_destination(instance, policy.destination, "instance_id")
        now = timezone.now()
        lock = lock_until(policy, now)
        job = Job(type=JobType.BACKUP, project_id=assignment.project_id, instance_id=instance_id,
                  instance_name=instance.name, policy=policy, destination=policy.destination,
                  strategy=choose_strategy(assignment, strategy), availability_zone=instance.availability_zone,
                  queue=bus.proxy_queue(instance.availability_zone), task_name=contract.BACKUP_INSTANCE,
                  priority=policy.priority, scheduled=scheduled, requested_by=caller.user_id)
        job.request = {
            "job_id": job.id, "project_id": job.project_id, "instance_id": instance_id, "strategy": job.strategy,
            "labels": {"policy_id": policy.id, "job_id": job.id, "project_id": job.project_id,
                       "instance_id": instance_id},
            "retention_lock_until": lock.isoformat().replace("+00:00", "Z") if lock else None,
            "read_limit_mbps": policy.read_limit_mbps,
        }
        job.log = [log_entry("queued", f"{'Scheduled' if scheduled else 'Requested'} {job.strategy} backup of "
                                       f"{instance.name or instance_id} by {caller.user_name or caller.user_id}")]
        if assignment.availability_zone != instance.availability_zone:
            ProtectedInstance.objects.filter(pk=instance_id).update(availability_zone=instance.availability_zone)
        try:
            with transaction.atomic():
                busy = Job.objects.select_for_update().filter(instance_id=instance_id, type=JobType.BACKUP,
                                                              state__in=ACTIVE_JOB_STATES).first()
                if busy is not None:
                    raise Conflict(f"Instance {instance_id} already has a backup job {busy.id} ({busy.state}); "
                                   "one backup per instance runs at a time.")
                reverting = Job.objects.filter(instance_id=instance_id, type=JobType.REVERT,
                                               state__in=ACTIVE_JOB_STATES).first()
                if reverting is not None:  # its volumes are being overwritten: a snapshot now would hold half
                    raise Conflict(f"Instance {instance_id} is being reverted in place (job {reverting.id}); back it "
                                   "up once the revert has ended.")
                job.save()
        except IntegrityError:
            busy = active_backup(instance_id)
            raise Conflict(f"Instance {instance_id} already has a backup job {busy.id if busy else ''}; one backup "
                           "per instance runs at a time.") from None
        target.detail = f"job {job.id}"
        return job


RESTORE_OPTIONS = ("name", "availability_zone", "flavor_id", "network_mapping", "volume_types", "volumes")


def create_restore(caller: Caller, restore_point_id: str, options: dict) -> Job:
    """A whole-instance restore, or a single volume when ``volume_id`` is given."""
    with audited(caller, "restore.create", "restore_point", restore_point_id) as target:
        point = restore_points.get_restore_point(caller, restore_point_id)
        target.project_id = point.project_id
        authorize(caller, restore_point_rules.RESTORE, {"project_id": point.project_id})
        volume_ids = {volume.get("volume_id") for volume in point.volumes}
        for volume_id in options.get("volumes") or []:
            if volume_ids and volume_id not in volume_ids:
                raise ValidationFailed("volumes", f"volume {volume_id} is not in restore point {point.id}")
        single = options.get("volume_id")
        if single and volume_ids and single not in volume_ids:
            raise ValidationFailed("volume_id", f"volume {single} is not in restore point {point.id}")
        encrypted_volumes.check_restore_types(point, options)
        zone = options.get("availability_zone") or point.availability_zone
        zones = inventory.availability_zones()
        if options.get("availability_zone") and zones and zone not in zones:
            raise ValidationFailed("availability_zone", f"no availability zone {zone}; choose one of "
                                                        f"{', '.join(zones)}")
        restore_targets.check(point, options)  # what could only fail on the proxy is refused now
        # A vault-only restore point's primary copy is gone: it reads from the vault, and only from there.
        source = options.get("source") or (vault.SOURCE_VAULT if point.vault_only else vault.SOURCE_PRIMARY)
        if point.vault_only and source == vault.SOURCE_PRIMARY:
            raise Conflict(f"Restore point {point.id} is vault-only: it was deleted from its primary destination and "
                           "recovered from its vault copy, so it can be restored from the vault only (source: "
                           "vault).")
        copy = None
        if source == vault.SOURCE_VAULT:
            copy = vault.copied_copy(point)
            if copy is None:
                raise ValidationFailed("source", f"restore point {point.id} has no copy in a vault yet; restore it "
                                                 "from its primary destination")
        elif source != vault.SOURCE_PRIMARY:
            raise ValidationFailed("source", "must be 'primary' or 'vault'")
        if single:
            job_type, task = JobType.RESTORE_VOLUME, contract.RESTORE_VOLUME
            request = {"volume_id": single, "name": options.get("name"), "availability_zone": zone,
                       "volume_type": options.get("volume_type"), "attach_to": options.get("attach_to")}
            if options.get("attach_to"):
                assignments.find_instance(caller, options["attach_to"], field="attach_to")
        else:
            job_type, task = JobType.RESTORE, contract.RESTORE_INSTANCE
            request = {"name": options.get("name"), "availability_zone": zone,
                       "flavor_id": options.get("flavor_id"),
                       "network_mapping": options.get("network_mapping") or {},
                       "volume_types": options.get("volume_types") or {}, "volumes": options.get("volumes") or []}
        request.update(restore_names.request_fields(point, options))
        job = Job(type=job_type, project_id=point.project_id, instance_id=point.instance_id,
                  instance_name=point.instance_name, policy=point.policy, destination=point.destination,
                  restore_point_id=point.id, availability_zone=zone, queue=bus.proxy_queue(zone), task_name=task,
                  priority=100, requested_by=caller.user_id)
        job.request = {"job_id": job.id, "project_id": point.project_id, "restore_point_id": point.id, **request}
        job.log = [log_entry("queued", f"Restore of {point.instance_name or point.instance_id} from {point.id} "
                                       f"requested by {caller.user_name or caller.user_id}")]
        if copy is not None:
            # Read from the vault copy through the vault worker's time-limited grant, asked for now.
            job.request["source"], job.request["vault_id"] = vault.SOURCE_VAULT, copy.vault_id
            job.log.append(log_entry("queued", f"From the vault copy in {copy.vault.name}: waiting for the vault "
                                               "worker's read-only grant"))
        with transaction.atomic():
            job.save()
            if copy is not None:
                vault.request_grant(job, copy)
        target.detail = f"job {job.id}"
        return job


def record_refused_backup(caller: Caller, policy: Policy, instance_id: str, project_id: str, message: str) -> Job:
    """A scheduled backup that could not even be queued (``create_backup`` refused it): a failed job, so the
    tenant sees why the backup did not happen."""
    job = Job.objects.create(type=JobType.BACKUP, project_id=project_id, instance_id=instance_id, policy=policy,
                             destination=policy.destination, state=JobState.FAILED, scheduled=True, error=message,
                             finished_at=timezone.now(), requested_by=caller.user_id,
                             log=[log_entry("failed", message)])
    events.announce(events.build(job, events.Phase.ERROR, "refused"))
    return job


# -- the data plane's jobs (queue ``data``) ---------------------------------------------------------------------------

def data_job(caller: Caller, job_type: str, task_name: str, destination: Destination, request: dict, message: str,
              *, project_id: str, priority: int, scheduled: bool = False, point: RestorePoint | None = None,
              policy: Policy | None = None) -> Job:
    job = Job(type=job_type, project_id=project_id, destination=destination, queue=contract.DATA_QUEUE,
              task_name=task_name, priority=priority, scheduled=scheduled, requested_by=caller.user_id,
              policy=policy or (point.policy if point else None))
    if point is not None:
        job.instance_id, job.instance_name, job.restore_point_id = point.instance_id, point.instance_name, point.id
    job.request = {"job_id": job.id, **request}
    job.log = [log_entry("queued", message)]
    job.save()
    return job


def _by(caller: Caller) -> str:
    return caller.user_name or caller.user_id


def create_verify(caller: Caller, restore_point_id: str) -> Job:
    """Read every chunk of the restore point on a data worker and check its keyed hash (writes nothing)."""
    with audited(caller, "restore_point.verify", "restore_point", restore_point_id) as target:
        point = restore_points.get_restore_point(caller, restore_point_id)
        target.project_id = point.project_id
        authorize(caller, restore_point_rules.VERIFY, {"project_id": point.project_id})
        vault_recovery.refuse_vault_only(point, "verified")
        job = data_job(caller, JobType.VERIFY, contract.VERIFY_RESTORE_POINT, point.destination,
                        {"project_id": point.project_id, "restore_point_id": point.id},
                        f"Verification of restore point {point.id} of {point.instance_name or point.instance_id} "
                        f"requested by {_by(caller)}", project_id=point.project_id, priority=50, point=point)
        target.detail = f"job {job.id}"
        return job


def create_delete(caller: Caller, points: list[RestorePoint], reason: str, *, scheduled: bool = False,
                  policy: Policy | None = None) -> Job:
    """Delete restore points of one destination and project: from the catalog at once (they are no longer listed,
    restored or counted), from the repository by a ``delete`` job on a data worker; the data they alone referenced
    goes at the destination's next prune. A retention lock refuses the whole call (409), for everyone."""
    if not points:
        raise ValidationFailed("restore_point_ids", "name at least one restore point to delete")
    first = points[0]
    if any(p.destination_id != first.destination_id or p.project_id != first.project_id for p in points):
        raise ValidationFailed("restore_point_ids", "restore points of one destination and project at a time")
    ids = [point.id for point in points]
    with transaction.atomic():
        rows = list(RestorePoint.objects.select_for_update().filter(pk__in=ids))
        for point in rows:
            restore_points.refuse_if_locked(point)
            # Its primary holds nothing to delete (restore_points.delete_restore_point removes its row alone).
            vault_recovery.refuse_vault_only(point, "deleted by a job on its primary destination")
        if Job.objects.filter(restore_point_id__in=ids, state__in=ACTIVE_JOB_STATES,
                              type__in=(JobType.RESTORE, JobType.RESTORE_VOLUME)).exists():
            raise Conflict(f"Restore point {', '.join(ids)} is being restored; wait for that job to end.")
        vault.primary_deleted(ids)  # never propagated to a vault: its copy stays, now the only one
        instances = {point.instance_id for point in points}
        job = data_job(caller, JobType.DELETE, contract.DELETE_RESTORE_POINTS, first.destination,
                        {"restore_point_ids": ids}, reason, project_id=first.project_id, priority=60,
                        scheduled=scheduled, point=first if len(points) == 1 else None, policy=policy)
        if len(instances) == 1 and len(points) > 1:
            job.instance_id, job.instance_name = first.instance_id, first.instance_name
            job.save(update_fields=["instance_id", "instance_name"])
        RestorePoint.objects.filter(pk__in=ids).delete()
    return job


def refuse_vault(destination: Destination, what: str) -> None:
    """Nothing on the primary side holds a vault's credentials: no data job can be run on one."""
    if destination.vault:
        raise Conflict(f"Destination {destination.name} is a vault: only its vault worker reaches it, so it cannot "
                       f"be {what} from here.")


def create_prune(caller: Caller, destination: Destination, reason: str = "") -> Job:
    """Remove the data no restore point of the destination references any more (on a data worker). One prune per
    destination at a time (409 while one is queued or running)."""
    authorize(caller, destination_rules.PRUNE, {"project_id": destination.project_id})
    refuse_vault(destination, "pruned")
    with transaction.atomic():
        busy = Job.objects.select_for_update().filter(destination=destination, type=JobType.PRUNE,
                                                      state__in=ACTIVE_JOB_STATES).first()
        if busy is not None:
            raise Conflict(f"Destination {destination.name} already has a prune job {busy.id} ({busy.state}).")
        # The locked ones: a prune that finds one missing stops and says so (services/vanished.py).
        job = data_job(caller, JobType.PRUNE, contract.PRUNE_DESTINATION, destination,
                        {"locked_restore_point_ids": vanished.locked_ids(destination)},
                        reason or f"Prune of destination {destination.name} requested by {_by(caller)}",
                        project_id=destination.project_id, priority=10, scheduled=caller.system)
    data_plane.prune_taken(destination.id)
    return job


def _refuse_if_busy(destination: Destination, job_type: str, what: str) -> None:
    """One job of ``job_type`` at a time per destination: 409 while one is queued or running (the row lock, taken
    inside the caller's transaction, keeps two control workers from both making one)."""
    busy = Job.objects.select_for_update().filter(destination=destination, type=job_type,
                                                  state__in=ACTIVE_JOB_STATES).first()
    if busy is not None:
        raise Conflict(f"Destination {destination.name} already has {what} {busy.id} ({busy.state}).")


def create_lock_maintenance(caller: Caller, destination: Destination, reason: str = "") -> Job:
    """Extend the Object Lock retention of what the destination's restore points reference (on a data worker;
    ``services/lock_maintenance.py``). One at a time per destination (409 while one is queued or running)."""
    authorize(caller, destination_rules.PRUNE, {"project_id": destination.project_id})
    with transaction.atomic():
        _refuse_if_busy(destination, JobType.LOCK_MAINTENANCE, "a lock maintenance job")
        return data_job(caller, JobType.LOCK_MAINTENANCE, contract.MAINTAIN_LOCKS, destination,
                         {"locked_restore_points": lock_maintenance.locked_restore_points(destination)},
                         reason or f"Lock maintenance of destination {destination.name} requested by {_by(caller)}",
                         project_id=destination.project_id, priority=70, scheduled=caller.system)


def create_vanished_check(caller: Caller, destination: Destination, reason: str = "") -> Job:
    """Look for the destination's locked restore points in its repository (names only, on a data worker;
    ``services/vanished.py``). One at a time per destination (409 while one is queued or running); never a vault."""
    authorize(caller, destination_rules.PRUNE, {"project_id": destination.project_id})
    refuse_vault(destination, "checked")
    with transaction.atomic():
        _refuse_if_busy(destination, JobType.VANISHED_CHECK, "a vanished check job")
        return data_job(caller, JobType.VANISHED_CHECK, contract.CHECK_LOCKED, destination,
                         {"locked_restore_point_ids": vanished.locked_ids(destination)},
                         reason or f"Check of the locked restore points of destination {destination.name} "
                                   f"requested by {_by(caller)}",
                         project_id=destination.project_id, priority=20, scheduled=caller.system)


def create_lock(caller: Caller, point: RestorePoint, until: dt.datetime) -> Job:
    """Write the restore point's retention lock into its repository (the catalog holds it already): so the lock
    holds without the catalog, and a rebuilt catalog gets it back."""
    return data_job(caller, JobType.LOCK, contract.SET_RETENTION_LOCK, point.destination,
                     {"restore_point_id": point.id,
                      "retention_lock_until": until.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")},
                     f"Retention lock of restore point {point.id} until {until.isoformat()} set by {_by(caller)}; "
                     "writing it into the repository", project_id=point.project_id, priority=90, point=point)


def create_rebuild(caller: Caller, destination: Destination, dry_run: bool = False,
                   remove_missing: bool = True) -> Job:
    """Rebuild the catalog's restore points of a destination from its repository: a data worker lists the restore
    point documents, the control plane makes the rows (``storage_backup.services.catalog_rebuild``)."""
    with audited(caller, "destination.rebuild", "destination", destination.id, destination.project_id) as target:
        authorize(caller, destination_rules.REBUILD, {"project_id": destination.project_id})
        refuse_vault(destination, "rebuilt from")
        job = data_job(caller, JobType.REBUILD, contract.LIST_RESTORE_POINTS, destination,
                        {"dry_run": dry_run, "remove_missing": remove_missing},
                        f"Catalog rebuild from destination {destination.name} ({destination.path})"
                        f"{' (dry run)' if dry_run else ''} requested by {_by(caller)}",
                        project_id=destination.project_id, priority=80)
        target.detail = f"job {job.id}"
        return job


def _not_started(job: Job) -> bool:
    """A sent job whose task has not started (its message waits, is reserved, or was lost). Asked after the cancel
    key is set: a task that starts from now on sees the key and ends without doing anything (docs/TASKS.md)."""
    return job.state == JobState.QUEUED and bus.status(job.celery_task_id).state == "PENDING" \
        and not bus.job_alive(job.id)


def cancel(caller: Caller, job_id: str) -> Job:
    """Queued jobs end at once (sent or not: a task that starts later sees the cancel key and does nothing); running
    ones are asked to stop (they clean up, then end ``cancelled``)."""
    with audited(caller, "job.cancel", "job", job_id) as target:
        with transaction.atomic():
            job = get_job(caller, job_id)
            target.project_id = job.project_id
            authorize(caller, job_rules.CANCEL, {"project_id": job.project_id})
            job = Job.objects.select_for_update().get(pk=job.pk)
            if job.state not in ACTIVE_JOB_STATES:
                raise Conflict(f"Job {job_id} has already ended ({job.state}).")
            bus.request_cancel(job.id)
            who = caller.user_name or caller.user_id
            # Who asked, kept beside the words (not shown by the API): the cancel event names them.
            by = {"user_id": caller.user_id, "user_name": caller.user_name}
            if not job.celery_task_id or _not_started(job):
                job.state = JobState.CANCELLED
                job.finished_at = timezone.now()
                job.waiting_reason = ""
                job.cancel_requested = bool(job.celery_task_id)
                bus.end_attempt(job.id)
                job.log = [*job.log, {**log_entry("cancelled", f"Cancelled by {who} before it started"), **by}]
                job.save()
                # Only the cancel: this attempt never ran (a start an earlier attempt sent was sent then).
                events.announce(events.build(job, events.Phase.CANCEL))
                return job
            job.cancel_requested = True
            job.log = [*job.log, {**log_entry("cancel", f"Cancel requested by {who}; the proxy stops at the next "
                                                        "block and cleans up"), **by}]
            job.save()  # its cancel event is told when the worker has stopped (services/tracking.py)
            return job
