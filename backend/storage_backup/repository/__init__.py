# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The backup repository engine: a versioned, deduplicating, compressed, optionally encrypted store of volumes.

This package's names are its public API; the pipeline, the CLI, the control plane and the benchmarks import only
from here, never from a module inside (``tests/unit/repository/test_public_api.py`` holds them to it). See
``repository.py`` and ``writer.py`` for the details, ``docs/REPOSITORY_FORMAT.md`` for the format.

* ``Repository.init(location, password=None)`` / ``Repository.open(location, password=None)``
* ``repository.start_restore_point(labels, instance_metadata, consistency=Consistency..., lock_until=None)``
  -> ``RestorePointWriter``: ``backup_volume(key, source, ...)`` per volume, then ``commit()`` -> id, or
  ``abort()``
* ``repository.restore_volume(restore_point_id, volume_key, target, progress=..., verify=True)``
* ``repository.verify_volume(restore_point, volume_key)``: every chunk read and checked, nothing written
* ``repository.open_volume(restore_point, volume_key)`` -> ``VolumeFile``: a seekable read-only file over one
  volume, read a chunk at a time through a small LRU (file-level restore reads filesystems through it)
* ``repository.volume_records(restore_point, volume_key)``: ``Record(offset, length, chunk_id | None)`` in order;
  ``repository.chunk_id(data)`` the id a block of ``data`` would have
* ``repository.objects_of(restore_point)``: the objects a restore point needs (what a hardened destination makes
  immutable); ``RESTORE_POINTS_PREFIX``: where restore-point documents are named
* ``repository.maintain_locks(locks, restore_point_ids=None)`` -> ``LockMaintenanceReport``: Object Lock
  retention of what restore points need extended (``object_lock.py``); ``RetentionKeeper``: what sets it
* ``restore_point_ids``, ``list_restore_points``, ``latest_restore_point``, ``get_restore_point``,
  ``delete_restore_point``, ``set_retention_lock``, ``check`` -> ``CheckReport``, ``stats`` -> ``RepositoryStats``,
  ``prune`` -> ``PruneReport``, ``repair(sources)`` -> ``RepairReport``, ``damaged_chunks``
* volumes: ``open_source(spec, kind=...)`` -> ``BlockSource``, ``open_target(spec, size, kind=...)`` ->
  ``BlockTarget``; ``SOURCE_KINDS`` / ``TARGET_KINDS`` name the kinds (``block-device``, ``image-file``)
* destinations: ``open_destination(location, credentials=None)``; ``FilesystemDestination``; ``S3Destination``
  (``S3Settings``, ``S3Credentials``) and ``S3VersionsView`` (reading back from an S3 bucket's versions);
  ``SwiftDestination`` (``SwiftSettings``, ``SwiftCredentials``); both imported on first use
* vault copy (``vault_copy.py``): ``open_vault(destination, source)`` -> the vault ``Repository`` (a clone of the
  source's identity), ``copy_restore_point(source, vault, point_id, progress=None)`` -> ``CopyReport``
  (``VaultMismatch``: a vault of another repository); restores from the vault (``vault_grant.py``):
  ``grant_for_restore(vault, point_ids, expires_in)`` -> a JSON grant of pre-signed URLs, read through
  ``PresignedDestination(grant)`` (``GrantExpired`` once it has expired), imported on first use
"""
from __future__ import annotations

from ..consistency import Consistency
from .check import CheckReport
from .config import DEFAULT_BLOCK_SIZE, RepositoryConfig
from .destinations import Destination, FilesystemDestination, open_destination
from .errors import (
    BackupCancelled,
    ChunkCorrupt,
    ChunkError,
    ChunkMissing,
    CorruptObject,
    DestinationUnavailable,
    InvalidRequest,
    ObjectNotFound,
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
from .format import FORMAT_VERSION, RESTORE_POINTS_PREFIX
from .keys import read_password_file
from .object_lock import LockMaintenanceReport, RetentionKeeper
from .prune import PruneReport
from .records import Record
from .repair import RepairReport
from .repository import Repository
from .restore_point import RestorePoint, VolumeEntry
from .stats import RepositoryStats
from .vault_copy import CopyReport, VaultMismatch, copy_restore_point, open_vault
from .vault_grant import grant_for_restore
from .volume_backup import SAMPLE_UNCHANGED
from .volume_file import VolumeFile
from .volume_io import (
    SOURCE_KINDS,
    TARGET_KINDS,
    BlockSource,
    BlockTarget,
    KnownZerosSource,
    ThrottledSource,
    open_source,
    open_target,
)
from .writer import RestorePointWriter

__all__ = [
    "DEFAULT_BLOCK_SIZE", "FORMAT_VERSION", "RESTORE_POINTS_PREFIX", "SAMPLE_UNCHANGED", "SOURCE_KINDS", "TARGET_KINDS",
    "BackupCancelled", "BlockSource",
    "BlockTarget", "CheckReport", "ChunkCorrupt", "ChunkError", "ChunkMissing", "Consistency", "CorruptObject",
    "DestinationUnavailable", "Destination", "FilesystemDestination", "InvalidRequest", "KnownZerosSource",
    "LockMaintenanceReport",
    "ObjectNotFound", "PasswordRequired",
    "PruneReport",
    "Record",
    "RepairReport", "Repository", "RepositoryConfig", "RepositoryError", "RepositoryExists", "RepositoryLocked",
    "RepositoryNotFound", "RepositoryStats", "RestorePoint", "RestorePointNotFound", "RestorePointWriter",
    "RetentionKeeper", "RetentionLocked", "ThrottledSource", "UnsupportedFormat", "VolumeEntry", "VolumeFile",
    "VolumeNotFound",
    "WrongPassword",
    "open_destination",
    "open_source", "open_target", "read_password_file",
    "S3Credentials", "S3Destination", "S3Settings", "S3VersionsView",
    "SwiftCredentials", "SwiftDestination", "SwiftSettings",
    # the vault copy (vault_copy.py, vault_grant.py, destinations/presigned.py)
    "CopyReport", "GrantExpired", "PresignedDestination", "VaultMismatch", "copy_restore_point", "grant_for_restore",
    "open_vault",
]

#: The object destinations' names and their modules in ``destinations/``, imported on first use: boto3 takes longer
#: to import than the whole engine, and a filesystem-only host need not pay for it (nor for keystoneauth1's plugins).
_LAZY = {"S3Credentials": "s3_settings", "S3Settings": "s3_settings", "S3Destination": "s3",
         "S3VersionsView": "s3_recovery", "PresignedDestination": "presigned", "GrantExpired": "presigned",
         "SwiftCredentials": "swift_settings", "SwiftSettings": "swift_settings", "SwiftDestination": "swift"}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.destinations.{_LAZY[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
