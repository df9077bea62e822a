# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Destinations: where a repository's objects live. ``open_destination`` picks the backend from a location."""
from __future__ import annotations

from .base import Destination, ObjectInfo, ObjectWriter
from .filesystem import FilesystemDestination

__all__ = ["Destination", "FilesystemDestination", "ObjectInfo", "ObjectWriter", "open_destination"]


def open_destination(location: str | Destination) -> Destination:
    """A destination for ``location``: a ``Destination`` as is, a ``file://`` URL or a plain path.

    S3 (``s3://``) and Swift (``swift://``) come later; each is one more ``Destination`` subclass.
    """
    if isinstance(location, Destination):
        return location
    if location.startswith("file://"):
        return FilesystemDestination(location[len("file://"):])
    if "://" in location:
        scheme = location.split("://", 1)[0]
        from ..errors import InvalidRequest

        raise InvalidRequest(f"destination scheme {scheme}:// is not supported yet; use a directory path")
    return FilesystemDestination(location)
