# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The backup repository engine: a versioned, deduplicating, compressed, optionally encrypted store of volumes.

Public API (see ``repository.py`` and ``writer.py`` for the details, ``docs/REPOSITORY_FORMAT.md`` for the format):

* ``Repository.init(location, password=None)`` / ``Repository.open(location, password=None)``
* ``repository.start_restore_point(labels, instance_metadata, consistency=..., lock_until=None)``
  -> ``RestorePointWriter``: ``backup_volume(...)`` per volume, then ``commit()`` -> id, or ``abort()``
* ``repository.restore_volume(restore_point_id, volume_key, target, progress=..., verify=True)``
* ``list_restore_points``, ``latest_restore_point``, ``get_restore_point``, ``delete_restore_point``,
  ``set_retention_lock``, ``check``, ``stats``, ``prune``
"""
from __future__ import annotations

from .config import DEFAULT_BLOCK_SIZE, RepositoryConfig
from .destinations import Destination, FilesystemDestination, open_destination
from .errors import (
    BackupCancelled,
    ChunkCorrupt,
    ChunkError,
    ChunkMissing,
    CorruptObject,
    InvalidRequest,
    PasswordRequired,
    RepositoryError,
    RepositoryExists,
    RepositoryLocked,
    RepositoryNotFound,
    RestorePointNotFound,
    RetentionLocked,
    UnsupportedFormat,
    VolumeNotFound,
    WrongPassword,
)
from .format import FORMAT_VERSION
from .repository import Repository
from .restore_point import RestorePoint, VolumeEntry
from .writer import RestorePointWriter

__all__ = [
    "DEFAULT_BLOCK_SIZE", "FORMAT_VERSION", "BackupCancelled", "ChunkCorrupt", "ChunkError", "ChunkMissing",
    "CorruptObject", "Destination", "FilesystemDestination", "InvalidRequest", "PasswordRequired", "Repository",
    "RepositoryConfig", "RepositoryError", "RepositoryExists", "RepositoryLocked", "RepositoryNotFound",
    "RestorePoint", "RestorePointNotFound", "RestorePointWriter", "RetentionLocked", "UnsupportedFormat",
    "VolumeEntry", "VolumeNotFound", "WrongPassword", "open_destination",
]
