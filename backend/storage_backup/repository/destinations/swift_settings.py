# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What a Swift destination is configured with, and the ``swift://`` location form.

As for S3 (``s3_settings.py``), a location says where the repository lives and how to reach it, never who may:
credentials are separate (``SwiftCredentials``), so the location can be logged and shown, and the secret is sealed in
the catalog and handed to the destination's constructor.

    swift://CONTAINER[/PREFIX]?auth_url=http://keystone:5000/v3&region=RegionOne&interface=public

Query parameters: ``auth_url`` (Keystone v3, required), ``region`` and ``interface`` (which object-store endpoint of
the catalog; ``public`` by default), ``endpoint`` (an object-store URL to use instead of the catalog's, as
``OS_STORAGE_URL`` does), ``large_object_threshold`` / ``segment_size`` (bytes: objects from the threshold on go up
as a Static Large Object of segments of that size), ``timeout`` (seconds), ``verify`` (0 to skip TLS verification,
or a CA bundle path).
"""
from __future__ import annotations

import dataclasses
import urllib.parse
from dataclasses import dataclass, field

from ..errors import InvalidRequest

MiB = 1024 * 1024
#: Swift's largest single object (``max_file_size``); RGW's Swift API enforces the same (rgw_max_put_size).
MAX_OBJECT_SIZE = 5 * 1024 * MiB
#: No smaller segments: Swift used to refuse them (``min_segment_size``) and they only multiply requests.
MIN_SEGMENT_SIZE = MiB
INTERFACES = ("public", "internal", "admin")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_CREDENTIAL_PARAMS = {"password", "secret", "application_credential_secret", "application_credential_id",
                      "username", "user", "token", "auth_token", "key", "os_password"}


@dataclass(frozen=True)
class SwiftCredentials:
    """Who the destination logs in to Keystone as: an application credential (preferred: it is bound to one project
    and can be revoked on its own) or a user's password. ``repr`` never shows the secret or the password."""

    application_credential_id: str | None = None
    application_credential_secret: str | None = field(default=None, repr=False)
    #: An application credential by name needs its user (``username`` + ``user_domain_name``) instead of an id.
    application_credential_name: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    project_name: str | None = None
    project_id: str | None = None
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"

    def __post_init__(self) -> None:
        if self.application_credential_secret:
            if not (self.application_credential_id or (self.application_credential_name and self.username)):
                raise InvalidRequest("a Swift application credential needs its id (or its name and username) "
                                     "with its secret")
        elif self.username and self.password:
            if not (self.project_name or self.project_id):
                raise InvalidRequest("Swift password credentials need the project (project_name or project_id)")
        else:
            raise InvalidRequest("Swift credentials need application_credential_id and application_credential_secret, "
                                 "or username, password and project_name")

    @property
    def is_application_credential(self) -> bool:
        return bool(self.application_credential_secret)

    @classmethod
    def from_value(cls, value: SwiftCredentials | dict | None) -> SwiftCredentials | None:
        if value is None or isinstance(value, SwiftCredentials):
            return value
        if not isinstance(value, dict):
            raise InvalidRequest("Swift credentials must be a mapping")
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(value) - known - {"type"})
        if unknown:
            raise InvalidRequest(f"unknown Swift credential fields: {', '.join(unknown)}")
        return cls(**{key: item for key, item in value.items() if key in known and item not in (None, "")})


@dataclass(frozen=True)
class SwiftSettings:
    """Where a Swift destination lives and how it writes; see the module's docstring for the location form."""

    container: str
    prefix: str = ""
    auth_url: str = ""
    region: str | None = None
    interface: str = "public"
    #: An object-store URL to use instead of the catalog's (the account URL, ``.../v1/AUTH_<project id>``).
    endpoint: str | None = None
    #: Objects at least this large go up as a Static Large Object; smaller ones in one PUT. Well below Swift's
    #: 5 GiB so a failed PUT costs little to send again; above the repository's pack size (16 MiB) by default, so
    #: packs normally go up whole.
    large_object_threshold: int = 64 * MiB
    segment_size: int = 16 * MiB
    timeout: float = 120.0
    max_attempts: int = 5
    verify: bool | str = True

    def __post_init__(self) -> None:
        # Swift allows "/" nowhere in a container name; RGW wants 3 to 255 characters.
        if not self.container or "/" in self.container or not 3 <= len(self.container) <= 255:
            raise InvalidRequest(f"bad Swift container name {self.container!r} (3 to 255 characters, no '/')")
        prefix = self.prefix.strip("/")
        object.__setattr__(self, "prefix", f"{prefix}/" if prefix else "")
        if not self.auth_url:
            raise InvalidRequest("a Swift destination needs auth_url (Keystone v3, e.g. http://keystone:5000/v3)")
        if urllib.parse.urlsplit(self.auth_url).scheme not in ("http", "https"):
            raise InvalidRequest(f"the Swift auth_url must be an http(s) URL, not {self.auth_url!r}")
        if self.interface not in INTERFACES:
            raise InvalidRequest(f"the Swift interface must be one of {', '.join(INTERFACES)}, not {self.interface!r}")
        if not MIN_SEGMENT_SIZE <= self.segment_size <= MAX_OBJECT_SIZE:
            raise InvalidRequest(f"the Swift segment size must be between {MIN_SEGMENT_SIZE} and {MAX_OBJECT_SIZE} "
                                 "bytes")
        if not MIN_SEGMENT_SIZE <= self.large_object_threshold <= MAX_OBJECT_SIZE:
            raise InvalidRequest(f"the Swift large object threshold must be between {MIN_SEGMENT_SIZE} and "
                                 f"{MAX_OBJECT_SIZE} bytes")
        if self.timeout <= 0 or self.max_attempts < 1:
            raise InvalidRequest("the Swift timeout must be positive and max_attempts at least 1")

    @property
    def segments_container(self) -> str:
        """Where the segments of large objects go, beside the container (``swift`` CLI's convention), so that the
        container's listing shows whole objects only."""
        return f"{self.container}_segments"

    @property
    def location(self) -> str:
        """The ``swift://`` form of these settings (no credentials: there are none here)."""
        query = {"auth_url": self.auth_url}
        defaults = {item.name: item.default for item in dataclasses.fields(self)}
        for name in ("region", "interface", "endpoint", "large_object_threshold", "segment_size", "timeout"):
            value = getattr(self, name)
            if value != defaults[name]:
                query[name] = f"{value:g}" if isinstance(value, float) else str(value)
        path = f"/{self.prefix.rstrip('/')}" if self.prefix else ""
        return f"swift://{self.container}{path}?{urllib.parse.urlencode(query, safe=':/')}"

    @classmethod
    def from_location(cls, location: str) -> SwiftSettings:
        """Settings from ``swift://container/prefix?auth_url=...``; refuses credentials in the location."""
        parsed = urllib.parse.urlsplit(location)
        if parsed.scheme != "swift":
            raise InvalidRequest(f"not a swift:// location: {location!r}")
        if "@" in parsed.netloc:
            raise InvalidRequest("credentials do not belong in a Swift location; give them to the destination "
                                 "separately")
        params: dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True):
            if key.lower() in _CREDENTIAL_PARAMS:
                raise InvalidRequest("credentials do not belong in a Swift location; give them to the destination "
                                     "separately")
            params[key] = value
        return cls.from_dict({"container": parsed.netloc, "prefix": parsed.path, **params})

    @classmethod
    def from_dict(cls, config: dict) -> SwiftSettings:
        """Settings from a config dict (the catalog's form): the field names, with ``type`` ignored."""
        known = {item.name for item in dataclasses.fields(cls)}
        values: dict[str, object] = {}
        for key, value in config.items():
            if key in ("type", "scheme"):
                continue
            if key.lower() in _CREDENTIAL_PARAMS:
                raise InvalidRequest(f"Swift settings take no credentials ({key}); give them to the destination "
                                     "separately")
            if key not in known:
                raise InvalidRequest(f"unknown Swift destination setting {key!r}")
            values[key] = _convert(key, value)
        if "container" not in values:
            raise InvalidRequest("a Swift destination needs a container")
        return cls(**values)  # type: ignore[arg-type]


def _convert(name: str, value: object) -> object:
    """A query-string value as the field's type (dict values may already be typed)."""
    if not isinstance(value, str):
        return value
    if name == "verify":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        return value
    if name in ("large_object_threshold", "segment_size", "max_attempts", "timeout"):
        try:
            return float(value) if name == "timeout" else int(value)
        except ValueError:
            raise InvalidRequest(f"Swift setting {name} must be a number, not {value!r}") from None
    if name in ("region", "endpoint"):
        return value or None
    return value
