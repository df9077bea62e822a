# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Swift destination: a repository's objects under ``prefix`` in one container; tested on Ceph RGW 16.2's Swift API
with Keystone auth.

Requests go through a keystoneauth1 session (application credential or password, Keystone v3) to the object-store
endpoint of the catalog. Plain session requests rather than python-swiftclient: the session already finds the
endpoint, adds the token and logs in again when it expires, and this module needs exact control of a handful of
headers (``ETag``, ``If-None-Match``, ``multipart-manifest``) that swiftclient's ``Connection`` wraps in retry loops of
its own; the proxy then needs nothing beyond keystoneauth1, which it has for the other OpenStack calls.

How it keeps the rules of ``base.py``:

* Atomic, durable writes: a Swift PUT is atomic and acknowledged once stored. Packs are assembled in memory and sent
  at ``commit``: one PUT below ``large_object_threshold`` (64 MiB by default, well under Swift's 5 GiB limit), else a
  Static Large Object: segments in ``<container>_segments`` under ``<prefix><name>/<upload id>/<n>``, then the
  manifest, which is what makes the object appear, all at once. Every PUT carries the data's MD5 as ``ETag`` (Swift
  and RGW refuse a mismatch with 422) and the returned ETag is compared too; a manifest's ETag (the MD5 of its
  segments' ETags) is checked against the segments sent, since RGW 16.2 accepts a manifest whose ETags are wrong.
* ``list`` never shows segments (another container) nor an object being written (its manifest is not there yet).
  RGW 16.2 lists a Static Large Object with its manifest's size and the MD5 of nothing: such an entry is asked for
  its real size with a HEAD.
* Exclusive creation (``config``, ``keys/``): a HEAD, then a PUT with ``If-None-Match: *``, which Swift honours and
  RGW 16.2's Swift API ignores (measured: the second PUT succeeds), then a HEAD that checks the object is still the
  one this call wrote (a claim token in its metadata). On RGW two writers could still both believe they won if
  each finished before the other's PUT landed; the only racing writers are two ``repo init`` of one location.
* ``cleanup_incomplete`` removes segments no manifest uses (a write that died between its segments and its
  manifest, or an overwritten large object) once they are older than the threshold.

No Object Lock exists in Swift: whoever holds the destination's credentials can delete everything. WORM needs S3.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from ..errors import CorruptObject, InvalidRequest, ObjectNotFound, RepositoryError
from .base import Destination, ObjectInfo, ObjectWriter
from .buffered import BufferedObjectWriter
from .swift_settings import SwiftCredentials, SwiftSettings

#: Swift (``max_manifest_segments``) and RGW (``rgw_max_slo_entries``) take at most 1000 segments per manifest.
MAX_SEGMENTS = 1000
#: The MD5 of no bytes: what RGW lists as the hash of a Static Large Object's manifest.
EMPTY_MD5 = hashlib.md5(b"").hexdigest()
#: Metadata naming the upload whose segments a large object's manifest uses (what ``cleanup_incomplete`` keeps).
UPLOAD_HEADER = "X-Object-Meta-Upload"
#: Metadata with a token only the exclusive put that wrote the object knows.
CLAIM_HEADER = "X-Object-Meta-Claim"
#: Retried by the session (with backoff) on every request: Swift's answers when a node is busy or restarting.
RETRIED_STATUSES = [500, 502, 503, 504]


class SwiftError(RepositoryError):
    """Swift (or Keystone) answered something this destination cannot carry on from; the message says what."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def make_session(settings: SwiftSettings, credentials: SwiftCredentials) -> ks_session.Session:
    """A keystoneauth1 session that logs in to ``settings.auth_url`` with ``credentials`` (and looks for no others)."""
    if credentials.is_application_credential:
        auth = v3.ApplicationCredential(
            auth_url=settings.auth_url, application_credential_id=credentials.application_credential_id,
            application_credential_name=credentials.application_credential_name,
            application_credential_secret=credentials.application_credential_secret,
            username=credentials.username if credentials.application_credential_name else None,
            user_domain_name=credentials.user_domain_name if credentials.application_credential_name else None)
    else:
        auth = v3.Password(auth_url=settings.auth_url, username=credentials.username, password=credentials.password,
                           user_domain_name=credentials.user_domain_name, project_name=credentials.project_name,
                           project_id=credentials.project_id,
                           project_domain_name=credentials.project_domain_name if credentials.project_name else None)
    return ks_session.Session(auth=auth, verify=settings.verify, timeout=settings.timeout,
                              app_name="storage-backup")


def _timestamp(text: str) -> float:
    """A listing's ``last_modified`` (UTC, with a ``Z`` from RGW, without one from Swift) as seconds."""
    moment = dt.datetime.fromisoformat(text.rstrip("Z"))
    return moment.replace(tzinfo=dt.UTC).timestamp()


def _etag(response) -> str:
    return response.headers.get("ETag", "").strip('"').lower()


class SwiftDestination(Destination):
    """Objects as ``prefix + name`` in ``settings.container``. Thread-safe (one keystoneauth session, shared)."""

    def __init__(self, settings: SwiftSettings | str | dict, credentials: SwiftCredentials | dict | None = None,
                 session: ks_session.Session | None = None) -> None:
        if isinstance(settings, str):
            settings = SwiftSettings.from_location(settings)
        elif isinstance(settings, dict):
            settings = SwiftSettings.from_dict(settings)
        self.settings = settings
        self.container = settings.container
        self.prefix = settings.prefix
        self.location = settings.location
        if session is None:
            credentials = SwiftCredentials.from_value(credentials)
            if credentials is None:
                raise InvalidRequest(f"the Swift destination {settings.location} needs credentials (an application "
                                     "credential id and secret, or a username, password and project)")
            session = make_session(settings, credentials)
        self._session = session
        self._endpoint: str | None = settings.endpoint.rstrip("/") if settings.endpoint else None
        self._lock = threading.Lock()
        self._containers: set[str] = set()

    @property
    def session(self) -> ks_session.Session:
        """The keystoneauth1 session (for operators' tools and tests; the engine never needs it)."""
        return self._session

    # --- requests ---------------------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """The account URL (``.../v1/AUTH_<project id>``): the settings' ``endpoint``, else the catalog's."""
        with self._lock:
            if self._endpoint is None:
                try:
                    found = self._session.get_endpoint(service_type="object-store",
                                                       interface=self.settings.interface,
                                                       region_name=self.settings.region)
                except ks_exceptions.Unauthorized as error:
                    raise PermissionError(f"Keystone at {self.settings.auth_url} refused the credentials of "
                                          f"{self.location}: {error}") from None
                except ks_exceptions.ClientException as error:
                    raise SwiftError(f"cannot log in to Keystone at {self.settings.auth_url} for {self.location}: "
                                     f"{error}") from error
                if not found:
                    region = f" in region {self.settings.region}" if self.settings.region else ""
                    raise InvalidRequest(f"the Keystone catalog at {self.settings.auth_url} has no "
                                         f"{self.settings.interface} object-store endpoint{region}; name one with "
                                         "endpoint=")
                self._endpoint = found.rstrip("/")
            return self._endpoint

    def url(self, container: str, key: str | None = None) -> str:
        path = urllib.parse.quote(container, safe="")
        if key is not None:
            path += "/" + urllib.parse.quote(key, safe="/")
        return f"{self.endpoint}/{path}"

    def _request(self, method: str, container: str, key: str | None = None, *, headers: dict | None = None,
                 data: bytes | None = None, params: dict | None = None):
        attempts = self.settings.max_attempts - 1
        try:
            # log=False: keystoneauth's debug log would otherwise print whole objects.
            return self._session.request(self.url(container, key), method, headers=headers or {}, data=data,
                                         params=params, raise_exc=False, log=False, connect_retries=attempts,
                                         status_code_retries=attempts, retriable_status_codes=RETRIED_STATUSES)
        except ks_exceptions.Unauthorized as error:
            raise PermissionError(f"Keystone at {self.settings.auth_url} refused the credentials of "
                                  f"{self.location}: {error}") from None
        except ks_exceptions.ClientException as error:
            raise SwiftError(f"{method} {container}/{key or ''} on {self.location} failed: {error}") from error

    def _fail(self, response, what: str) -> Exception:
        status = response.status_code
        detail = response.text[:200].strip() if response.text else ""
        message = f"Swift answered {status} to {what} in {self.location}" + (f" ({detail})" if detail else "")
        if status in (401, 403):
            return PermissionError(message)
        return SwiftError(message, status)

    def _key(self, name: str) -> str:
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"bad object name {name!r}")
        return self.prefix + name

    def _head(self, name: str) -> dict | None:
        response = self._request("HEAD", self.container, self._key(name))
        if response.status_code == 404:
            return None
        if response.status_code >= 300:
            raise self._fail(response, f"HEAD {name}")
        return response.headers

    # --- the Destination interface ----------------------------------------------------------------------------
    def put(self, name: str, data: bytes, exclusive: bool = False) -> None:
        if exclusive:
            self._put_exclusive(name, data)
        else:
            self._store(name, data)

    def open_writer(self, name: str, capacity: int | None = None) -> ObjectWriter:
        self._key(name)  # validates the name now, not at commit
        return BufferedObjectWriter(name, capacity, self._store)

    def get(self, name: str) -> bytes:
        response = self._request("GET", self.container, self._key(name))
        if response.status_code == 404:
            raise ObjectNotFound(name)
        if response.status_code >= 300:
            raise self._fail(response, f"GET {name}")
        return response.content

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        if length <= 0:
            if self._head(name) is None:
                raise ObjectNotFound(name)
            return b""
        response = self._request("GET", self.container, self._key(name),
                                 headers={"Range": f"bytes={offset}-{offset + length - 1}"})
        if response.status_code == 404:
            raise ObjectNotFound(name)
        if response.status_code == 416:
            raise CorruptObject(f"object {name} is truncated: wanted {length} bytes at offset {offset}, it ends "
                                "before")
        if response.status_code >= 300:
            raise self._fail(response, f"GET {name} (range)")
        data = response.content
        if response.status_code == 200:  # the whole object (a server that ignores ranges)
            data = data[offset:offset + length]
        if len(data) < length:
            raise CorruptObject(f"object {name} is truncated: wanted {length} bytes at offset {offset}, it ends at "
                                f"{offset + len(data)}")
        return data

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        skip = len(self.prefix)
        for item in self._listing(self.container, self.prefix + prefix):
            size = item["bytes"]
            if item.get("hash") == EMPTY_MD5 and size:
                # RGW's listing of a Static Large Object: the manifest's size, not the object's.
                head = self._head(item["name"][skip:])
                if head is None:  # deleted since the listing
                    continue
                size = int(head["Content-Length"])
            yield ObjectInfo(item["name"][skip:], size, _timestamp(item["last_modified"]))

    def delete(self, name: str) -> None:
        key = self._key(name)
        head = self._head(name)
        if head is None:
            return
        response = self._request("DELETE", self.container, key)
        if response.status_code >= 300 and response.status_code != 404:
            raise self._fail(response, f"DELETE {name}")
        upload_id = head.get(UPLOAD_HEADER)
        if upload_id:  # a large object: its segments go after it (a failure here leaves orphans for cleanup)
            self._delete_segments(f"{key}/{upload_id}/")

    def exists(self, name: str) -> bool:
        return self._head(name) is not None

    def size(self, name: str) -> int:
        head = self._head(name)
        if head is None:
            raise ObjectNotFound(name)
        return int(head["Content-Length"])

    def cleanup_incomplete(self, older_than: float = 3600.0) -> int:
        """Remove the segments of uploads under the prefix that no manifest uses (a write that died before its
        manifest, or a large object overwritten or deleted half-way) and whose newest segment is more than
        ``older_than`` seconds old; returns how many uploads were removed."""
        cutoff = time.time() - older_than
        uploads: dict[tuple[str, str], float] = {}
        for item in self._listing(self.settings.segments_container, self.prefix):
            if item["name"].count("/") < 2:
                continue  # not one of ours: <prefix><name>/<upload id>/<number>
            key, upload_id, _number = item["name"].rsplit("/", 2)
            moment = _timestamp(item["last_modified"])
            uploads[(key, upload_id)] = max(uploads.get((key, upload_id), 0.0), moment)
        removed = 0
        for (key, upload_id), newest in sorted(uploads.items()):
            if newest > cutoff:
                continue
            head = self._head(key[len(self.prefix):])
            if head is not None and head.get(UPLOAD_HEADER) == upload_id:
                continue  # a live large object's segments
            self._delete_segments(f"{key}/{upload_id}/")
            removed += 1
        return removed

    def container_exists(self) -> bool:
        response = self._request("HEAD", self.container)
        if response.status_code == 404:
            return False
        if response.status_code >= 300:
            raise self._fail(response, f"HEAD of the container {self.container}")
        return True

    # --- writing ----------------------------------------------------------------------------------------------
    def ensure_container(self, container: str | None = None) -> bool:
        """Create the destination's container (or ``container``) if it is missing; True if it was made. Writes
        also make a missing one on their own."""
        container = container or self.container
        response = self._request("PUT", container)
        if response.status_code >= 300:
            raise self._fail(response, f"creating the container {container}")
        self._containers.add(container)
        return response.status_code == 201  # 202: it was there

    def _put_object(self, container: str, key: str, data: bytes, headers: dict | None = None):
        """One PUT with the data's MD5 as ``ETag``; creates the container once if it is missing."""
        md5 = hashlib.md5(data).hexdigest()
        headers = {"ETag": md5, "Content-Type": "application/octet-stream", **(headers or {})}
        for attempt in range(2):
            response = self._request("PUT", container, key, headers=headers, data=data)
            if response.status_code == 404 and attempt == 0 and container not in self._containers:
                self.ensure_container(container)
                continue
            break
        if response.status_code == 422:
            raise CorruptObject(f"Swift refused {key} in {self.location}: what it received does not match the "
                                "data's MD5 (corrupted on the way)")
        if response.status_code >= 300:
            return response
        if _etag(response) and _etag(response) != md5:
            raise CorruptObject(f"Swift stored {key} in {self.location} with ETag {_etag(response)}, not the data's "
                                f"MD5 {md5}")
        return response

    def _store(self, name: str, data) -> None:
        key = self._key(name)
        if len(data) >= self.settings.large_object_threshold:
            self._put_large(name, key, data)
            return
        response = self._put_object(self.container, key, bytes(data))
        if response.status_code >= 300:
            raise self._fail(response, f"PUT {name}")

    def _put_large(self, name: str, key: str, data) -> None:
        """Segments first, the manifest last: the object appears whole when the manifest is stored."""
        if self.settings.segments_container not in self._containers:
            self.ensure_container(self.settings.segments_container)
        upload_id = uuid.uuid4().hex
        segment_size = max(self.settings.segment_size, math.ceil(len(data) / MAX_SEGMENTS))
        view = memoryview(data)
        manifest, etags = [], []
        try:
            for number, start in enumerate(range(0, len(view), segment_size)):
                segment = bytes(view[start:start + segment_size])
                segment_key = f"{key}/{upload_id}/{number:08d}"
                response = self._put_object(self.settings.segments_container, segment_key, segment)
                if response.status_code >= 300:
                    raise self._fail(response, f"PUT a segment of {name}")
                etags.append(hashlib.md5(segment).hexdigest())
                manifest.append({"path": f"/{self.settings.segments_container}/{segment_key}", "etag": etags[-1],
                                 "size_bytes": len(segment)})
            response = self._request("PUT", self.container, key, params={"multipart-manifest": "put"},
                                     headers={UPLOAD_HEADER: upload_id, "Content-Type": "application/octet-stream"},
                                     data=json.dumps(manifest).encode())
            if response.status_code == 404 and self.container not in self._containers:
                self.ensure_container()
                response = self._request("PUT", self.container, key, params={"multipart-manifest": "put"},
                                         headers={UPLOAD_HEADER: upload_id,
                                                  "Content-Type": "application/octet-stream"},
                                         data=json.dumps(manifest).encode())
            if response.status_code >= 300:
                raise self._fail(response, f"PUT the manifest of {name}")
            expected = hashlib.md5("".join(etags).encode()).hexdigest()
            if _etag(response) and _etag(response) != expected:
                raise CorruptObject(f"Swift stored the manifest of {name} in {self.location} with ETag "
                                    f"{_etag(response)}, not {expected} (its segments' MD5s)")
        except BaseException:
            with contextlib.suppress(Exception):  # the original error matters; cleanup_incomplete removes the rest
                self._delete_segments(f"{key}/{upload_id}/")
            raise
        finally:
            view.release()

    def _put_exclusive(self, name: str, data: bytes) -> None:
        key = self._key(name)
        if self._head(name) is not None:
            raise FileExistsError(f"{name} exists in {self.location}")
        claim = uuid.uuid4().hex
        response = self._put_object(self.container, key, bytes(data), {"If-None-Match": "*", CLAIM_HEADER: claim})
        if response.status_code == 412:
            raise FileExistsError(f"{name} exists in {self.location}")
        if response.status_code >= 300:
            raise self._fail(response, f"PUT {name}")
        # RGW ignores If-None-Match on its Swift API: a racer whose PUT landed after ours owns the name now.
        head = self._head(name)
        if head is None or head.get(CLAIM_HEADER) != claim:
            raise FileExistsError(f"{name} exists in {self.location} (written concurrently)")

    # --- listing ----------------------------------------------------------------------------------------------
    def _listing(self, container: str, prefix: str) -> Iterator[dict]:
        """Every entry of ``container`` whose name starts with ``prefix``, page by page (RGW returns at most
        ``rgw_max_listing_results`` per page, Swift 10 000: the listing ends at an empty page). A missing container
        lists nothing."""
        marker = ""
        while True:
            response = self._request("GET", container, params={"format": "json", "prefix": prefix,
                                                               "marker": marker})
            if response.status_code == 404:
                return
            if response.status_code == 204:
                return
            if response.status_code >= 300:
                raise self._fail(response, f"listing {container}")
            page = response.json()
            if not page:
                return
            yield from page
            marker = page[-1]["name"]

    def _delete_segments(self, prefix: str) -> None:
        container = self.settings.segments_container
        for item in list(self._listing(container, prefix)):
            response = self._request("DELETE", container, item["name"])
            if response.status_code >= 300 and response.status_code != 404:
                raise self._fail(response, f"DELETE the segment {item['name']}")
