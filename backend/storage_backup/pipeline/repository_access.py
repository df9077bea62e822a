# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Open the repository a task message names (docs/TASKS.md ``destination`` + ``repository_secret``): a directory
below this worker's repository root (``STORAGE_BACKUP_REPOSITORY_ROOT``, ``/`` by default), or an object store's
bucket or container reached with the destination's ``credentials`` (which arrived sealed to this worker)."""
from __future__ import annotations

import os

from storage_backup.contract import Destination
from storage_backup.repository import (
    InvalidRequest,
    Repository,
    RepositoryError,
    RepositoryExists,
    RepositoryNotFound,
    RestorePoint,
    open_destination,
)

from .errors import InvalidJobRequest, RepositoryUnavailable
from .hardening import repository_target

SUPPORTED_TYPES = ("filesystem", "nfs", "s3", "swift", "presigned")


def location(destination: Destination, root: str = "/") -> str:
    if destination.type not in SUPPORTED_TYPES:
        raise InvalidJobRequest(f"destination type {destination.type!r} is not supported by this worker (it supports "
                                f"{', '.join(SUPPORTED_TYPES)})")
    return destination.location(root)


def dedup_domain(destination: Destination, project_id: str) -> str | None:
    """The deduplication domain of a backup of ``project_id`` (docs/REPOSITORY_FORMAT.md): per project unless the
    destination was opened to cloud-wide deduplication (None: the repository's own key)."""
    if destination.dedup_scope == "cloud":
        return None
    if not project_id:
        raise InvalidJobRequest("a backup to a destination deduplicated per project needs the project's id")
    return f"project:{project_id}"


def target(destination: Destination, root: str = "/"):
    """What ``Repository.open`` / ``init`` get: a directory (or a hardened one), or an object store destination."""
    path = location(destination, root)
    if destination.type == "presigned":
        return _presigned(destination)
    if not destination.is_object_store:
        return repository_target(destination, path)
    if not destination.credentials:
        raise InvalidJobRequest(f"destination {destination.id} is {destination.type} but the task carries no "
                                "credentials for it")
    try:
        return open_destination(path, destination.credentials)
    except InvalidRequest as error:
        raise InvalidJobRequest(f"destination {destination.id}: {error}") from None


def _presigned(destination: Destination):
    """A vault copy, read only through the vault worker's grant (pre-signed URLs that expire by themselves): the
    proxy holds no standing vault credential."""
    if not destination.credentials:
        raise InvalidJobRequest(f"destination {destination.id} is read through a vault grant but the task carries "
                                "none")
    try:
        return open_destination({**destination.credentials, "type": "presigned"})
    except InvalidRequest as error:
        raise InvalidJobRequest(f"destination {destination.id}: {error}") from None


def _missing_container(destination: Destination, opened, root: str) -> str | None:
    """Why the repository's container is not there (an unmounted share, a missing bucket), or None if it is."""
    if destination.type == "presigned":
        return (f"the vault grant for destination {destination.id} holds no repository (it names no object of "
                "one, or it expired)")
    if destination.is_object_store:
        holder = "bucket" if destination.type == "s3" else "container"
        return None if opened.container_exists() else (
            f"destination {destination.id} is not reachable: its {holder} does not exist (or its credentials may "
            "not see it)")
    path = location(destination, root)
    return None if os.path.isdir(path) else (
        f"destination {destination.id} is not reachable on this worker: {path} is not a directory (is the share "
        "mounted?)")


def open_for_backup(destination: Destination, secret: str | None, root: str = "/") -> Repository:
    """The repository at the destination; a new one is created when the directory (bucket, container) is there but
    empty of one (the first backup to a destination). A missing directory is an unmounted share, never created here;
    a missing bucket or container is created (with Object Lock when the destination locks)."""
    opened = target(destination, root)
    try:
        return Repository.open(opened, password=secret or None)
    except RepositoryNotFound:
        if destination.is_object_store:
            opened.ensure_container()
        else:
            reason = _missing_container(destination, opened, root)
            if reason:
                raise RepositoryUnavailable(reason) from None
    if destination.encrypted and not secret:
        raise InvalidJobRequest(f"destination {destination.id} is encrypted but the task carries no repository "
                                "secret")
    try:
        return Repository.init(opened, password=secret if destination.encrypted else None,
                               encryption=destination.encrypted)
    except RepositoryExists:  # another proxy created it a moment ago
        return Repository.open(opened, password=secret or None)


def open_existing(destination: Destination, secret: str | None, root: str = "/") -> Repository | None:
    """The repository at the destination; None when the directory (bucket, container) is there but nothing was
    ever written to it. A missing one fails (``RepositoryUnavailable``): an unmounted share must never look empty."""
    opened = target(destination, root)
    try:
        return Repository.open(opened, password=secret or None)
    except RepositoryNotFound:
        reason = _missing_container(destination, opened, root)
        if reason:
            raise RepositoryUnavailable(reason) from None
        return None


def open_for_restore(destination: Destination, secret: str | None, root: str = "/") -> Repository:
    repository = open_existing(destination, secret, root)
    if repository is None:
        raise RepositoryUnavailable(f"There is no repository at {location(destination, root)} (destination "
                                    f"{destination.id}); is the destination mounted on this worker?")
    return repository


def open_restore_point(ctx, request) -> tuple[Repository, RestorePoint]:
    """The repository and the restore point a restore or verify task names (``restore_point_id``).

    On an S3 destination whose bucket keeps versions (Object Lock), an object the restore point needs may be hidden
    behind a delete marker or overwritten by a newer version (a hostile mass delete or overwrite with the
    destination's own credentials, which Object Lock lets through as markers and new versions only): then the
    repository is read from the first surviving version of each object (``S3VersionsView(oldest=True)``: every
    object but the locks and the documents is written once) and the job's log says so, as a warning. The bucket's
    versions are listed once, for the check and the reading both."""
    ctx.step("prepare", f"Reading restore point {request.restore_point_id}")
    try:
        repository = open_for_restore(request.destination, request.repository_secret, ctx.proxy.repository_root)
        restore_point = repository.get_restore_point(request.restore_point_id)
        view = _versions_view(repository.destination)
        tampered = view.tampered(repository.objects_of(restore_point)) if view is not None else []
    except (RepositoryUnavailable, RepositoryError) as error:
        recovered = _from_versions(ctx, request, _versions_view(target(request.destination,
                                                                       ctx.proxy.repository_root)),
                                   f"{type(error).__name__}: {error}")
        if recovered is None:
            raise
        return recovered
    if tampered:
        recovered = _from_versions(ctx, request, view, f"{len(tampered)} object(s) it needs are hidden or were "
                                                       f"overwritten, e.g. {', '.join(tampered[:3])}")
        if recovered is not None:
            return recovered
    return repository, restore_point


def _versions_view(destination):
    """The first surviving version of each object of a versioned S3 bucket (``S3VersionsView(oldest=True)``), or
    None where there are no versions to read instead (not S3, no bucket, no versioning, or it cannot be listed)."""
    from storage_backup.repository import S3Destination, S3VersionsView

    if not isinstance(destination, S3Destination):
        return None
    try:
        if not destination.versioned():
            return None
        return S3VersionsView(destination, oldest=True)
    except RepositoryError:  # RepositoryNotFound when the bucket is gone
        return None


def _from_versions(ctx, request, view, reason: str) -> tuple[Repository, RestorePoint] | None:
    """The repository and restore point read from the bucket's surviving versions; None when that is no help (no
    versions, nothing hidden or overwritten) and the original error stands."""
    if view is None or (not view.hidden and not view.replaced):
        return None
    try:
        repository = Repository.open(view, password=request.repository_secret or None)
        restore_point = repository.get_restore_point(request.restore_point_id)
    except RepositoryError:
        return None
    ctx.log.warning("prepare", f"Restore point {request.restore_point_id} cannot be read as destination "
                               f"{request.destination.id} shows it ({reason}): {len(view.hidden)} object(s) of the "
                               f"bucket are hidden behind delete markers and {len(view.replaced)} were overwritten "
                               "(with the destination's credentials?); reading the first surviving version of each "
                               "instead")
    return repository, restore_point
