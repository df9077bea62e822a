# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Where destinations are is the administrators' to know: tenants see a destination's name, never its location.

A shared destination serves every project, so its path (or NFS export) tells a tenant about the cloud's storage and
what else lives there. The destinations API leaves the location out for callers without
``storage_backup:destination:show_location``, and the texts that can carry it — job errors, job logs (a proxy's or a
data worker's words, recorded as they came), job results, audit details — have every destination's location, with
whatever follows it on the path, replaced by ``<destination NAME>`` when such a caller reads them. Redacting when
shown rather than when recorded keeps the whole text for administrators and catches what was recorded before.

An S3 destination's location is a URL (``s3://BUCKET/PREFIX?endpoint=…``), and what the S3 code and boto3 print
names it in other forms: ``s3://BUCKET/PREFIX`` without its query, the endpoint URL (``http://HOST:PORT/BUCKET/KEY``),
the endpoint's host alone (``HOST:PORT``, in connection errors) and "bucket BUCKET"; each of them is replaced too.
"""
from __future__ import annotations

import re
import urllib.parse
from typing import Any

from storage_backup.catalog.models import Destination
from storage_backup.policies import destinations as rules
from storage_backup.services.context import Caller, allowed

# A location ends where a path does: a following name character means another, longer path (``/srv/a`` is not in
# ``/srv/ab``); what follows after a slash (packs, indexes) goes with it.
_TAIL = r"(?:/[^\s'\",;:)\]}]*)?(?![\w.-])"
# A worker names a destination below its own mount root (``STORAGE_BACKUP_REPOSITORY_ROOT``): the path in front,
# joined to the location with no space, goes too, so the worker's layout is not disclosed either.
_HEAD = r"(?:(?<![\w.-])/[^\s'\",;:()\[\]{}<>]*)?"


def sees_locations(caller: Caller) -> bool:
    return allowed(caller, rules.SHOW_LOCATION)


def _object_store_forms(destination_type: str, path: str) -> tuple[list[str], list[str]]:
    """``(locations, words)`` an object store destination appears as in texts: locations take what follows them on
    the path along; words (a host, a bucket phrase) are replaced alone. Nothing for a location that does not
    parse (it was validated when made; an old row must not break every page)."""
    if destination_type == "swift":
        return _swift_forms(path)
    if destination_type != "s3":
        return [path], []
    from storage_backup.repository import InvalidRequest, S3Settings

    try:
        settings = S3Settings.from_location(path)
    except (InvalidRequest, ValueError, TypeError):
        return [path], []
    bare = f"s3://{settings.bucket}" + (f"/{settings.prefix.rstrip('/')}" if settings.prefix else "")
    locations, words = [path, settings.location, bare], [f"bucket {settings.bucket}"]
    if settings.endpoint_url:
        endpoint = urllib.parse.urlsplit(settings.endpoint_url)
        locations.append(settings.endpoint_url.rstrip("/"))
        words.append(endpoint.netloc)
    return locations, words


def _swift_forms(path: str) -> tuple[list[str], list[str]]:
    """As ``_object_store_forms`` for a Swift location: ``swift://CONTAINER/PREFIX``, the Keystone and Swift
    endpoints (URL and host) and "container NAME"."""
    from storage_backup.repository import InvalidRequest, SwiftSettings

    try:
        settings = SwiftSettings.from_location(path)
    except (InvalidRequest, ValueError, TypeError):
        return [path], []
    prefix = settings.prefix.strip("/")
    locations = [path, settings.location, f"swift://{settings.container}" + (f"/{prefix}" if prefix else "")]
    words = [f"container {settings.container}"]
    for url in (settings.auth_url, settings.endpoint):
        if url:
            locations.append(url.rstrip("/"))
            words.append(urllib.parse.urlsplit(url).netloc)
    return locations, words


class Redactor:
    """Replaces destinations' locations in texts (loaded once, at first use: a page of jobs costs one query)."""

    def __init__(self, active: bool = True) -> None:
        self.active = active
        self._patterns: list[tuple[re.Pattern, str]] | None = None
        self._slashless = False  # some form has no "/" (a host, a bucket phrase): every text must be looked at

    def _load(self) -> list[tuple[re.Pattern, str]]:
        if self._patterns is None:
            found: list[tuple[str, str, bool]] = []  # (text, destination name, is a location)
            for name, destination_type, path in Destination.objects.values_list("name", "type", "path"):
                locations, words = _object_store_forms(destination_type, path or "")
                for location in locations:
                    location = location.rstrip("/")
                    if len(location) > 1:  # "/" alone is everywhere and says nothing
                        found.append((location, name, True))
                found += [(word, name, False) for word in words if word]
            found.sort(key=lambda item: -len(item[0]))  # the longest first: a nested location wins
            self._patterns = [(re.compile(_HEAD + re.escape(text) + _TAIL if is_location
                                          else r"(?<![\w.-])" + re.escape(text) + r"(?![\w-])"),
                               f"<destination {name}>") for text, name, is_location in found]
            self._slashless = any(not is_location or "/" not in text for text, _name, is_location in found)
        return self._patterns

    def text(self, value: str) -> str:
        if not self.active or not value:
            return value
        patterns = self._load()
        if "/" not in value and not self._slashless:
            return value
        for pattern, replacement in patterns:
            value = pattern.sub(replacement, value)
        return value

    def value(self, value: Any) -> Any:
        """A JSON value with every string in it redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value


def redactor_for(caller: Caller | None) -> Redactor:
    """What ``caller`` reads: everything for those who may see locations; redacted for anyone else (and for no
    caller at all: when nobody said who reads, nothing is disclosed)."""
    return Redactor(active=caller is None or not sees_locations(caller))
