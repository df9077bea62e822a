# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Parts several messages share: the destination, a job-log entry, the progress a running task reports."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from .message import Record

DestinationType = Literal["filesystem", "nfs"]


@dataclass(frozen=True)
class Destination(Record):
    """Where the repository is: ``path`` as every worker sees it below its repository root (``/`` on a proxy VM
    whose share is mounted at that path; ``STORAGE_BACKUP_REPOSITORY_ROOT`` on a worker that mounts it elsewhere)."""

    id: str
    path: str
    type: DestinationType = "filesystem"
    encrypted: bool = False

    def location(self, root: str = "/") -> str:
        """The repository's directory on a worker whose repository root is ``root``."""
        if not root or root == "/":
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
