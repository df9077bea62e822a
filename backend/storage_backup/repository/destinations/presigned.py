# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``PresignedDestination``: a read-only destination over the pre-signed URLs of a vault grant
(``vault_grant.py``): only the objects the grant names exist, each read with a plain HTTP GET (ranges with an HTTP
Range header); writes are refused, and once the grant has expired every read says so."""
from __future__ import annotations

from collections.abc import Iterator

from ..errors import RepositoryError
from .base import Destination, ObjectInfo, ObjectWriter


class GrantExpired(RepositoryError):
    """The grant's pre-signed URLs have expired: ask the vault side for a new grant."""


class PresignedDestination(Destination):
    def __init__(self, grant: dict) -> None:
        raise NotImplementedError

    def put(self, name: str, data: bytes, exclusive: bool = False) -> None:
        raise NotImplementedError

    def open_writer(self, name: str, capacity: int | None = None) -> ObjectWriter:
        raise NotImplementedError

    def get(self, name: str) -> bytes:
        raise NotImplementedError

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        raise NotImplementedError

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError
