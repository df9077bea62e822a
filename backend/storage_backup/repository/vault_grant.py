# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Time-limited, read-only access to a vault for one restore: pre-signed GET URLs of exactly the objects a restore
of the given restore points reads, issued by the vault side and expiring.

The grant is plain JSON (the vault worker hands it to the proxy running the restore through the control plane);
``destinations/presigned.py`` ``PresignedDestination(grant)`` reads a repository through it, so the proxy never
holds a vault credential.
"""
from __future__ import annotations

from .repository import Repository


def grant_for_restore(vault: Repository, point_ids: list[str], expires_in: int) -> dict:
    """``{"type": "presigned", "expires": iso, "location": str, "objects": {name: url}, "sizes": {name: bytes}}``
    for every object a restore of ``point_ids`` reads, pre-signed for GET for ``expires_in`` seconds."""
    raise NotImplementedError
