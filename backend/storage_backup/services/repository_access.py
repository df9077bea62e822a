# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control plane's few direct uses of a repository: delete a restore point, record a lock, list for rebuild,
and prune what deleted restore points no longer need.

The control plane reaches the destination's path (the same local or NFS directory the proxies write) and uses
the repository engine (``storage_backup.repository``). Deleting a restore point removes only its document; the data it
alone referenced goes at the destination's next prune, which the control worker runs after retention (a
destination with deletions is remembered in Redis until a prune succeeds). Backups and restores only ever run on
the proxies.
"""
from __future__ import annotations

import datetime as dt
import logging
import os

from storage_backup.catalog.models import Destination
from storage_backup.services import bus
from storage_backup.services.errors import Conflict, Unavailable

LOG = logging.getLogger(__name__)
PRUNE_PENDING_KEY = "storage-backup:prune-pending"


def open_repository(destination: Destination):
    from storage_backup.repository import Repository, RepositoryNotFound

    if not os.path.isdir(destination.path):
        raise Unavailable(f"Destination {destination.name} ({destination.path}) is not reachable from the control "
                          "plane; mount it there as on the proxies.")
    try:
        return Repository.open(destination.path, password=destination.repository_secret or None)
    except RepositoryNotFound:
        return None  # nothing written there yet


def delete_restore_point(destination: Destination, restore_point_id: str) -> None:
    """Remove the restore point's document; a later prune removes the packs nothing references any more."""
    from storage_backup.repository import RepositoryLocked, RestorePointNotFound, RetentionLocked

    repository = open_repository(destination)
    if repository is None:
        return
    try:
        repository.delete_restore_point(restore_point_id)
    except RestorePointNotFound:
        LOG.info("restore point %s was already gone from %s", restore_point_id, destination.path)
    except (RetentionLocked, RepositoryLocked) as error:
        raise Conflict(str(error)) from error
    mark_for_prune(destination)


def mark_for_prune(destination: Destination) -> None:
    try:
        bus.redis_client().sadd(PRUNE_PENDING_KEY, destination.id)
    except Exception as error:  # Redis away: this deletion's space comes back at a later prune
        LOG.warning("cannot remember that %s needs a prune: %s", destination.name, error)


def destinations_to_prune() -> list[str]:
    return sorted(member.decode() for member in bus.redis_client().smembers(PRUNE_PENDING_KEY))


def prune(destination: Destination):
    """Remove the data no restore point references any more; returns the engine's ``PruneReport`` (or None when
    nothing was written there yet). Raises ``RepositoryLocked`` while a backup, restore or verify runs."""
    # Taken off the list first: a deletion while the prune runs puts it back for the next one.
    bus.redis_client().srem(PRUNE_PENDING_KEY, destination.id)
    try:
        repository = open_repository(destination)
        return None if repository is None else repository.prune()
    except BaseException:
        mark_for_prune(destination)
        raise


def set_retention_lock(destination: Destination, restore_point_id: str, until: dt.datetime | None) -> None:
    """The repository records the lock too, so it holds even if the catalog is lost and rebuilt."""
    from storage_backup.repository import RestorePointNotFound, RetentionLocked

    if until is None or not os.path.isdir(destination.path):
        return
    repository = open_repository(destination)
    if repository is None:
        return
    try:
        repository.set_retention_lock(restore_point_id, until)
    except RestorePointNotFound:
        LOG.info("restore point %s is not in %s; lock kept in the catalog only", restore_point_id,
                 destination.path)
    except RetentionLocked as error:
        raise Conflict(str(error)) from error


def list_restore_points(destination: Destination) -> list:
    """Every restore point document of the destination's repository (engine ``RestorePoint`` objects)."""
    repository = open_repository(destination)
    return [] if repository is None else repository.list_restore_points()
