# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Hardened destinations on the worker's side: the repository opened on a ``HardenedDestination``, and what a
locked restore point needs made immutable through this host's ``storage-backup-immutable`` helper.

The worker finds the helper at ``STORAGE_BACKUP_IMMUTABLE_SOCKET`` and waits ``STORAGE_BACKUP_IMMUTABLE_TIMEOUT``
seconds (default 60) for an answer. A hardened destination on a worker without a helper fails the task: silently
writing a hardened destination without hardening would be the one thing worse than refusing.
"""
from __future__ import annotations

import logging
import os

from storage_backup.contract import Destination

from .errors import InvalidJobRequest

DEFAULT_TIMEOUT = 60.0


def helper_socket(environ: dict | None = None) -> str:
    return (os.environ if environ is None else environ).get("STORAGE_BACKUP_IMMUTABLE_SOCKET", "")


def repository_target(destination: Destination, path: str):
    """What ``Repository.open`` / ``init`` get for ``destination`` at ``path``: the path, or a
    ``HardenedDestination`` asking this host's immutable helper."""
    if not destination.hardened:
        return path
    if destination.type == "nfs":
        raise InvalidJobRequest(f"destination {destination.id} is hardened but on NFS, which has no immutable "
                                "attribute: make it a local filesystem of the workers or turn hardened mode off")
    socket_path = helper_socket()
    if not socket_path:
        raise InvalidJobRequest(f"destination {destination.id} is hardened but this worker has no immutable helper: "
                                "run storage-backup-immutable and set STORAGE_BACKUP_IMMUTABLE_SOCKET")
    from storage_backup.immutable.client import ImmutableClient
    from storage_backup.immutable.destination import HardenedDestination

    timeout = float(os.environ.get("STORAGE_BACKUP_IMMUTABLE_TIMEOUT", DEFAULT_TIMEOUT))
    return HardenedDestination(path, ImmutableClient(socket_path, timeout=timeout))


def harden(ctx, repository, restore_point_id: str, until: str | None, step: str = "harden") -> bool:
    """Have the helper lock what the restore point needs until ``until`` (a no-op without a lock or on a destination
    that is not hardened). A refusal is logged as an error of the job, loudly, and returned as False."""
    from storage_backup.immutable.client import ImmutableHelperError
    from storage_backup.immutable.destination import HardenedDestination, lock_restore_point

    if not until or not isinstance(repository.destination, HardenedDestination):
        return False
    try:
        count = lock_restore_point(repository, restore_point_id, until)
    except ImmutableHelperError as error:
        ctx.log.add(step, f"Restore point {restore_point_id} is NOT immutable on this hardened destination: {error}",
                    logging.ERROR)
        return False
    ctx.log.add(step, f"Restore point {restore_point_id}: {count} file(s) immutable until {until}")
    return True
