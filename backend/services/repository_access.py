"""The control plane's few direct uses of a repository: delete a restore point, record a lock, list for rebuild.

The control plane reaches the destination's path (the same local or NFS directory the proxies write) and uses
the repository engine (``backend.repository``) for these metadata-only operations; bulk data only ever moves on
the proxies.
"""
from __future__ import annotations

import datetime as dt
import logging
import os

from backend.catalog.models import Destination
from backend.services.errors import Conflict, Unavailable

LOG = logging.getLogger(__name__)


def open_repository(destination: Destination):
    from backend.repository import errors
    from backend.repository.repository import Repository

    if not os.path.isdir(destination.path):
        raise Unavailable(f"Destination {destination.name} ({destination.path}) is not reachable from the control "
                          "plane; mount it there as on the proxies.")
    try:
        return Repository.open(destination.path, password=destination.repository_secret or None)
    except errors.RepositoryNotFound:
        return None  # nothing written there yet


def delete_restore_point(destination: Destination, restore_point_id: str) -> None:
    """Remove the restore point's document; a later prune removes the packs nothing references any more."""
    from backend.repository import errors

    repository = open_repository(destination)
    if repository is None:
        return
    try:
        repository.delete_restore_point(restore_point_id)
    except errors.RestorePointNotFound:
        LOG.info("restore point %s was already gone from %s", restore_point_id, destination.path)
    except errors.RetentionLocked as error:
        raise Conflict(str(error)) from error


def set_retention_lock(destination: Destination, restore_point_id: str, until: dt.datetime | None) -> None:
    """The repository records the lock too, so it holds even if the catalog is lost and rebuilt."""
    from backend.repository import errors

    if until is None or not os.path.isdir(destination.path):
        return
    repository = open_repository(destination)
    if repository is None:
        return
    try:
        repository.set_retention_lock(restore_point_id, until)
    except errors.RestorePointNotFound:
        LOG.info("restore point %s is not in %s; lock kept in the catalog only", restore_point_id,
                 destination.path)
    except errors.RetentionLocked as error:
        raise Conflict(str(error)) from error


def list_restore_points(destination: Destination) -> list:
    """Every restore point document of the destination's repository (engine ``RestorePoint`` objects)."""
    repository = open_repository(destination)
    return [] if repository is None else repository.list_restore_points()
