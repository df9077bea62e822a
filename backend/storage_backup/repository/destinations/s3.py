# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""S3 destination (boto3): a repository's objects as keys under ``prefix`` in one bucket; tested on Ceph RGW 16.2.

How it keeps the rules of ``base.py``:

* Atomic, durable writes: an S3 PUT (and a completed multipart upload) is atomic and acknowledged once stored.
  Packs are assembled in memory (their size is bounded by the repository's pack size) and sent at ``commit``:
  one PUT, or a multipart upload from ``multipart_threshold`` on. Every PUT and part carries Content-MD5.
* ``list`` never shows an object being written: a multipart upload is invisible until completed.
* Exclusive creation (``put(..., exclusive=True)``, used for ``config`` and ``keys/``): ``If-None-Match: *``,
  which S3 and RGW honour in unversioned buckets. RGW 16.2 ignores it in versioned buckets (measured: the second
  PUT succeeds), and Object Lock needs a versioned bucket, so there the PUT is followed by a listing of the key's
  versions: the oldest version after the last delete marker wins, a loser deletes its own version (it carries no
  retention yet: retention is set only once the write has won) and raises ``FileExistsError``. A reader may see
  the loser's object for that instant; the only racing writers are two ``repo init`` of one location.

Object Lock (WORM), kopia's model for deduplicating repositories: with ``lock_mode`` set, every immutable object
(``config``, ``keys/``, ``data/``, ``index/``, ``restore-points/``) is written with per-object retention until
``now + lock_days``; the maintenance pass (``object_lock.py``) calls ``extend_object_retention`` on what restore
points still reference. ``locks/`` and ``damaged/`` are mutable and carry none. Retention goes on the PUT itself; for a
multipart upload it is set with PutObjectRetention after completion, since RGW 16.2 ignores lock headers on
CreateMultipartUpload. A bucket with Object Lock is versioned: ``delete`` then only adds a delete marker (the
locked version stays, readable with ``get_version``), and reads of the current object see the marker as S3 does (not
found). ``S3VersionsView`` (``s3_recovery.py``) reads a repository back from the versions after a mass delete.
"""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..errors import CorruptObject, InvalidRequest, ObjectNotFound, RepositoryNotFound
from ..format import CONFIG_NAME, DATA_PREFIX, INDEX_PREFIX, KEYS_PREFIX, RESTORE_POINTS_PREFIX
from .base import Destination, ObjectInfo, ObjectWriter
from .buffered import BufferedObjectWriter
from .s3_settings import S3Credentials, S3Settings

#: Objects written once and never changed in place: these get Object Lock retention.
IMMUTABLE_PREFIXES = (KEYS_PREFIX, DATA_PREFIX, INDEX_PREFIX, RESTORE_POINTS_PREFIX)
_NOT_FOUND = {"NoSuchKey", "404", "NotFound", "NoSuchVersion"}
_PRECONDITION = {"PreconditionFailed", "412", "ConditionalRequestConflict"}


@dataclass(frozen=True)
class ObjectVersion:
    """One version of an object in a versioned bucket (a delete marker has no data and size 0)."""

    name: str
    version_id: str
    size: int
    mtime: float
    latest: bool
    delete_marker: bool = False


@dataclass(frozen=True)
class ObjectRetention:
    mode: str
    until: dt.datetime


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _same_rule(found: dict, wanted: dict) -> bool:
    """Whether a rule read back from the bucket is ``wanted`` (stores add empty or default fields of their own)."""
    def essential(rule: dict) -> tuple:
        prefix = (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix", ""))
        return (rule.get("Status"), prefix, bool((rule.get("Expiration") or {}).get("ExpiredObjectDeleteMarker")),
                (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
                (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"))
    return essential(found) == essential(wanted)


def _md5(data) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def make_client(settings: S3Settings, credentials: S3Credentials):
    """A boto3 S3 client for ``settings`` that signs with ``credentials`` (and looks for no others)."""
    session = boto3.session.Session(aws_access_key_id=credentials.access_key,
                                    aws_secret_access_key=credentials.secret_key,
                                    aws_session_token=credentials.session_token, region_name=settings.region)
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if settings.path_style else "auto"},
        # boto3 >= 1.36 sends CRC checksums on every request by default, as aws-chunked trailers over https, which
        # pacific RGW cannot parse (ceph tracker 63153): only where an operation requires one, as before.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": settings.max_attempts, "mode": "standard"},
        connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
        max_pool_connections=settings.max_pool_connections)
    return session.client("s3", endpoint_url=settings.endpoint_url, verify=settings.verify, config=config)


class S3Destination(Destination):
    """Objects as keys ``prefix + name`` in ``settings.bucket``. Thread-safe (one boto3 client, shared)."""

    def __init__(self, settings: S3Settings | str | dict, credentials: S3Credentials | dict | None = None,
                 client=None) -> None:
        if isinstance(settings, str):
            settings = S3Settings.from_location(settings)
        elif isinstance(settings, dict):
            settings = S3Settings.from_dict(settings)
        self.settings = settings
        self.bucket = settings.bucket
        self.prefix = settings.prefix
        self.location = settings.location
        if client is None:
            credentials = S3Credentials.from_value(credentials) or S3Credentials.from_environment()
            if credentials is None:
                raise InvalidRequest(f"the S3 destination {settings.location} needs credentials (an access key and "
                                     "its secret; AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for the CLI)")
            client = make_client(settings, credentials)
        self._client = client
        self._lock_checked = False

    @property
    def client(self):
        """The boto3 client (for operators' tools and tests; the engine never needs it)."""
        return self._client

    # --- names ------------------------------------------------------------------------------------------------
    def _key(self, name: str) -> str:
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"bad object name {name!r}")
        return self.prefix + name

    def immutable(self, name: str) -> bool:
        """Whether ``name`` is written once and never changed (and so gets retention under Object Lock)."""
        return name == CONFIG_NAME or name.startswith(IMMUTABLE_PREFIXES)

    def _locked(self, name: str) -> bool:
        return self.settings.lock_mode is not None and self.immutable(name)

    def _error(self, error: ClientError, name: str) -> Exception:
        code = _code(error)
        if code in _NOT_FOUND:
            return ObjectNotFound(name)
        if code == "NoSuchBucket":
            return RepositoryNotFound(f"the bucket {self.bucket} does not exist ({self.location})")
        return error

    # --- the Destination interface ----------------------------------------------------------------------------
    def put(self, name: str, data: bytes, exclusive: bool = False) -> None:
        self._store(name, data, exclusive)

    def open_writer(self, name: str, capacity: int | None = None) -> ObjectWriter:
        self._key(name)  # validates the name now, not at commit
        return BufferedObjectWriter(name, capacity, self._store)

    def get(self, name: str) -> bytes:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except ClientError as error:
            raise self._error(error, name) from None

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        return self._get_range(name, offset, length)

    def _get_range(self, name: str, offset: int, length: int, version_id: str | None = None) -> bytes:
        if length <= 0:
            if self._head(name, version_id) is None:
                raise ObjectNotFound(name)
            return b""
        extra = {"VersionId": version_id} if version_id else {}
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(name),
                                               Range=f"bytes={offset}-{offset + length - 1}", **extra)
            data = response["Body"].read()
        except ClientError as error:
            if _code(error) == "InvalidRange":
                raise CorruptObject(f"object {name} is truncated: wanted {length} bytes at offset {offset}, it "
                                    f"ends before") from None
            raise self._error(error, name) from None
        if len(data) < length:
            raise CorruptObject(f"object {name} is truncated: wanted {length} bytes at offset {offset}, it ends at "
                                f"{offset + len(data)}")
        return data

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        skip = len(self.prefix)
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", ()):
                    yield ObjectInfo(item["Key"][skip:], item["Size"], item["LastModified"].timestamp())
        except ClientError as error:
            raise self._error(error, prefix) from None

    def delete(self, name: str) -> None:
        # In a versioned bucket (Object Lock) this adds a delete marker: the versions stay, locked or not.
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as error:
            if _code(error) not in _NOT_FOUND:
                raise self._error(error, name) from None

    def exists(self, name: str) -> bool:
        return self._head(name) is not None

    def size(self, name: str) -> int:
        head = self._head(name)
        if head is None:
            raise ObjectNotFound(name)
        return int(head["ContentLength"])

    def cleanup_incomplete(self, older_than: float = 3600.0) -> int:
        """Abort multipart uploads under the prefix started more than ``older_than`` seconds ago."""
        cutoff = time.time() - older_than
        aborted = 0
        paginator = self._client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for upload in page.get("Uploads", ()):
                if upload["Initiated"].timestamp() > cutoff:
                    continue
                with contextlib.suppress(ClientError):
                    self._client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                        UploadId=upload["UploadId"])
                    aborted += 1
        return aborted

    # --- writing ----------------------------------------------------------------------------------------------
    def _head(self, name: str, version_id: str | None = None) -> dict | None:
        extra = {"VersionId": version_id} if version_id else {}
        try:
            return self._client.head_object(Bucket=self.bucket, Key=self._key(name), **extra)
        except ClientError as error:
            if _code(error) in _NOT_FOUND:
                return None
            raise self._error(error, name) from None

    def retain_until(self) -> dt.datetime:
        """The retention date a new immutable object gets now."""
        return dt.datetime.now(dt.UTC) + dt.timedelta(days=self.settings.lock_days)

    def _lock_headers(self, locked: bool) -> dict:
        if not locked:
            return {}
        return {"ObjectLockMode": self.settings.lock_mode, "ObjectLockRetainUntilDate": self.retain_until()}

    def _store(self, name: str, data, exclusive: bool = False) -> None:
        key = self._key(name)
        locked = self._locked(name)
        if locked:
            self.check_object_lock()
        try:
            if exclusive:
                self._put_exclusive(name, key, data, locked)
            elif len(data) >= self.settings.multipart_threshold:
                self._put_multipart(key, data, locked)
            else:
                self._client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentMD5=_md5(data),
                                        **self._lock_headers(locked))
        except ClientError as error:
            raise self._error(error, name) from None

    def _put_multipart(self, key: str, data, locked: bool) -> None:
        # Lock headers on CreateMultipartUpload: AWS applies them, RGW 16.2 ignores them (hence the retention call
        # after completion, which makes both end the same).
        upload_id = self._client.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                         **self._lock_headers(locked))["UploadId"]
        view = memoryview(data)
        try:
            parts = []
            part_size = self.settings.part_size
            for number, start in enumerate(range(0, len(view), part_size), start=1):
                part = bytes(view[start:start + part_size])
                response = self._client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                    PartNumber=number, Body=part, ContentMD5=_md5(part))
                parts.append({"ETag": response["ETag"], "PartNumber": number})
            result = self._client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                            MultipartUpload={"Parts": parts})
        except BaseException:
            with contextlib.suppress(Exception):
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        finally:
            view.release()
        if locked:
            self._set_retention(key, result.get("VersionId"), self.retain_until())

    def _put_exclusive(self, name: str, key: str, data, locked: bool) -> None:
        if self._head(name) is not None:
            raise FileExistsError(f"{name} exists in {self.location}")
        try:
            # No lock headers: a write that loses the race below must be able to remove its own version.
            response = self._client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentMD5=_md5(data),
                                               IfNoneMatch="*")
        except ClientError as error:
            if _code(error) in _PRECONDITION:
                raise FileExistsError(f"{name} exists in {self.location}") from None
            raise
        version_id = response.get("VersionId")
        if version_id and self._first_live_version(key) != version_id:
            with contextlib.suppress(ClientError):
                self._client.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)
            raise FileExistsError(f"{name} exists in {self.location} (written concurrently)")
        if locked:
            self._set_retention(key, version_id, self.retain_until())

    def _first_live_version(self, key: str) -> str | None:
        """The oldest version of ``key`` written since its last delete marker: the winner of an exclusive race."""
        entries = []
        paginator = self._client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            entries += [(item, False) for item in page.get("Versions", ()) if item["Key"] == key]
            entries += [(item, True) for item in page.get("DeleteMarkers", ()) if item["Key"] == key]
        # Newest first; the sort is stable, so versions with one timestamp keep the listing's (the store's) order.
        entries.sort(key=lambda entry: entry[0]["LastModified"], reverse=True)
        winner = None
        for item, marker in entries:
            if marker:
                break
            winner = item["VersionId"]
        return winner

    # --- Object Lock ------------------------------------------------------------------------------------------
    def check_object_lock(self) -> None:
        """Refuse to write locked objects to a bucket without Object Lock (they would be deletable)."""
        if self._lock_checked:
            return
        try:
            config = self._client.get_object_lock_configuration(Bucket=self.bucket)["ObjectLockConfiguration"]
            enabled = config.get("ObjectLockEnabled") == "Enabled"
        except ClientError as error:
            if _code(error) == "NoSuchBucket":
                raise self._error(error, "") from None
            enabled = False
        if not enabled:
            raise InvalidRequest(f"the bucket {self.bucket} has no Object Lock, which the destination's lock mode "
                                 f"{self.settings.lock_mode} needs; create the bucket with Object Lock enabled")
        self._lock_checked = True

    def _set_retention(self, key: str, version_id: str | None, until: dt.datetime) -> None:
        extra = {"VersionId": version_id} if version_id else {}
        self._client.put_object_retention(Bucket=self.bucket, Key=key,
                                          Retention={"Mode": self.settings.lock_mode, "RetainUntilDate": until},
                                          **extra)

    def retention(self, name: str, version_id: str | None = None) -> ObjectRetention | None:
        """The retention of the current version of ``name`` (or of one version); None when it has none."""
        extra = {"VersionId": version_id} if version_id else {}
        try:
            found = self._client.get_object_retention(Bucket=self.bucket, Key=self._key(name), **extra)["Retention"]
        except ClientError as error:
            if _code(error) in ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"):
                return None
            raise self._error(error, name) from None
        if not found.get("Mode"):
            return None
        return ObjectRetention(found["Mode"], found["RetainUntilDate"])

    @property
    def retention_days(self) -> float | None:
        """Days of retention each immutable object gets from its write (None: no Object Lock here)."""
        return self.settings.lock_days if self.settings.lock_mode else None

    def extend_object_retention(self, name: str, until: dt.datetime) -> bool:
        """Retain the current version of ``name`` until at least ``until`` (in the destination's mode); never
        shortens. True if extended, False if retained that long already; ``ObjectNotFound`` without a current
        version (deleted: recover it from its versions first)."""
        self.check_object_lock()  # once per destination object: a bucket without Object Lock is refused plainly
        head = self._head(name)
        if head is None:
            raise ObjectNotFound(name)
        version_id = head.get("VersionId")
        current = self.retention(name, version_id)
        if current is not None and current.until >= until and current.mode == self.settings.lock_mode:
            return False
        # A mode change keeps the later date.
        target = current.until if current is not None and current.until > until else until
        try:
            self._set_retention(self._key(name), version_id, target)
        except ClientError as error:
            raise self._error(error, name) from None
        return True

    def extend_retention(self, names: Iterable[str], until: dt.datetime | None = None, workers: int = 8) -> int:
        """Make the current version of each of ``names`` retained until at least ``until`` (default: what a new
        object gets now); never shortens. Returns how many were extended. Raises ``ObjectNotFound`` for a name
        without a current version (deleted: recover it from its versions first). The maintenance pass
        (``Repository.maintain_locks``) calls ``extend_object_retention`` per object instead."""
        if self.settings.lock_mode is None:
            raise InvalidRequest(f"{self.location} has no lock mode: there is no retention to extend")
        self.check_object_lock()
        until = until or self.retain_until()
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="s3-retention") as pool:
            return sum(pool.map(lambda name: self.extend_object_retention(name, until), list(names)))

    # --- pre-signed reads (vault restore grants) -------------------------------------------------------------
    def presign_get(self, name: str, expires_in: int) -> str:
        """A URL that lets whoever holds it GET object ``name`` (the current version) for ``expires_in`` seconds,
        signed with this destination's credentials; no request is made (``vault_grant.py``)."""
        if not 1 <= int(expires_in) <= 7 * 24 * 3600:  # SigV4's limit on a pre-signed URL
            raise InvalidRequest(f"a pre-signed URL lasts 1 s to 7 days, not {expires_in} s")
        return self._client.generate_presigned_url("get_object", Params={"Bucket": self.bucket,
                                                                         "Key": self._key(name)},
                                                   ExpiresIn=int(expires_in))

    # --- versions (recovery) ----------------------------------------------------------------------------------
    def versions(self, prefix: str = "") -> Iterator[ObjectVersion]:
        """Every version and delete marker of the objects whose names start with ``prefix`` (newest first per
        object as the store lists them; delete markers of a page after its versions)."""
        skip = len(self.prefix)
        paginator = self._client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Versions", ()):
                yield ObjectVersion(item["Key"][skip:], item["VersionId"], item["Size"],
                                    item["LastModified"].timestamp(), item["IsLatest"])
            for item in page.get("DeleteMarkers", ()):
                yield ObjectVersion(item["Key"][skip:], item["VersionId"], 0, item["LastModified"].timestamp(),
                                    item["IsLatest"], delete_marker=True)

    def get_version(self, name: str, version_id: str) -> bytes:
        """One version of an object, current, noncurrent or hidden behind a delete marker."""
        try:
            return self._client.get_object(Bucket=self.bucket, Key=self._key(name),
                                           VersionId=version_id)["Body"].read()
        except ClientError as error:
            raise self._error(error, name) from None

    def get_version_range(self, name: str, version_id: str, offset: int, length: int) -> bytes:
        return self._get_range(name, offset, length, version_id)

    def container_exists(self) -> bool:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if _code(error) in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise
        return True

    def ensure_container(self) -> None:
        self.ensure_bucket()

    def versioned(self) -> bool:
        """Whether the bucket keeps versions (Object Lock makes it so): only then can a deleted object come back."""
        try:
            return self._client.get_bucket_versioning(Bucket=self.bucket).get("Status") == "Enabled"
        except ClientError as error:
            raise self._error(error, "") from None

    # --- lifecycle --------------------------------------------------------------------------------------------
    @property
    def lifecycle_rule_id(self) -> str:
        """The ID of the one lifecycle rule this destination owns in its bucket (one per prefix)."""
        return f"storage-backup:{self.prefix or '/'}"[:255]

    def lifecycle_rule(self) -> dict:
        """What the product needs from lifecycle under its prefix: versions that stopped being current (a prune's
        or a delete's delete marker on top) go ``noncurrent_days`` later, once Object Lock lets them (a locked
        version is kept until its date, whatever the rule); delete markers left alone go too, and so do multipart
        uploads nobody finished. Without it a versioned bucket only grows."""
        return {"ID": self.lifecycle_rule_id, "Status": "Enabled", "Filter": {"Prefix": self.prefix},
                "Expiration": {"ExpiredObjectDeleteMarker": True},
                "NoncurrentVersionExpiration": {"NoncurrentDays": self.settings.noncurrent_days},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}

    def lifecycle_rules(self) -> list[dict]:
        """The bucket's lifecycle rules (every one: the operator's and the product's)."""
        try:
            return list(self._client.get_bucket_lifecycle_configuration(Bucket=self.bucket).get("Rules", ()))
        except ClientError as error:
            if _code(error) == "NoSuchLifecycleConfiguration":
                return []
            raise self._error(error, "") from None

    def ensure_lifecycle(self) -> bool:
        """Put the product's rule (``lifecycle_rule``) into the bucket's lifecycle configuration, keeping every
        other rule as it is (an operator's, another prefix's destination); True if the configuration changed. A
        bucket-wide configuration is replaced whole by S3, hence the read, merge and write."""
        rules = self.lifecycle_rules()
        wanted = self.lifecycle_rule()
        others = [rule for rule in rules if rule.get("ID") != wanted["ID"]]
        if len(others) < len(rules) and _same_rule(next(rule for rule in rules if rule.get("ID") == wanted["ID"]),
                                                   wanted):
            return False
        try:
            self._client.put_bucket_lifecycle_configuration(Bucket=self.bucket,
                                                            LifecycleConfiguration={"Rules": [*others, wanted]})
        except ClientError as error:
            raise self._error(error, "") from None
        return True

    def ensure_bucket(self) -> bool:
        """Create the bucket if it is missing (with Object Lock when the destination has a lock mode, which also
        makes it versioned); True if it was made. An existing bucket is checked for Object Lock when needed. Either
        way the product's lifecycle rule is put in (``ensure_lifecycle``), next to the operator's own."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if _code(error) not in ("404", "NoSuchBucket", "NotFound"):
                raise
            extra = {"ObjectLockEnabledForBucket": True} if self.settings.lock_mode else {}
            if self.settings.region and self.settings.region not in ("us-east-1", "default"):
                extra["CreateBucketConfiguration"] = {"LocationConstraint": self.settings.region}
            self._client.create_bucket(Bucket=self.bucket, **extra)
            self.ensure_lifecycle()
            return True
        if self.settings.lock_mode:
            self.check_object_lock()
        self.ensure_lifecycle()
        return False
