# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Destinations: where a repository's objects live. ``open_destination`` picks the backend from a location."""
from __future__ import annotations

from .base import Destination, ObjectInfo, ObjectWriter
from .filesystem import FilesystemDestination

__all__ = ["Destination", "FilesystemDestination", "ObjectInfo", "ObjectWriter", "open_destination"]


def open_destination(location: str | dict | Destination, credentials=None) -> Destination:
    """A destination for ``location``: a ``Destination`` as is, a ``file://`` URL or a plain path, an
    ``s3://bucket/prefix?endpoint=...`` location (``destinations/s3_settings.py``), a
    ``swift://container/prefix?auth_url=...`` location (``destinations/swift_settings.py``), or a config dict with a
    ``type`` (``"s3"``: ``S3Settings`` fields; ``"swift"``: ``SwiftSettings`` fields; ``"filesystem"``: ``path``;
    ``"presigned"``: a vault's restore grant, read-only, ``presigned.py``).

    ``credentials`` are never part of the location: for S3 an ``S3Credentials`` or a dict with
    ``access_key``/``secret_key`` (without them ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` are used, else it
    is an ``InvalidRequest``); for Swift a ``SwiftCredentials`` or a dict of its fields (an application credential,
    or a username, password and project), required.
    """
    from ..errors import InvalidRequest

    if isinstance(location, Destination):
        return location
    if isinstance(location, dict):
        kind = location.get("type", "filesystem")
        if kind == "s3":
            from .s3 import S3Destination

            return S3Destination(location, credentials)
        if kind == "swift":
            from .swift import SwiftDestination

            return SwiftDestination(location, credentials)
        if kind == "presigned":
            from .presigned import PresignedDestination

            return PresignedDestination(location)
        if kind == "filesystem" and "path" in location:
            return FilesystemDestination(location["path"])
        raise InvalidRequest(f"unknown destination type {kind!r}")
    if location.startswith("file://"):
        return FilesystemDestination(location[len("file://"):])
    if location.startswith("s3://"):
        from .s3 import S3Destination

        return S3Destination(location, credentials)
    if location.startswith("swift://"):
        from .swift import SwiftDestination

        return SwiftDestination(location, credentials)
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise InvalidRequest(f"destination scheme {scheme}:// is not supported yet; use a directory path, s3:// or swift://")
    return FilesystemDestination(location)
