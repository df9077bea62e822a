"""The control plane's few direct uses of a repository: delete a restore point, record a lock, list for rebuild.

The control worker reaches the destination's path (the same local or NFS directory the proxies write) and uses
the repository engine (``backend.repository``) for these metadata-only operations; bulk data only ever moves on
the proxies.
"""
from __future__ import annotations

import datetime as dt
import logging
import os

from backend.catalog.models import Destination
from backend.services.errors import Unavailable

LOG = logging.getLogger(__name__)


def _engine():
    try:
        import backend.repository as engine
    except ImportError as error:
        raise Unavailable(f"The repository engine is not available on this host: {error}") from error
    return engine


def open_repository(destination: Destination):
    if not os.path.isdir(destination.path):
        raise Unavailable(f"Destination {destination.name} ({destination.path}) is not reachable from the control "
                          "worker; mount it there as on the proxies.")
    engine = _engine()
    return engine.open_repository(destination.path, secret=destination.repository_secret or None)


def delete_restore_point(destination: Destination, restore_point_id: str) -> None:
    """Remove the restore point's document; a later prune removes the packs nothing references any more."""
    if not os.path.isdir(destination.path):
        raise Unavailable(f"Destination {destination.name} ({destination.path}) is not reachable; the restore point "
                          "stays until it is.")
    repository = open_repository(destination)
    try:
        repository.delete_restore_point(restore_point_id)
    except KeyError:
        LOG.info("restore point %s was already gone from %s", restore_point_id, destination.path)


def set_retention_lock(destination: Destination, restore_point_id: str, until: dt.datetime | None) -> None:
    if not os.path.isdir(destination.path):
        return  # the lock is recorded in the catalog; the repository copy follows at the next backup
    repository = open_repository(destination)
    setter = getattr(repository, "set_retention_lock", None)
    if setter is not None:
        setter(restore_point_id, until)


def list_restore_points(destination: Destination) -> list[dict]:
    """Every restore point document of the destination's repository, for ``rebuild_catalog``."""
    repository = open_repository(destination)
    return list(repository.list_restore_points())
