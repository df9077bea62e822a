# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Open the repository a task message names (docs/TASKS.md ``destination`` + ``repository_secret``)."""
from __future__ import annotations

import os

from storage_backup.repository import Repository, RepositoryExists, RepositoryNotFound, RestorePoint

from .errors import InvalidJobRequest

SUPPORTED_TYPES = ("filesystem", "nfs")


def _location(destination: dict | None) -> str:
    if not destination or not destination.get("path"):
        raise InvalidJobRequest("the task names no destination path; the control plane must send 'destination'")
    kind = destination.get("type") or "filesystem"
    if kind not in SUPPORTED_TYPES:
        raise InvalidJobRequest(f"destination type {kind!r} is not supported by this proxy (it supports "
                                f"{', '.join(SUPPORTED_TYPES)})")
    return destination["path"]


def open_for_backup(destination: dict | None, secret: str | None) -> Repository:
    """The repository at the destination; a new one is created when the directory is there but empty of one
    (the first backup to a destination). A missing directory is an unmounted share, never created here."""
    path = _location(destination)
    try:
        return Repository.open(path, password=secret or None)
    except RepositoryNotFound:
        if not os.path.isdir(path):
            raise InvalidJobRequest(f"destination {destination.get('id') or path} is not reachable on this proxy: "
                                    f"{path} is not a directory (is the share mounted?)") from None
    encrypted = bool(destination.get("encrypted"))
    if encrypted and not secret:
        raise InvalidJobRequest(f"destination {destination.get('id') or path} is encrypted but the task carries no "
                                "repository secret")
    try:
        return Repository.init(path, password=secret if encrypted else None, encryption=encrypted)
    except RepositoryExists:  # another proxy created it a moment ago
        return Repository.open(path, password=secret or None)


def open_for_restore(destination: dict | None, secret: str | None) -> Repository:
    path = _location(destination)
    try:
        return Repository.open(path, password=secret or None)
    except RepositoryNotFound as error:
        raise InvalidJobRequest(f"{error} (destination {destination.get('id') or path})") from None


def open_restore_point(ctx, request: dict) -> tuple[Repository, RestorePoint]:
    """The repository and the restore point a restore or verify task names (``restore_point_id``)."""
    restore_point_id = request.get("restore_point_id")
    if not restore_point_id:
        raise InvalidJobRequest("the task names no restore_point_id")
    ctx.step("prepare", f"Reading restore point {restore_point_id}")
    repository = open_for_restore(request.get("destination"), request.get("repository_secret"))
    return repository, repository.get_restore_point(restore_point_id)
