# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Requests and results of the data tasks (queue ``data``): the repository work that needs neither the cloud nor an
availability zone — verify, delete restore points, prune, write a retention lock, maintain Object Lock retention, list
for a catalog rebuild — so that only the data worker(s) mount the destinations and the control plane opens no
repository."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .message import Message, Record
from .parts import Destination, LogEntry
from .sealing import SEALED_VERSION, SECRET


@dataclass(frozen=True)
class VerifyRequest(Message):
    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    project_id: str
    restore_point_id: str
    destination: Destination
    repository_secret: str | None = field(default=None, metadata=SECRET)


@dataclass(frozen=True)
class VerifiedVolume(Record):
    volume_id: str
    size: int
    chunks: int
    bytes: int


@dataclass(frozen=True)
class VerifyResult(Message):
    restore_point_id: str
    chunks_verified: int
    bytes_verified: int
    volumes: list[VerifiedVolume] = field(default_factory=list)
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class DeleteRequest(Message):
    """Remove restore point documents; the data only they referenced goes at the destination's next prune."""

    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    destination: Destination
    restore_point_ids: list[str]
    repository_secret: str | None = field(default=None, metadata=SECRET)


@dataclass(frozen=True)
class NotDeleted(Record):
    restore_point_id: str
    code: str
    message: str


@dataclass(frozen=True)
class DeleteResult(Message):
    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    not_deleted: list[NotDeleted] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class PruneRequest(Message):
    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    destination: Destination
    repository_secret: str | None = field(default=None, metadata=SECRET)
    #: Restore points the catalog holds as locked here: one missing from the repository stops the prune.
    locked_restore_point_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PruneResult(Message):
    """The repository engine's prune report (``repository_found`` false: nothing was ever written there)."""

    repository_found: bool = True
    restore_points: int = 0
    chunks_used: int = 0
    chunks_removed: int = 0
    packs_deleted: int = 0
    packs_repacked: int = 0
    packs_written: int = 0
    orphan_packs: int = 0
    bytes_freed: int = 0
    index_objects_before: int = 0
    index_objects_after: int = 0
    temporary_files: int = 0
    stale_locks: int = 0
    duration: float = 0.0
    #: Of ``locked_restore_point_ids``, those whose document is not in the repository (nothing was pruned).
    missing_locked: list[str] = field(default_factory=list)
    #: Objects a hardened destination kept because the immutable helper still locks them.
    kept_locked: int = 0
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class LockRequest(Message):
    """Record a restore point's retention lock in the repository too, so it holds without the catalog."""

    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    destination: Destination
    restore_point_id: str
    retention_lock_until: str
    repository_secret: str | None = field(default=None, metadata=SECRET)


@dataclass(frozen=True)
class LockResult(Message):
    restore_point_id: str
    # False when the restore point is not in the repository: the lock is then kept in the catalog only.
    locked: bool
    retention_lock_until: str | None = None
    #: Objects of the restore point whose Object Lock retention now reaches the lock date (S3 with a lock mode).
    objects_retained: int = 0
    #: An object store without Object Lock: the lock is the catalog's (and the document's), the storage enforces none.
    catalog_only: bool = False
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class MaintainLocksRequest(Message):
    """Extend the Object Lock retention of what the destination's restore points reference (``object_lock.py``)."""

    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    destination: Destination
    repository_secret: str | None = field(default=None, metadata=SECRET)
    #: Restore point id -> its lock date (ISO 8601 UTC) as the catalog holds it, for those locked here.
    locked_restore_points: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MaintainLocksResult(Message):
    """The engine's ``LockMaintenanceReport`` (``repository_found`` false: nothing was ever written there)."""

    repository_found: bool = True
    restore_points: int = 0
    locked_restore_points: int = 0
    objects_checked: int = 0
    objects_extended: int = 0
    objects_long_enough: int = 0
    objects_failed: int = 0
    failures: list[str] = field(default_factory=list)
    missing_locked: list[str] = field(default_factory=list)
    unreadable_restore_points: list[str] = field(default_factory=list)
    protected_until: str | None = None
    duration: float = 0.0
    log: list[LogEntry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.objects_failed or self.missing_locked or self.unreadable_restore_points)


@dataclass(frozen=True)
class CheckLockedRequest(Message):
    """Are the restore points the catalog holds as locked here still in the repository? Lists the documents' names
    only (no document, no chunk is read): the periodic check of ``services/vanished.py``."""

    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    destination: Destination
    repository_secret: str | None = field(default=None, metadata=SECRET)
    locked_restore_point_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckLockedResult(Message):
    restore_points: int = 0
    #: Of ``locked_restore_point_ids``, those whose document is not in the repository.
    missing_locked: list[str] = field(default_factory=list)
    duration: float = 0.0
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RebuildRequest(Message):
    """List every restore point document of the repository, for the control plane to rebuild its catalog from."""

    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    destination: Destination
    repository_secret: str | None = field(default=None, metadata=SECRET)
    dry_run: bool = False
    remove_missing: bool = True


@dataclass(frozen=True)
class DocumentVolume(Record):
    key: str
    size: int
    strategy: str = ""
    parent: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RestorePointDocument(Record):
    """A restore point as the repository records it (docs/REPOSITORY_FORMAT.md), what the catalog row is made from."""

    id: str
    created: str
    labels: dict[str, Any] = field(default_factory=dict)
    instance_metadata: dict[str, Any] = field(default_factory=dict)
    consistency: str = ""
    lock_until: str | None = None
    volumes: list[DocumentVolume] = field(default_factory=list)


@dataclass(frozen=True)
class RebuildResult(Message):
    restore_points: list[RestorePointDocument] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class DataPingResult(Message):
    """Who answered the data queue's ping: the control plane sends data jobs only while a data worker answers."""

    hostname: str
    worker: str = ""
    software_version: str = ""
    repository_root: str = "/"
    repository_root_ok: bool = False


@dataclass(frozen=True)
class FileEntry(Record):
    """One entry of a directory listing or a search inside a restore point's filesystem."""

    name: str
    type: str  # "file", "directory", "symlink", "other"
    size: int
    mtime: int
    mode: str  # octal permission bits, "0644"
    path: str = ""  # search results: where it is
    target: str = ""  # symbolic links: what they point at


@dataclass(frozen=True)
class BrowseFilesRequest(Message):
    """List a directory (``search`` empty) or search by name below ``path`` in one volume of a restore point."""

    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    project_id: str
    restore_point_id: str
    volume_id: str
    destination: Destination
    path: str = "/"
    search: str = ""
    partition: int | None = None
    limit: int = 1000
    repository_secret: str | None = field(default=None, metadata=SECRET)


@dataclass(frozen=True)
class BrowseFilesResult(Message):
    """``error_code`` (``path_not_found``, ``not_a_directory``, ``unsupported_filesystem``, ``corrupt_filesystem``)
    and ``error`` when the volume could be read but not the path: an answer for the tenant, not a failed task."""

    restore_point_id: str
    volume_id: str
    path: str
    filesystem: str = ""
    partition: int | None = None
    partitions: list[dict] = field(default_factory=list)
    entries: list[FileEntry] = field(default_factory=list)
    truncated: bool = False
    error_code: str = ""
    error: str = ""
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RestoreFilesRequest(Message):
    """Write a file (``raw``) or a file or folder as a tar or zip into the download area, as ``<job_id><suffix>``."""

    VERSION: ClassVar[int] = SEALED_VERSION

    job_id: str
    project_id: str
    restore_point_id: str
    volume_id: str
    destination: Destination
    path: str
    format: str = "auto"  # "auto" (a file as it is, a folder as tar), "raw", "tar", "zip"
    partition: int | None = None
    repository_secret: str | None = field(default=None, metadata=SECRET)


@dataclass(frozen=True)
class RestoreFilesResult(Message):
    restore_point_id: str
    volume_id: str
    path: str
    format: str
    file_name: str  # what the download is called
    stored_as: str  # its name in the download area
    bytes: int  # of the download
    files: int = 0
    directories: int = 0
    symlinks: int = 0
    skipped: int = 0
    content_bytes: int = 0  # of the files inside
    duration: float = 0.0
    log: list[LogEntry] = field(default_factory=list)
