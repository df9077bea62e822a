# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the vault worker gets from ``GET /v1/vault/work`` (REST, not Celery: the vault side reaches in, never the
reverse). Each copy item travels with its ``repository_secret`` sealed to the keys enrolled for queue ``vault``
(``sealing.seal``), bound to that item: a secret cannot be moved to another restore point or primary."""
from __future__ import annotations

from dataclasses import dataclass, field

from .message import Record
from .parts import Destination
from .sealing import SECRET


@dataclass(frozen=True)
class VaultCopyItem(Record):
    """One restore point to copy from its primary (``primary``: id, type and location, never credentials: the vault
    worker reads the primary with read-only access of its own) into the vault ``vault_id``."""

    copy_id: str
    restore_point_id: str
    project_id: str
    vault_id: str
    primary: Destination
    instance_id: str = ""
    created_at: str = ""
    attempts: int = 0
    repository_secret: str | None = field(default=None, metadata=SECRET)


@dataclass(frozen=True)
class VaultGrantRequest(Record):
    """A restore from the vault waiting for a time-limited read-only grant of ``restore_point_id`` (the repository
    secret, sealed, opens the vault copy's repository to list the objects the restore needs)."""

    grant_id: str
    restore_point_id: str
    project_id: str
    vault_id: str
    repository_secret: str | None = field(default=None, metadata=SECRET)
