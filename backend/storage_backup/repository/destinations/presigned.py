# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``PresignedDestination``: a read-only destination over the pre-signed URLs of a vault's restore grant
(``vault_grant.py``), so a proxy restores from the vault without ever holding a vault credential.

Only the objects the grant names exist; each is read with a plain HTTP GET to the URL the grant gives (a range with
an HTTP Range header), over one kept-alive connection per thread and host. Writes are refused, except the
repository's own lock objects (``locks/``), which a restore takes and which live in this process only: a vault never
deletes (``vault_copy.py``), so there is no prune on it for them to keep out. Once the grant's expiry has passed, or
the vault answers that a URL has expired, every read raises ``GrantExpired``.
"""
from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime

from ..errors import CorruptObject, InvalidRequest, ObjectNotFound, RepositoryError
from ..format import LOCKS_PREFIX
from ..times import parse_time
from .base import Destination, ObjectInfo, ObjectWriter

#: Seconds a connection, or a read on it, may take before the read fails.
DEFAULT_TIMEOUT = 60.0
GRANT_TYPE = "presigned"
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_ERROR_CODE = re.compile(rb"<Code>([^<]{1,64})</Code>")


class GrantExpired(RepositoryError):
    """The grant's pre-signed URLs have expired: ask the vault side for a new grant."""


class PresignedDestination(Destination):
    """Read-only: ``grant`` is ``{"expires": iso, "objects": {name: url}}`` (as ``grant_for_restore`` makes it,
    which adds ``"sizes": {name: bytes}``, ``"location"`` and ``"type": "presigned"``)."""

    def __init__(self, grant: dict, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not isinstance(grant, dict) or not isinstance(grant.get("objects"), dict) or not grant["objects"]:
            raise InvalidRequest("a vault grant is a dict with 'objects' (name -> pre-signed URL) and 'expires'")
        if grant.get("type", GRANT_TYPE) != GRANT_TYPE:
            raise InvalidRequest(f"not a pre-signed grant (type {grant.get('type')!r})")
        try:
            self.expires = parse_time(grant["expires"])
        except (KeyError, TypeError, ValueError):
            raise InvalidRequest("a vault grant needs its expiry ('expires', an ISO 8601 time)") from None
        self._urls: dict[str, urllib.parse.SplitResult] = {}
        for name, url in grant["objects"].items():
            if not isinstance(name, str) or not name or name.startswith("/") or ".." in name.split("/"):
                raise InvalidRequest(f"a vault grant names a bad object {name!r}")
            parsed = urllib.parse.urlsplit(url if isinstance(url, str) else "")
            # Plain HTTP(S) to the host the vault named, nothing else: no file://, no other scheme a library may
            # know how to open.
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise InvalidRequest(f"the vault grant's URL for {name} is not an http(s) URL; refused")
            self._urls[name] = parsed
        self._sizes = {name: int(size) for name, size in (grant.get("sizes") or {}).items() if name in self._urls}
        self.timeout = timeout
        self.location = f"{grant.get('location') or 'vault'} (pre-signed grant until {grant['expires']})"
        self._locks: dict[str, tuple[bytes, float]] = {}
        self._locks_guard = threading.Lock()
        self._local = threading.local()

    # -- refusals and expiry -----------------------------------------------------------------------------------

    def _refuse(self, name: str) -> PermissionError:
        # A PermissionError (an OSError): what best-effort writers (damage records) expect of a read-only store.
        return PermissionError(f"{self.location} is read-only (a restore grant): cannot write or delete {name}")

    def expired(self) -> bool:
        return datetime.now(UTC) >= self.expires

    def _check_expiry(self) -> None:
        if self.expired():
            raise GrantExpired(f"the vault's restore grant expired at {self.expires.isoformat()}: ask the vault "
                               f"side for a new grant and run the restore again")

    # -- HTTP --------------------------------------------------------------------------------------------------

    def _connection(self, parsed: urllib.parse.SplitResult) -> http.client.HTTPConnection:
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        key = (parsed.scheme, parsed.netloc)
        connection = connections.get(key)
        if connection is None:
            kind = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
            connection = connections[key] = kind(parsed.hostname, parsed.port, timeout=self.timeout)
        return connection

    def _drop_connection(self, parsed: urllib.parse.SplitResult) -> None:
        connection = getattr(self._local, "connections", {}).pop((parsed.scheme, parsed.netloc), None)
        if connection is not None:
            connection.close()

    def _get(self, name: str, headers: dict | None = None) -> tuple[int, http.client.HTTPResponse, bytes]:
        parsed = self._urls.get(name)
        if parsed is None:
            raise ObjectNotFound(name)
        self._check_expiry()
        target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        for attempt in (1, 2):
            connection = self._connection(parsed)
            try:
                connection.request("GET", target, headers=headers or {})
                response = connection.getresponse()
                body = response.read()
                break
            except (http.client.HTTPException, OSError) as error:
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                self._drop_connection(parsed)
                if attempt == 2:
                    raise RepositoryError(f"cannot read {name} from the vault at {parsed.netloc}: {error}") from None
        if response.status in (200, 206):
            return response.status, response, body
        if response.status == 404:
            raise ObjectNotFound(name)
        if response.status == 403:
            # RGW 16.2 answers an expired pre-signed URL with a bare AccessDenied (AWS adds "Request has expired"),
            # as it answers a revoked one: either way the caller's way out is a new grant.
            code = _ERROR_CODE.search(body)
            raise GrantExpired(f"the vault refused {name} (HTTP 403 "
                               f"{code.group(1).decode(errors='replace') if code else response.reason}): the restore "
                               f"grant has expired (by the vault's clock; until {self.expires.isoformat()} by ours) or "
                               f"was revoked; ask the vault side for a new grant")
        if response.status == 416:
            raise CorruptObject(f"object {name} is shorter than the range asked for")
        raise RepositoryError(f"the vault answered HTTP {response.status} {response.reason} for {name}")

    # -- the Destination interface -----------------------------------------------------------------------------

    def put(self, name: str, data: bytes, exclusive: bool = False) -> None:
        if not name.startswith(LOCKS_PREFIX):
            raise self._refuse(name)
        with self._locks_guard:
            if exclusive and name in self._locks:
                raise FileExistsError(name)
            self._locks[name] = (bytes(data), time.time())

    def open_writer(self, name: str, capacity: int | None = None) -> ObjectWriter:
        raise self._refuse(name)

    def delete(self, name: str) -> None:
        if not name.startswith(LOCKS_PREFIX):
            raise self._refuse(name)
        with self._locks_guard:
            self._locks.pop(name, None)

    def get(self, name: str) -> bytes:
        if name.startswith(LOCKS_PREFIX):
            with self._locks_guard:
                if name not in self._locks:
                    raise ObjectNotFound(name)
                return self._locks[name][0]
        return self._get(name)[2]

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        if length <= 0:
            if name not in self._urls:
                raise ObjectNotFound(name)
            self._check_expiry()
            return b""
        status, _response, body = self._get(name, {"Range": f"bytes={offset}-{offset + length - 1}"})
        if status == 200:  # a server that ignores ranges sends the whole object
            body = body[offset:offset + length]
        if len(body) < length:
            raise CorruptObject(f"object {name} is truncated: wanted {length} bytes at offset {offset}, it ends at "
                                f"{offset + len(body)}")
        return body

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        self._check_expiry()
        with self._locks_guard:
            locks = [ObjectInfo(name, len(data), mtime) for name, (data, mtime) in self._locks.items()
                     if name.startswith(prefix)]
        yield from locks
        for name in sorted(self._urls):
            if name.startswith(prefix):
                yield ObjectInfo(name, self._sizes.get(name, 0))

    def exists(self, name: str) -> bool:
        if name.startswith(LOCKS_PREFIX):
            with self._locks_guard:
                return name in self._locks
        self._check_expiry()
        return name in self._urls

    def size(self, name: str) -> int:
        if name in self._sizes:
            self._check_expiry()
            return self._sizes[name]
        if name.startswith(LOCKS_PREFIX):
            return len(self.get(name))
        _status, response, body = self._get(name, {"Range": "bytes=0-0"})
        match = _CONTENT_RANGE.match(response.getheader("Content-Range") or "")
        if match and match.group(3) != "*":
            return int(match.group(3))
        return len(body)
