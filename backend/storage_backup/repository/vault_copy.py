# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The air-gapped vault copy, repository side: a second repository that a worker on the vault side fills with
copies of the primary's restore points, and never deletes from.

The vault is a *clone of the primary's identity*: the same repository id, the same key files and so the same
chunk-id keys, so chunk ids agree (a chunk the vault holds is never copied twice) and the primary's password opens
the vault. ``copy_restore_point`` copies what one restore point references and the vault lacks: each chunk read
from the primary, decrypted and checked against its keyed hash before it is written, through the vault's own
packs and index, the maps' chunks after the data's, and the restore-point document last, so a copy that fails
half-way leaves nothing visible (only unreferenced packs, as an interrupted backup does).

The primary is only read: the copy takes no lock there and records nothing there, so a read-only S3 user
(s3:GetObject and s3:ListBucket) is enough. A prune on the primary during a copy makes a chunk go missing, which
fails the copy cleanly; the next attempt copies the rest.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .destinations import Destination
from .errors import RepositoryError
from .repository import Repository

#: ``progress(chunks_done, chunks_total_so_far, bytes_copied)``
CopyProgress = Callable[[int, int, int], None]


class VaultMismatch(RepositoryError):
    """The vault destination holds a repository other than the source's (another id, or other keys)."""


@dataclass
class CopyReport:
    """What one ``copy_restore_point`` did. ``chunks_total`` = ``chunks_copied`` + ``chunks_present``: the distinct
    chunks the restore point references (its blocks and its maps); ``bytes_copied``: stored (encoded) bytes
    written to the vault; ``objects_written``: packs, index objects and the document."""

    point_id: str
    chunks_total: int = 0
    chunks_copied: int = 0
    chunks_present: int = 0
    bytes_copied: int = 0
    objects_written: int = 0
    duration: float = 0.0

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def open_vault(destination: str | Destination, source: Repository) -> Repository:
    """The vault repository at ``destination`` (a ``Destination`` or a location), created as a clone of
    ``source``'s identity if there is none yet; refuses (``VaultMismatch``) one that holds another repository."""
    raise NotImplementedError


def copy_restore_point(source: Repository, vault: Repository, point_id: str, *,
                       progress: CopyProgress | None = None) -> CopyReport:
    """Copy restore point ``point_id`` of ``source`` into ``vault``; idempotent, never deletes."""
    raise NotImplementedError
