# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The vault worker's config file (INI), which alone holds the vault's credentials::

    [api]
    url = https://backup.example.com:8779        # the storage-backup REST API
    vault_id = 6f0c…                             # the vault destination's id in the catalog
    ca_file = /etc/ssl/certs/ca.pem              # optional

    [keystone]                                   # the vault worker's own narrow credential (role backup_vault)
    auth_type = v3applicationcredential          # any keystoneauth plugin; "password" works too
    auth_url = https://keystone.example.com/v3
    application_credential_id = …
    application_credential_secret = …

    [worker]
    key_file = /var/lib/storage-backup/vault.key # its X25519 key (storage-backup proxy-key create --key-file)
    window = 01:00-05:00                         # copies only then (across midnight allowed; empty: always)
    timezone = Europe/Warsaw
    interval = 300                               # seconds between two looks for work
    grant_seconds = 3600                         # how long a restore's read-only grant lives

    [vault]                                      # where the copies go, with credentials nothing else holds
    location = s3://vault-bucket/backups?endpoint=https://vault-rgw:7480&lock=COMPLIANCE&lock_days=30
    access_key = …
    secret_key = …

    [primary:<destination id>]                   # read-only access to a primary (one section per primary)
    location = /mnt/primary-ro                   # optional: a read-only mount, or the S3 location to read
    access_key = …                               # read-only keys of the primary's bucket
    secret_key = …

Nothing on the primary side holds what is in here: the catalog knows the vault's name and location, never its keys.
"""
from __future__ import annotations

import configparser
import datetime as dt
import os
import zoneinfo
from dataclasses import dataclass, field

PRIMARY_PREFIX = "primary:"
SECRET_OPTIONS = ("secret_key", "session_token", "password", "application_credential_secret")


class VaultConfigError(ValueError):
    """The config file is missing something or holds a value that cannot work; says which."""


@dataclass(frozen=True)
class Window:
    """A daily copy window in a time zone; ``start == end`` is never built (empty means always)."""

    start: dt.time | None = None
    end: dt.time | None = None
    timezone: str = "UTC"

    @classmethod
    def parse(cls, text: str, zone: str = "UTC") -> Window:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise VaultConfigError(f"[worker] timezone = {zone!r} is not an IANA time zone such as Europe/Warsaw") \
                from None
        text = (text or "").strip()
        if not text:
            return cls(timezone=zone)
        try:
            start_text, end_text = (part.strip() for part in text.split("-", 1))
            start, end = dt.time.fromisoformat(start_text), dt.time.fromisoformat(end_text)
        except ValueError:
            raise VaultConfigError(f"[worker] window = {text!r}: write it as HH:MM-HH:MM, e.g. 01:00-05:00") from None
        if start == end:
            raise VaultConfigError(f"[worker] window = {text!r}: its start and end must differ (leave it empty to "
                                   "copy at any time)")
        return cls(start, end, zone)

    def contains(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` (aware) falls in the window, in the window's time zone; a window may span midnight."""
        if self.start is None or self.end is None:
            return True
        local = moment.astimezone(zoneinfo.ZoneInfo(self.timezone)).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def describe(self) -> str:
        if self.start is None:
            return "at any time"
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


@dataclass(frozen=True)
class Access:
    """Where a repository is and the keys to reach it (none for a directory)."""

    location: str
    credentials: dict | None = field(default=None, repr=False)


@dataclass(frozen=True)
class VaultConfig:
    api_url: str
    vault_id: str
    keystone: dict = field(repr=False)
    key_file: str
    window: Window
    vault: Access
    primaries: dict[str, dict] = field(default_factory=dict, repr=False)
    interval: float = 300.0
    grant_seconds: int = 3600
    ca_file: str | None = None
    timeout: float = 60.0

    def primary_access(self, primary_id: str, primary_type: str, primary_path: str) -> Access:
        """Read-only access to a primary: its section's location (a read-only mount, or the S3 location) and keys;
        without a section, a directory primary is read where the catalog says it is."""
        section = self.primaries.get(primary_id) or {}
        location = section.get("location") or primary_path
        credentials = {key: section[key] for key in ("access_key", "secret_key", "session_token") if key in section}
        if primary_type in ("s3", "swift") and not credentials and not section.get("location", "").startswith("/"):
            raise VaultConfigError(f"no read-only credentials for primary {primary_id} ({primary_type}): add a "
                                   f"[{PRIMARY_PREFIX}{primary_id}] section with access_key and secret_key")
        return Access(location, credentials or None)


def _required(parser: configparser.ConfigParser, section: str, option: str, path: str) -> str:
    value = parser.get(section, option, fallback="").strip()
    if not value:
        raise VaultConfigError(f"{path}: [{section}] {option} is required")
    return value


def load(path: str) -> VaultConfig:
    """The config at ``path``; ``VaultConfigError`` naming the section and option that is wrong."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as error:
        raise VaultConfigError(f"cannot read the vault worker's config {path}: {error.strerror or error}") from None
    keystone = dict(parser.items("keystone")) if parser.has_section("keystone") else {}
    if not keystone.get("auth_url"):
        raise VaultConfigError(f"{path}: [keystone] auth_url (and the vault worker's credential) is required")
    vault_options = dict(parser.items("vault")) if parser.has_section("vault") else {}
    vault_location = vault_options.pop("location", "").strip()
    if not vault_location:
        raise VaultConfigError(f"{path}: [vault] location is required")
    primaries = {name[len(PRIMARY_PREFIX):]: dict(parser.items(name)) for name in parser.sections()
                 if name.startswith(PRIMARY_PREFIX)}
    worker = parser["worker"] if parser.has_section("worker") else {}
    try:
        interval = float(worker.get("interval", "300"))
        grant_seconds = int(worker.get("grant_seconds", "3600"))
    except ValueError as error:
        raise VaultConfigError(f"{path}: [worker] {error}") from None
    if grant_seconds < 60:
        raise VaultConfigError(f"{path}: [worker] grant_seconds must be at least 60 (a restore must start in it)")
    return VaultConfig(
        api_url=_required(parser, "api", "url", path).rstrip("/"),
        vault_id=_required(parser, "api", "vault_id", path),
        ca_file=parser.get("api", "ca_file", fallback="") or None,
        keystone=keystone,
        key_file=os.path.expanduser(worker.get("key_file", "/var/lib/storage-backup/vault.key")),
        window=Window.parse(worker.get("window", ""), worker.get("timezone", "UTC")),
        vault=Access(vault_location, vault_options or None),
        primaries=primaries, interval=interval, grant_seconds=grant_seconds)
