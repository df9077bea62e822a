# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Destinations (repositories): created by admins, shared with every project or private to one."""
from __future__ import annotations

import os

from django.conf import settings as django_settings
from django.db.models import Q

from storage_backup.catalog.models import DEFAULT_MAX_LOCK_DAYS, MAX_LOCK_DAYS_LIMIT, Destination
from storage_backup.policies import destinations as rules
from storage_backup.services import lock_maintenance
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize, listing
from storage_backup.services.errors import NotFound, ValidationFailed

TYPES = ("filesystem", "nfs", "s3", "swift")
#: Object storage: ``path`` is a location URL and the keys are in ``credentials`` (sealed, never shown).
OBJECT_STORE_TYPES = ("s3", "swift")
#: ``project`` (default): no deduplication across projects, which would tell a project what another backed up;
#: ``cloud``: deduplication across every project of the destination, an administrator's informed choice (README).
DEDUP_SCOPES = ("project", "cloud")


#: What an S3 destination's ``credentials`` may hold.
S3_CREDENTIAL_KEYS = ("access_key", "secret_key", "session_token")


def check_hardened(destination_type: str) -> None:
    """Hardened mode needs the immutable attribute, which NFS does not have: refuse it there, plainly; an object
    store has no files to make immutable (its WORM is the store's own: S3 Object Lock)."""
    if destination_type == "s3":
        raise ValidationFailed("hardened", "an S3 destination has no files to make immutable: its WORM is S3 Object "
                                           "Lock (lock=COMPLIANCE or GOVERNANCE and lock_days in its location)")
    if destination_type in OBJECT_STORE_TYPES:
        raise ValidationFailed("hardened", f"a {destination_type} destination has no files to make immutable")
    if destination_type == "nfs":
        raise ValidationFailed("hardened", "NFS has no immutable attribute (chattr +i is refused over NFS): a "
                                           "hardened destination must be a local filesystem of the workers "
                                           "(ext4, XFS, Btrfs); for WORM on NFS, lock on the NFS server itself")


def visible(caller: Caller):
    queryset = Destination.objects.all()
    if caller.sees_all():
        return queryset
    return queryset.filter(Q(project_id="") | Q(project_id=caller.project_id))


def list_destinations(caller: Caller):
    return visible(listing(caller, rules.LIST_AVAILABLE, rules.LIST))


def policy_target(caller: Caller, destination: Destination) -> dict:
    """A destination shared with every project belongs to none: it is offered to the caller's project too."""
    return {"project_id": destination.project_id or caller.project_id}


def get_destination(caller: Caller, destination_id: str) -> Destination:
    destination = visible(caller.with_all_projects(True) if caller.is_admin else caller).filter(
        id=destination_id).first()
    if destination is None:
        raise NotFound(f"Destination {destination_id} could not be found.")
    authorize(caller, rules.GET, policy_target(caller, destination))
    return destination


def check_max_lock_days(days) -> int:
    """A valid ``max_lock_days`` (1 day to 1000 years), or 400 naming the field."""
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_LOCK_DAYS_LIMIT:
        raise ValidationFailed("max_lock_days", f"must be a whole number of days from 1 to {MAX_LOCK_DAYS_LIMIT}")
    return days


def create_destination(caller: Caller, data: dict) -> Destination:
    with audited(caller, "destination.create", "destination") as target:
        authorize(caller, rules.CREATE, {"project_id": data.get("project_id") or caller.project_id})
        if data.get("type", "filesystem") not in TYPES:
            raise ValidationFailed("type", f"must be one of: {', '.join(TYPES)}")
        destination_type = data.get("type", "filesystem")
        vault = bool(data.get("vault"))
        if vault:
            path, credentials = check_vault_location(destination_type, data.get("path") or "", data)
        else:
            path, credentials = check_location(destination_type, data.get("path") or "", data.get("credentials"))
        check_not_taken(destination_type, path)
        if data.get("encrypted") and not data.get("repository_secret"):
            raise ValidationFailed("repository_secret", "is required for an encrypted destination")
        dedup_scope = data.get("dedup_scope") or "project"
        if dedup_scope not in DEDUP_SCOPES:
            raise ValidationFailed("dedup_scope", f"must be one of: {', '.join(DEDUP_SCOPES)}")
        hardened = bool(data.get("hardened"))
        if hardened:
            check_hardened(destination_type)
        max_lock_days = DEFAULT_MAX_LOCK_DAYS
        if data.get("max_lock_days") is not None:
            max_lock_days = check_max_lock_days(data["max_lock_days"])
        if (data.get("retention_lock_min_days") or 0) > max_lock_days:
            raise ValidationFailed("retention_lock_min_days", f"cannot exceed max_lock_days ({max_lock_days})")
        check_object_lock_days(destination_type, path, max_lock_days)
        destination = Destination.objects.create(
            name=data["name"], type=destination_type, path=path, credentials=credentials,
            encrypted=bool(data.get("encrypted")), repository_secret=data.get("repository_secret") or "",
            project_id=data.get("project_id") or "",
            retention_lock_min_days=data.get("retention_lock_min_days") or 0, dedup_scope=dedup_scope,
            hardened=hardened, max_lock_days=max_lock_days, vault=vault)
        target.id = destination.id
        target.project_id = destination.project_id
        return destination


def check_vault_location(destination_type: str, path: str, data: dict) -> tuple[str, None]:
    """A vault's location, for display only: the catalog never holds a vault's credentials (its vault worker's
    config does), nor a repository secret (its copies share their primary's)."""
    if data.get("credentials"):
        raise ValidationFailed("credentials", "a vault's credentials stay with its vault worker (its config file); "
                                              "the catalog never holds them")
    if data.get("encrypted") or data.get("repository_secret") or data.get("hardened"):
        raise ValidationFailed("vault", "a vault copies its primaries' repositories as they are: it takes no "
                                        "encryption, repository secret or hardening of its own")
    if destination_type == "s3":
        return s3_settings(path).location, None
    if destination_type not in ("filesystem", "nfs"):
        raise ValidationFailed("type", f"a vault on {destination_type} is not offered yet")
    return check_location(destination_type, path, None)


def check_location(destination_type: str, path: str, credentials) -> tuple[str, dict | None]:
    """The location to store (a normalised directory, or an object store's location URL) and the credentials
    (object storage only); 400 naming the field otherwise. No message repeats what was given: a mistyped location
    may carry a key."""
    if destination_type not in OBJECT_STORE_TYPES:
        if credentials:
            raise ValidationFailed("credentials", f"a {destination_type} destination takes no credentials")
        if not os.path.isabs(path):
            raise ValidationFailed("path", "must be an absolute path on the proxies (a local or NFS directory)")
        path = os.path.normpath(path)
        check_directory(path)
        return path, None
    if destination_type == "s3":
        settings = s3_settings(path)
        lock_maintenance.check_lock_days(settings)  # lock_days outlasts the maintenance interval with a margin
        return settings.location, check_credentials(destination_type, credentials)
    return swift_location(path), check_credentials(destination_type, credentials)


def check_directory(path: str) -> None:
    """Where this host sees the data workers' filesystem (``CONTROL["destination_root"]``), the path must be an
    existing directory there: a mistyped path would otherwise be accepted and only fail at the first backup."""
    root = django_settings.CONTROL.get("destination_root") or ""
    if not root:
        return
    seen = os.path.join(root, path.lstrip("/"))
    if os.path.isdir(seen):
        return
    if os.path.exists(seen):
        raise ValidationFailed("path", f"{path} is a file, not a directory; give the directory the repository "
                                       "goes in")
    raise ValidationFailed("path", f"{path} does not exist on the data workers; create the directory (or mount the "
                                   "share there) first")


def check_not_taken(destination_type: str, path: str) -> None:
    """No two destinations share a repository: the same directory, one inside another's, or the same object
    store location (bucket and prefix at one endpoint) is refused, naming the destination that has it."""
    for other in Destination.objects.all().only("name", "type", "path"):
        if _same_repository(destination_type, path, other.type, other.path):
            raise ValidationFailed("path", f"destination {other.name} already uses {other.path}; a destination "
                                           "needs a location of its own")
        if destination_type not in OBJECT_STORE_TYPES and other.type not in OBJECT_STORE_TYPES:
            if _inside(path, other.path):
                raise ValidationFailed("path", f"{path} lies inside {other.path}, the location of destination "
                                               f"{other.name}; a repository may not hold another")
            if _inside(other.path, path):
                raise ValidationFailed("path", f"{path} holds {other.path}, the location of destination "
                                               f"{other.name}; a repository may not hold another")


def _inside(inner: str, outer: str) -> bool:
    return inner != outer and inner.startswith(outer.rstrip("/") + "/")


def _same_repository(kind: str, path: str, other_kind: str, other_path: str) -> bool:
    if (kind in OBJECT_STORE_TYPES) != (other_kind in OBJECT_STORE_TYPES):
        return False
    if kind not in OBJECT_STORE_TYPES:
        return os.path.normpath(path) == os.path.normpath(other_path or "/")
    if kind != other_kind:
        return False
    return _object_store_key(kind, path) == _object_store_key(other_kind, other_path)


def _object_store_key(kind: str, path: str) -> tuple | None:
    """(endpoint, bucket or container, prefix) of an object store location; None when it does not parse."""
    from storage_backup.repository import InvalidRequest, S3Settings, SwiftSettings

    try:
        if kind == "s3":
            found = S3Settings.from_location(path)
            return (found.endpoint_url or "", found.bucket, (found.prefix or "").strip("/"))
        found = SwiftSettings.from_location(path)
        return (found.auth_url or "", found.container, (found.prefix or "").strip("/"))
    except (InvalidRequest, ValueError, TypeError):
        return None


def s3_settings(path: str):
    """An S3 location's settings (``S3Settings``), or 400 on ``path`` saying what is wrong with it."""
    from storage_backup.repository import InvalidRequest, S3Settings

    try:
        return S3Settings.from_location(path)
    except (InvalidRequest, ValueError, TypeError) as error:
        raise ValidationFailed("path", f"is not a valid S3 location: {error} (the form is s3://BUCKET/PREFIX?"
                                       "endpoint=URL&region=R&path_style=1&lock=COMPLIANCE&lock_days=N)") from None


def check_credentials(destination_type: str, credentials) -> dict:
    """An object store's credentials as the catalog keeps them, or 400 on ``credentials`` (never echoing them)."""
    if not isinstance(credentials, dict) or not credentials:
        raise ValidationFailed("credentials", f"an {destination_type} destination needs its credentials (for S3: "
                                              "access_key and secret_key; for Swift: application_credential_id and "
                                              "application_credential_secret, or username, password and "
                                              "project_name)")
    if destination_type == "swift":
        return _check_swift_credentials(credentials)
    if destination_type != "s3":
        raise ValidationFailed("type", f"{destination_type} destinations are not offered yet")
    extra = set(credentials) - set(S3_CREDENTIAL_KEYS)
    if extra:
        raise ValidationFailed("credentials", f"unknown entries for S3: {', '.join(sorted(extra))} (it takes "
                                              f"{', '.join(S3_CREDENTIAL_KEYS)})")
    for key in ("access_key", "secret_key"):
        value = credentials.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValidationFailed("credentials", f"S3 credentials need a non-empty {key}")
    if any(not isinstance(value, str) for value in credentials.values()):
        raise ValidationFailed("credentials", "every S3 credential entry is a string")
    return {key: value for key, value in credentials.items() if value}


def check_object_lock_days(destination_type: str, path: str, max_lock_days: int, field: str = "path") -> None:
    """An S3 location's Object Lock may not reach further than the destination's ``max_lock_days``: COMPLIANCE
    retention cannot be shortened, so a mistyped lock_days would keep every object for that long."""
    if destination_type != "s3":
        return
    settings = s3_settings(path)
    if settings.lock_mode and settings.lock_days > max_lock_days:
        raise ValidationFailed(field, f"the S3 location's lock_days ({settings.lock_days:g}) exceeds the "
                                      f"destination's max_lock_days ({max_lock_days})")


def swift_location(path: str) -> str:
    """A Swift location as the catalog keeps it, or 400 on ``path``."""
    from storage_backup.repository import InvalidRequest, SwiftSettings

    try:
        return SwiftSettings.from_location(path).location
    except (InvalidRequest, ValueError, TypeError) as error:
        raise ValidationFailed("path", f"is not a Swift location: {error}") from None


def _check_swift_credentials(credentials: dict) -> dict:
    from storage_backup.repository import InvalidRequest, SwiftCredentials

    try:
        SwiftCredentials.from_value(credentials)
    except InvalidRequest as error:
        raise ValidationFailed("credentials", str(error)) from None
    return {key: str(value) for key, value in credentials.items() if value not in (None, "")}


def task_view(destination: Destination) -> dict:
    """The destination as a task message carries it (docs/TASKS.md); ``credentials`` are sealed on the way."""
    view = {"id": destination.id, "type": destination.type, "path": destination.path,
            "encrypted": destination.encrypted, "dedup_scope": destination.dedup_scope,
            "hardened": destination.hardened}
    if destination.type in OBJECT_STORE_TYPES:
        view["credentials"] = destination.credentials
    return view
