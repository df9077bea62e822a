# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Time-limited, read-only access to a vault for one restore: pre-signed GET URLs of exactly the objects a restore
of the given restore points reads, issued by the vault side and expiring.

The grant is plain JSON (the vault worker hands it, through the control plane, to the proxy that runs the restore);
``PresignedDestination(grant)`` (``destinations/presigned.py``) reads the repository through it, so nothing on the
primary side ever holds a vault credential. What it names: ``config`` and the key files (to open the repository;
the restore still needs its password), and for each restore point what ``Repository.objects_of`` lists (its
document, the packs holding its chunks and its maps', the index objects placing them). No other restore point's
document: a grant reaches the restore points it was issued for.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .errors import InvalidRequest
from .format import CONFIG_NAME, KEYS_PREFIX
from .repository import Repository
from .times import format_time

#: SigV4's longest pre-signed URL.
MAX_EXPIRES_IN = 7 * 24 * 3600


def grant_for_restore(vault: Repository, point_ids: list[str], expires_in: int) -> dict:
    """``{"type": "presigned", "location": str, "expires": iso, "restore_points": [id, ...],
    "objects": {name: url}, "sizes": {name: bytes}}``: every object a restore of ``point_ids`` (ids or unique
    prefixes) reads, pre-signed for GET for ``expires_in`` seconds by the vault's S3 destination. JSON-able; give it
    to ``PresignedDestination`` (or ``open_destination``)."""
    destination = vault.destination
    presign = getattr(destination, "presign_get", None)
    if presign is None:
        raise InvalidRequest(f"{vault.location} cannot issue pre-signed URLs: restore grants need an S3 vault")
    if isinstance(point_ids, str) or not point_ids:
        raise InvalidRequest("a restore grant names a list of one or more restore points")
    if not isinstance(expires_in, int) or not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise InvalidRequest(f"a restore grant lasts 1 s to {MAX_EXPIRES_IN} s, not {expires_in!r}")
    full_ids = [vault.get_restore_point(point_id).id for point_id in point_ids]
    names = {CONFIG_NAME}
    names.update(info.name for info in destination.list(KEYS_PREFIX))
    for point_id in full_ids:
        names.update(vault.objects_of(point_id))
    # Sizes from a listing of each directory-like prefix the names fall in (one or a few pages each), not a HEAD
    # per object; the reader needs them for ``list`` and ``size``.
    sizes = {CONFIG_NAME: destination.size(CONFIG_NAME)}
    for prefix in sorted({name.rsplit("/", 1)[0] + "/" for name in names if "/" in name}):
        sizes.update((info.name, info.size) for info in destination.list(prefix) if info.name in names)
    # The expiry is taken before signing: the URLs outlive it by the signing time, never the reverse.
    expires = datetime.now(UTC) + timedelta(seconds=expires_in)
    return {
        "type": "presigned",
        "location": destination.location,
        "expires": format_time(expires),
        "restore_points": full_ids,
        "objects": {name: presign(name, expires_in) for name in sorted(names)},
        "sizes": {name: sizes[name] for name in sorted(names) if name in sizes},
    }
