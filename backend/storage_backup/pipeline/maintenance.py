# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The repository work of the data tasks (docs/TASKS.md ``data.*``): delete restore points, prune, write a retention
lock (and, on S3 with Object Lock, retain its objects until then), maintain the Object Lock retention of what restore
points reference, list the restore point documents a catalog rebuild is made from. They run on a data worker, which
mounts the destinations, so the control plane never opens a repository; each uses ``Repository``'s public methods
only."""
from __future__ import annotations

import logging
import time

from storage_backup.contract import (
    CheckLockedRequest,
    CheckLockedResult,
    DeleteRequest,
    DeleteResult,
    DocumentVolume,
    FailureCode,
    LockRequest,
    LockResult,
    MaintainLocksRequest,
    MaintainLocksResult,
    NotDeleted,
    PruneRequest,
    PruneResult,
    RebuildRequest,
    RebuildResult,
    RestorePointDocument,
)
from storage_backup.repository import RepositoryError, RestorePointNotFound, RetentionLocked

from .context import JobContext
from .errors import InvalidJobRequest, RepositoryUnavailable
from .hardening import harden
from .repository_access import location, open_existing

# What a prune reports, as the engine's report names it (``PruneResult`` has the same fields).
PRUNE_FIGURES = ("restore_points", "chunks_used", "chunks_removed", "packs_deleted", "packs_repacked", "packs_written",
                 "orphan_packs", "bytes_freed", "index_objects_before", "index_objects_after", "temporary_files",
                 "stale_locks")


def delete_restore_points(ctx: JobContext, request: DeleteRequest) -> DeleteResult:
    """Remove each restore point's document. One the repository no longer has counts as gone (a retry after a
    partial run); one under a retention lock in the repository is refused and reported, the others go on. A
    repository held by another job fails the task as ``repository_busy`` (retried; what is done stays done)."""
    repository = open_existing(request.destination, request.repository_secret, ctx.proxy.repository_root)
    deleted: list[str] = []
    gone: list[str] = []
    refused: list[NotDeleted] = []
    if repository is None:
        ctx.log.add("delete", "Nothing was ever written to this destination: no restore point to delete")
        gone = list(request.restore_point_ids)
    for point_id in request.restore_point_ids if repository is not None else ():
        ctx.cancel.check(f"before deleting restore point {point_id}")
        try:
            repository.delete_restore_point(point_id)
        except RestorePointNotFound:
            gone.append(point_id)
            ctx.log.add("deleted", f"Restore point {point_id} was already gone from the repository")
        except RetentionLocked as error:
            refused.append(NotDeleted(point_id, str(FailureCode.RETENTION_LOCKED), str(error)))
            ctx.log.warning("delete", f"Restore point {point_id} not deleted: {error}")
        except RepositoryError as error:
            # An unreadable document (its lock cannot be known) is reported and kept; the others go on.
            refused.append(NotDeleted(point_id, str(FailureCode.DATA_DAMAGED), str(error)))
            ctx.log.warning("delete", f"Restore point {point_id} not deleted, its document cannot be read: {error}")
        else:
            deleted.append(point_id)
            ctx.log.add("deleted", f"Deleted restore point {point_id} from the repository")
    return DeleteResult(deleted=deleted, already_gone=gone, not_deleted=refused, log=ctx.log.as_list())


def prune_destination(ctx: JobContext, request: PruneRequest) -> PruneResult:
    """Remove the data no restore point references any more (``repository_busy`` while a backup, restore or verify
    holds the repository)."""
    started = time.monotonic()
    repository = open_existing(request.destination, request.repository_secret, ctx.proxy.repository_root)
    if repository is None:
        ctx.log.add("prune", "Nothing was ever written to this destination: nothing to prune")
        return PruneResult(repository_found=False, log=ctx.log.as_list())
    present = set(repository.restore_point_ids())
    missing = sorted(set(request.locked_restore_point_ids) - present)
    if missing:
        # Pruning now would delete the very data a put-back document needs: stop, and say it loudly.
        for point_id in missing:
            ctx.log.add("check", f"Restore point {point_id} is locked in the catalog but its document has VANISHED "
                                 "from the repository", logging.ERROR)
        ctx.log.add("prune", "Nothing pruned: the data of the vanished locked restore point(s) is kept",
                    logging.ERROR)
        return PruneResult(restore_points=len(present), missing_locked=missing,
                           duration=round(time.monotonic() - started, 3), log=ctx.log.as_list())
    ctx.step("prune", f"Pruning destination {request.destination.id}: removing the data no restore point references "
                      "any more")
    ensure_lifecycle(ctx, repository.destination)
    report = repository.prune(progress=lambda message: ctx.log.add("prune", message))
    figures = {name: int(getattr(report, name, 0) or 0) for name in PRUNE_FIGURES}
    for unreadable in report.unreadable_restore_points:
        ctx.log.warning("prune", f"Restore point {unreadable}; no data was deleted while it cannot be read")
    ctx.log.add("prune", f"Freed {figures['bytes_freed']} bytes: {figures['packs_deleted']} pack(s) deleted, "
                         f"{figures['packs_repacked']} repacked")
    kept = len(getattr(repository.destination, "kept_locked", ()))
    if kept:
        ctx.log.add("prune", f"{kept} object(s) kept: the immutable helper still locks them (a prune after their "
                             "lock date removes them)")
    return PruneResult(**figures, kept_locked=kept, duration=round(time.monotonic() - started, 3),
                       log=ctx.log.as_list())


def ensure_lifecycle(ctx: JobContext, destination) -> None:
    """On S3, what prune deletes under Object Lock only gets a delete marker; the product's lifecycle rule is what
    reclaims the space once the locks expire, so prune makes sure it is there (an operator may have replaced the
    bucket's lifecycle configuration). Failing to set it is a warning: the prune itself still holds."""
    from botocore.exceptions import BotoCoreError, ClientError
    from storage_backup.repository import S3Destination

    if not isinstance(destination, S3Destination):
        return
    try:
        changed = destination.ensure_lifecycle()
    except (ClientError, BotoCoreError, RepositoryError) as error:
        ctx.log.warning("prune", f"The bucket's lifecycle rule could not be set ({error}): what this prune deletes "
                                 "stays stored as noncurrent versions until it is")
        return
    if changed:
        ctx.log.add("prune", f"Lifecycle rule {destination.lifecycle_rule_id} set: versions no longer current go "
                             f"{destination.settings.noncurrent_days} day(s) later, once their lock allows")
    if destination.settings.lock_mode:
        ctx.log.add("prune", "Object Lock: what is deleted now only gets a delete marker; its versions stay until "
                             "their lock expires, and the lifecycle rule reclaims them after that")


def set_retention_lock(ctx: JobContext, request: LockRequest) -> LockResult:
    """Write the lock into the restore point's document. A restore point the repository does not have keeps its lock
    in the catalog only (``locked`` false); shortening a lock the repository holds fails ``retention_locked``."""
    point_id = request.restore_point_id
    repository = open_existing(request.destination, request.repository_secret, ctx.proxy.repository_root)
    try:
        if repository is None:
            raise RestorePointNotFound(f"nothing was ever written to destination {request.destination.id}")
        point = repository.set_retention_lock(point_id, request.retention_lock_until)
    except PermissionError:
        # A hardened destination's document is immutable while locked: the helper's record carries the extension
        # (the files stay immutable until the new date), the document keeps the date it was written with.
        if not harden(ctx, repository, point_id, request.retention_lock_until, "lock"):
            raise
        ctx.log.add("lock", f"Restore point {point_id} is immutable until {request.retention_lock_until}; its "
                            "document keeps its earlier date (it cannot be rewritten while immutable)")
        return LockResult(restore_point_id=point_id, locked=True, retention_lock_until=request.retention_lock_until,
                          log=ctx.log.as_list())
    except RestorePointNotFound as error:
        ctx.log.warning("lock", f"Restore point {point_id} is not in the repository ({error}); its lock is kept in "
                                "the catalog only")
        return LockResult(restore_point_id=point_id, locked=False, log=ctx.log.as_list())
    ctx.log.add("lock", f"Restore point {point_id} is locked in the repository until {point.lock_until}")
    harden(ctx, repository, point_id, point.lock_until, "lock")
    retained, catalog_only = retain_on_object_store(ctx, repository, request.destination, point_id, point.lock_until)
    return LockResult(restore_point_id=point_id, locked=True, retention_lock_until=point.lock_until,
                      objects_retained=retained, catalog_only=catalog_only, log=ctx.log.as_list())


def _keeps_retention(repository) -> bool:
    """Whether the repository's destination sets per-object retention (S3 with a lock mode)."""
    return bool(getattr(repository.destination, "retention_days", None))


def retain_on_object_store(ctx: JobContext, repository, destination, point_id: str, until: str) -> tuple[int, bool]:
    """On an object store, make the storage hold the lock too: ``(objects retained until the lock date, catalog
    only)``. With Object Lock every object the restore point needs is retained until ``until`` (a failure fails the
    job: the catalog still refuses deletion meanwhile); without it, the lock is the catalog's alone, and said so."""
    if not destination.is_object_store:
        return 0, False
    if not _keeps_retention(repository):
        ctx.log.warning("lock", f"Destination {destination.id} has no Object Lock: the lock of restore point "
                                f"{point_id} is kept by the catalog only (and written in its document); whoever holds "
                                "the bucket's credentials can still delete its objects")
        return 0, True
    report = repository.maintain_locks({point_id: until}, [point_id],
                                       progress=lambda message: ctx.log.add("lock", message))
    if not report.ok:
        raise RepositoryUnavailable(
            f"Restore point {point_id} is locked in its document, but the Object Lock retention of "
            f"{report.objects_failed} of its object(s) could not be extended to {until}: "
            + "; ".join(report.failures[:5]))
    ctx.log.add("lock", f"Restore point {point_id}: {report.objects_checked} object(s) retained by Object Lock until "
                        f"at least {until} ({report.objects_extended} extended, {report.objects_long_enough} retained "
                        "that long already)")
    return report.objects_checked, False


# What a lock maintenance pass reports, as the engine's report names it (``MaintainLocksResult`` has the same fields).
LOCK_MAINTENANCE_FIGURES = ("restore_points", "locked_restore_points", "objects_checked", "objects_extended",
                            "objects_long_enough", "objects_failed", "failures", "missing_locked",
                            "unreadable_restore_points", "protected_until", "duration")


def maintain_locks(ctx: JobContext, request: MaintainLocksRequest) -> MaintainLocksResult:
    """Extend the Object Lock retention of everything the destination's restore points reference: to now + the
    destination's ``lock_days``, and a locked one's to its lock date (the later of the catalog's and the
    document's). What could not be extended is in the result (the control plane raises the alert); a destination
    without Object Lock fails ``invalid_request``."""
    repository = open_existing(request.destination, request.repository_secret, ctx.proxy.repository_root)
    if repository is None:
        ctx.log.add("maintain", "Nothing was ever written to this destination: no retention to extend")
        return MaintainLocksResult(repository_found=False, log=ctx.log.as_list())
    if not _keeps_retention(repository):
        raise InvalidJobRequest(f"destination {request.destination.id} has no Object Lock (lock= and lock_days= in "
                                "its location): there is no retention to maintain")
    ctx.step("maintain", f"Extending the Object Lock retention of what the restore points of destination "
                         f"{request.destination.id} reference")
    report = repository.maintain_locks(request.locked_restore_points,
                                       progress=lambda message: ctx.log.add("maintain", message))
    for failure in report.failures:
        ctx.log.add("maintain", f"Not retained: {failure}", logging.ERROR)
    if report.ok:
        ctx.log.add("maintain", f"Every referenced object is retained until {report.protected_until} at least")
    return MaintainLocksResult(**{name: getattr(report, name) for name in LOCK_MAINTENANCE_FIGURES},
                               log=ctx.log.as_list())


def check_locked_restore_points(ctx: JobContext, request: CheckLockedRequest) -> CheckLockedResult:
    """Which of the catalog's locked restore points have no document in the repository any more: the names listed,
    nothing read, no lock taken (a backup or prune running on the destination is no reason to wait). No repository
    at all fails the task: an unmounted share or a wrong bucket is not a deletion, and must not mark every locked
    restore point as vanished."""
    started = time.monotonic()
    repository = open_existing(request.destination, request.repository_secret, ctx.proxy.repository_root)
    if repository is None:
        path = location(request.destination, ctx.proxy.repository_root)
        raise RepositoryUnavailable(f"There is no repository at {path} (destination {request.destination.id}), so "
                                    f"its {len(request.locked_restore_point_ids)} locked restore point(s) could not "
                                    "be checked: is the destination mounted on the data worker (or its bucket and "
                                    "credentials right)?")
    present = set(repository.restore_point_ids())
    missing = sorted(set(request.locked_restore_point_ids) - present)
    for point_id in missing:
        ctx.log.add("check", f"Restore point {point_id} is locked in the catalog but its document has VANISHED "
                             "from the repository", logging.ERROR)
    ctx.log.add("check", f"{len(request.locked_restore_point_ids) - len(missing)} of "
                         f"{len(request.locked_restore_point_ids)} locked restore point(s) in the repository "
                         f"({len(present)} restore point(s) in all)")
    return CheckLockedResult(restore_points=len(present), missing_locked=missing,
                             duration=round(time.monotonic() - started, 3), log=ctx.log.as_list())


def list_restore_points(ctx: JobContext, request: RebuildRequest) -> RebuildResult:
    """Every restore point document of the repository. No repository at all fails the task: an empty or unmounted
    share must never empty the catalog."""
    repository = open_existing(request.destination, request.repository_secret, ctx.proxy.repository_root)
    if repository is None:
        path = location(request.destination, ctx.proxy.repository_root)
        where = "is its bucket the right one, and do its credentials see it?" if request.destination.is_object_store \
            else "is the destination mounted on the data worker?"
        raise RepositoryUnavailable(f"There is no repository at {path} (destination {request.destination.id}); "
                                    f"{where} Nothing in the catalog was changed.")
    ctx.step("list", f"Reading the restore points of destination {request.destination.id}")
    unreadable: list[tuple[str, str]] = []
    documents = [RestorePointDocument(
        id=point.id, created=point.created, labels=dict(point.labels or {}),
        instance_metadata=dict(point.instance_metadata or {}), consistency=point.consistency or "",
        lock_until=point.lock_until,
        volumes=[DocumentVolume(key=volume.key, size=volume.size, strategy=volume.strategy or "",
                                parent=volume.parent, stats=dict(volume.stats or {})) for volume in point.volumes])
        for point in repository.list_restore_points(unreadable=unreadable)]
    for point_id, reason in unreadable:
        ctx.log.warning("list", f"Restore point {point_id} skipped, its document cannot be read: {reason}")
    ctx.log.add("list", f"{len(documents)} restore point(s) in the repository")
    return RebuildResult(restore_points=documents, log=ctx.log.as_list())
