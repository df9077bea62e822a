# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``HardenedDestination``: a filesystem destination whose locked objects are immutable.

Deleting an immutable object asks the helper to unlock it first; the helper refuses before the recorded date. A
refused restore-point document raises ``RetentionLocked`` (the deletion is reported as refused); a refused pack or
index object is kept and counted: prune removes what it may and leaves the rest for a prune after expiry. Keeping
an object never damages a repository (at worst an orphan pack or a duplicate index entry, which a later prune
removes), so prune runs to its end on a hardened destination, before and after the locks expire.
"""
from __future__ import annotations

import errno
import os

from storage_backup.repository import RESTORE_POINTS_PREFIX, FilesystemDestination, RetentionLocked

from .client import ImmutableClient
from .flags import is_immutable


class HardenedDestination(FilesystemDestination):
    def __init__(self, root: str, helper: ImmutableClient) -> None:
        super().__init__(root)
        self.helper = helper
        self.kept_locked: list[str] = []  # objects a delete left in place: locked by the helper

    def path_of(self, name: str) -> str:
        return self._path(name)

    def delete(self, name: str) -> None:
        path = self._path(name)
        try:
            immutable = is_immutable(path)
        except FileNotFoundError:
            return
        if immutable:
            _unlocked, refused = self.helper.unlock([path])
            if refused:
                if name.startswith(RESTORE_POINTS_PREFIX):
                    raise RetentionLocked(f"restore point {name[len(RESTORE_POINTS_PREFIX):]} is immutable on this "
                                          f"hardened destination: {refused[0]['reason']}")
                self.kept_locked.append(name)
                return
        try:
            super().delete(name)
        except PermissionError as error:
            if error.errno != errno.EPERM:
                raise
            self.kept_locked.append(name)  # made immutable by someone else since: kept, like a locked one


def restore_point_paths(repository, restore_point) -> list[str]:
    """The files of ``repository`` (on a ``HardenedDestination``) that ``restore_point`` needs."""
    destination = repository.destination
    return [destination.path_of(name) for name in repository.objects_of(restore_point)]


def lock_restore_point(repository, restore_point, until: str) -> int:
    """Have the helper make every file the restore point needs immutable until ``until``; returns how many."""
    destination = repository.destination
    if not isinstance(destination, HardenedDestination):
        raise TypeError("lock_restore_point needs a repository opened on a HardenedDestination")
    paths = restore_point_paths(repository, restore_point)
    destination.helper.lock(paths, until)
    return len(paths)


def document_is_immutable(repository, restore_point_id: str) -> bool:
    path = repository.destination.path_of(f"{RESTORE_POINTS_PREFIX}{restore_point_id}")
    return os.path.exists(path) and is_immutable(path)
