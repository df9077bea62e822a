# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What an S3 destination is configured with, and the ``s3://`` location form.

A location names where the repository lives and how to reach it, never who may: credentials are separate
(``S3Credentials``), so a location can be logged, shown in the catalog and copied into a ticket, while the keys are
sealed in the catalog (a later step) and handed to the destination's constructor.

    s3://BUCKET[/PREFIX]?endpoint=http://127.0.0.1:7480&region=default&path_style=1&lock=COMPLIANCE&lock_days=30

Query parameters (all optional): ``endpoint`` (an S3 endpoint URL; AWS's own when absent), ``region``,
``path_style`` (1/true: ``http://host/bucket/key`` instead of ``http://bucket.host/key``; RGW without wildcard DNS
needs it), ``lock`` (``COMPLIANCE`` or ``GOVERNANCE``: Object Lock retention on every immutable object),
``lock_days`` (how long), ``noncurrent_days`` (lifecycle days after which a version that is no longer current, and not
locked any more, is removed: 1 by default), ``multipart_threshold`` / ``part_size`` (bytes), ``verify`` (0 to skip TLS
verification, or a CA bundle path).

How it behaves when the object store misbehaves (``s3_transport.py``), also query parameters: ``max_attempts``
(attempts per request in all, default 5: refused or reset connections, timeouts, 5xx and ``SlowDown`` are retried
with exponential backoff and jitter), ``connect_timeout`` (seconds, default 10), ``read_timeout`` (seconds without
a byte either way, default 60: a stalled store fails after about ``read_timeout × max_attempts``),
``max_pool_connections`` (default 32). Then the job fails with ``DestinationUnavailable`` naming the location.
"""
from __future__ import annotations

import dataclasses
import os
import re
import urllib.parse
from dataclasses import dataclass, field

from ..errors import InvalidRequest

MiB = 1024 * 1024
LOCK_MODES = ("COMPLIANCE", "GOVERNANCE")
#: S3's smallest part (all but the last); RGW enforces it too (rgw_multipart_min_part_size).
MIN_PART_SIZE = 5 * MiB
#: S3's largest single PUT (and part).
MAX_PUT_SIZE = 5 * 1024 * MiB
#: The longest Object Lock a location may ask for: a thousand years (the catalog's own ceiling, max_lock_days, is
#: checked by the service; this keeps the engine's date arithmetic finite on its own).
MAX_LOCK_DAYS = 365250
#: S3's bucket naming rules (DNS-compatible names; RGW enforces them unless rgw_relaxed_s3_bucket_names is set).
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_CREDENTIAL_PARAMS = {"access_key", "secret_key", "aws_access_key_id", "aws_secret_access_key", "session_token",
                      "secret", "key", "password", "token"}


@dataclass(frozen=True)
class S3Credentials:
    """An access key pair (and an optional session token). Never part of a location; ``repr`` hides the secrets."""

    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_value(cls, value: S3Credentials | dict | None) -> S3Credentials | None:
        if value is None or isinstance(value, S3Credentials):
            return value
        try:
            return cls(access_key=value["access_key"], secret_key=value["secret_key"],
                       session_token=value.get("session_token"))
        except (KeyError, TypeError):
            raise InvalidRequest("S3 credentials need access_key and secret_key") from None

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> S3Credentials | None:
        """``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (/ ``AWS_SESSION_TOKEN``), for the operator's CLI; None
        when unset. Only these: boto3's own chain would also probe instance metadata (169.254.169.254) and read
        ~/.aws, neither of which a backup worker should depend on."""
        environ = os.environ if environ is None else environ
        access_key, secret_key = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
        if not (access_key and secret_key):
            return None
        return cls(access_key, secret_key, environ.get("AWS_SESSION_TOKEN") or None)


@dataclass(frozen=True)
class S3Settings:
    """Where an S3 destination lives and how it writes; see the module's docstring for the location form."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    path_style: bool = False
    #: None: no Object Lock. COMPLIANCE: nobody, not even the bucket's owner, can delete a locked version or
    #: shorten its lock before it expires. GOVERNANCE: a user with s3:BypassGovernanceRetention can.
    lock_mode: str | None = None
    #: Retention of each immutable object from its write (the maintenance pass extends it for what is still used).
    lock_days: float = 0.0
    #: The product's lifecycle rule removes versions this many days after they stopped being current (a prune's
    #: delete markers), once their lock allows: the space of pruned data comes back (S3 counts whole days).
    noncurrent_days: int = 1
    #: Objects at least this large go up as a multipart upload, in parts of ``part_size``.
    multipart_threshold: int = 64 * MiB
    part_size: int = 16 * MiB
    verify: bool | str = True
    #: Seconds to open a connection, and without a byte either way on one (each attempt).
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    #: Attempts per request in all (1: no retry); backoff between them is botocore's standard mode.
    max_attempts: int = 5
    max_pool_connections: int = 32

    def __post_init__(self) -> None:
        if not _BUCKET_NAME.fullmatch(self.bucket or ""):
            raise InvalidRequest(f"bad S3 bucket name {self.bucket!r} (3 to 63 lower-case letters, digits, dots and "
                                 "hyphens, starting and ending with a letter or digit)")
        prefix = self.prefix.strip("/")
        object.__setattr__(self, "prefix", f"{prefix}/" if prefix else "")
        if self.lock_mode is not None:
            mode = self.lock_mode.upper()
            if mode not in LOCK_MODES:
                raise InvalidRequest(f"the S3 lock mode must be one of {', '.join(LOCK_MODES)}, not {self.lock_mode!r}")
            object.__setattr__(self, "lock_mode", mode)
            # Finite and below a thousand years: a retention date is computed from it, and COMPLIANCE never yields.
            if not 0 < self.lock_days <= MAX_LOCK_DAYS:
                raise InvalidRequest(f"an S3 destination with Object Lock needs lock_days > 0 and at most "
                                     f"{MAX_LOCK_DAYS}")
        if not (self.connect_timeout > 0 and self.read_timeout > 0):
            raise InvalidRequest("the S3 connect and read timeouts must be more than 0 seconds")
        if not 1 <= self.max_attempts <= 20 or self.max_pool_connections < 1:
            raise InvalidRequest("S3 max_attempts must be between 1 and 20, and max_pool_connections at least 1")
        if isinstance(self.noncurrent_days, bool) or not isinstance(self.noncurrent_days, int) \
                or not 1 <= self.noncurrent_days <= 36500:
            raise InvalidRequest("the S3 setting noncurrent_days must be a whole number of days from 1 to 36500")
        if self.endpoint_url is not None:
            check_endpoint(self.endpoint_url)
        if not MIN_PART_SIZE <= self.part_size <= MAX_PUT_SIZE:
            raise InvalidRequest(f"the S3 part size must be between {MIN_PART_SIZE} and {MAX_PUT_SIZE} bytes")
        if self.multipart_threshold < MIN_PART_SIZE or self.multipart_threshold > MAX_PUT_SIZE:
            raise InvalidRequest(f"the S3 multipart threshold must be between {MIN_PART_SIZE} and {MAX_PUT_SIZE} "
                                 "bytes")

    @property
    def location(self) -> str:
        """The ``s3://`` form of these settings (no credentials: there are none here)."""
        query = {}
        if self.endpoint_url:
            query["endpoint"] = self.endpoint_url
        if self.region:
            query["region"] = self.region
        if self.path_style:
            query["path_style"] = "1"
        if self.lock_mode:
            query["lock"] = self.lock_mode
            query["lock_days"] = f"{self.lock_days:g}"
        defaults = {item.name: item.default for item in dataclasses.fields(self)}
        # Every other setting that is not its default, so that the catalog's copy of a location (this form) opens
        # the destination exactly as given.
        for name in ("noncurrent_days", "multipart_threshold", "part_size", "verify", "connect_timeout",
                     "read_timeout", "max_attempts", "max_pool_connections"):
            value = getattr(self, name)
            if value != defaults[name]:
                query[name] = ("1" if value else "0") if isinstance(value, bool) else f"{value:g}" \
                    if isinstance(value, float) else str(value)
        path = f"/{self.prefix.rstrip('/')}" if self.prefix else ""
        suffix = f"?{urllib.parse.urlencode(query, safe=':/')}" if query else ""
        return f"s3://{self.bucket}{path}{suffix}"

    @classmethod
    def from_location(cls, location: str) -> S3Settings:
        """Settings from ``s3://bucket/prefix?...``; refuses credentials in the location."""
        try:
            parsed = urllib.parse.urlsplit(location)
        except ValueError:  # a malformed host ("s3://[bucket")
            raise InvalidRequest("an S3 location is s3://BUCKET[/PREFIX][?SETTINGS]; this one does not parse") \
                from None
        if parsed.scheme != "s3":
            # Never the location itself in the message: a mistyped one may carry a key.
            raise InvalidRequest(f"an S3 location starts with s3:// (this one with {parsed.scheme or 'no'}"
                                 f"{'://' if parsed.scheme else ' scheme'})")
        if parsed.username is not None or parsed.password is not None:
            raise InvalidRequest("credentials do not belong in an S3 location; give them to the destination "
                                 "separately")
        params: dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True, strict_parsing=False):
            if key.lower() in _CREDENTIAL_PARAMS:
                raise InvalidRequest("credentials do not belong in an S3 location; give them to the destination "
                                     "separately")
            params[key] = value
        return cls.from_dict({"bucket": parsed.netloc, "prefix": parsed.path, **params})

    @classmethod
    def from_dict(cls, config: dict) -> S3Settings:
        """Settings from a config dict (the catalog's form). Keys: the field names, or the location's query names."""
        aliases = {"endpoint": "endpoint_url", "lock": "lock_mode"}
        known = {item.name: item for item in dataclasses.fields(cls)}
        values: dict[str, object] = {}
        for key, value in config.items():
            if key in ("type", "scheme"):
                continue
            if key.lower() in _CREDENTIAL_PARAMS:
                raise InvalidRequest(f"S3 settings take no credentials ({key}); give them to the destination "
                                     "separately")
            name = aliases.get(key, key)
            if name not in known:
                raise InvalidRequest(f"unknown S3 destination setting {key!r}")
            values[name] = _convert(name, value)
        if "bucket" not in values:
            raise InvalidRequest("an S3 destination needs a bucket")
        return cls(**values)  # type: ignore[arg-type]


def check_endpoint(endpoint: str) -> None:
    """An endpoint is ``http(s)://host[:port][/path]``: no credentials, no query; ``InvalidRequest`` otherwise (its
    message never repeats the URL, which might hold a key)."""
    try:
        parsed = urllib.parse.urlsplit(endpoint)
        parsed.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise InvalidRequest("the S3 endpoint is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidRequest("the S3 endpoint must be an http:// or https:// URL with a host name")
    if parsed.username is not None or parsed.password is not None:
        raise InvalidRequest("credentials do not belong in the S3 endpoint; give them to the destination separately")
    if parsed.query or parsed.fragment:
        raise InvalidRequest("the S3 endpoint takes no query or fragment")


def _convert(name: str, value: object) -> object:
    """A query-string value as the field's type (dict values may already be typed)."""
    if not isinstance(value, str):
        return value
    if name == "path_style":
        return _boolean(name, value)
    if name == "verify":
        return value if value.lower() not in _TRUE + _FALSE else _boolean(name, value)
    if name in ("lock_days", "connect_timeout", "read_timeout"):
        return _number(name, value, float)
    if name in ("noncurrent_days", "multipart_threshold", "part_size", "max_attempts", "max_pool_connections"):
        return _number(name, value, int)
    if name in ("lock_mode", "endpoint_url", "region"):
        return value or None
    return value


def _boolean(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise InvalidRequest(f"S3 setting {name} must be true or false, not {value!r}")


def _number(name: str, value: str, kind):
    try:
        return kind(value)
    except ValueError:
        raise InvalidRequest(f"S3 setting {name} must be a number, not {value!r}") from None
