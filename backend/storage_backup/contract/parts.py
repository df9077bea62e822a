# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Parts several messages share: the destination, a job-log entry, the progress a running task reports."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from .message import Record
from .sealing import SECRET

DestinationType = Literal["filesystem", "nfs", "s3", "swift", "presigned"]
#: Types whose ``path`` is an object store's location URL rather than a directory below the repository root.
OBJECT_STORE_TYPES = ("s3", "swift")
#: A vault copy read through the vault worker's time-limited grant (pre-signed URLs, in ``credentials``): a restore
#: from the vault, where the worker holds no standing vault credential.
PRESIGNED = "presigned"
DedupScope = Literal["project", "cloud"]


@dataclass(frozen=True)
class Destination(Record):
    """Where the repository is: for a filesystem or NFS, ``path`` as every worker sees it below its repository root
    (``/`` on a proxy VM whose share is mounted at that path; ``STORAGE_BACKUP_REPOSITORY_ROOT`` on a worker that
    mounts it elsewhere); for object storage, ``path`` is the location URL (``s3://BUCKET/PREFIX?endpoint=…``,
    ``swift://CONTAINER/PREFIX?auth_url=…``) and ``credentials`` its keys, which travel sealed."""

    OMIT_WHEN_NONE = frozenset({"credentials"})

    id: str
    path: str
    type: DestinationType = "filesystem"
    encrypted: bool = False
    #: ``project``: chunk ids keyed per project (no deduplication across projects); ``cloud``: one key for all.
    dedup_scope: DedupScope = "project"
    #: Locked objects get the immutable attribute, through the storage-backup-immutable helper of the worker.
    hardened: bool = False
    #: Object storage only: S3 ``access_key``/``secret_key``, or Swift's Keystone credentials; for ``presigned``, the
    #: vault's grant ``{"expires", "objects": {name: url}}`` (sealed in transit).
    credentials: dict[str, Any] | None = field(default=None, metadata=SECRET, repr=False)

    @property
    def is_object_store(self) -> bool:
        return self.type in OBJECT_STORE_TYPES

    def location(self, root: str = "/") -> str:
        """The repository's directory on a worker whose repository root is ``root`` (an object store's location
        URL as it is: no worker mounts it)."""
        if self.is_object_store or self.type == PRESIGNED or not root or root == "/":
            return self.path
        return os.path.join(root, self.path.lstrip("/"))


@dataclass(frozen=True)
class LogEntry(Record):
    """One entry of a job's log, as the worker appends it to ``storage-backup:log:<job id>`` and returns it."""

    OMIT_WHEN_NONE = frozenset({"level"})

    at: str
    step: str
    message: str
    level: Literal["warning", "error"] | None = None


@dataclass(frozen=True)
class Progress(Record):
    """The meta of Celery task state ``PROGRESS`` while a task runs."""

    percent: float = 0.0
    bytes_read: int = 0
    bytes_stored: int = 0
    bytes_total: int = 0
    rate: float = 0.0
    eta: float | None = None
    step: str = ""
    message: str = ""
