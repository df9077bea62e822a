# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Reading a repository back from an S3 bucket's versions, after a hostile mass delete or overwrite.

With Object Lock an attacker holding the destination's own credentials can still hide every object behind a delete
marker, or put garbage over it as a new version; the locked versions stay. ``S3VersionsView`` is a destination that
shows, for each name, the newest version that is not a delete marker (optionally: written no later than ``as_of``,
to skip versions an attacker put over the good ones), so ``Repository.open(S3VersionsView(destination))`` lists,
restores and verifies as before the attack. It writes nothing but the repository's own lock objects (``locks/``,
which restores take); everything else is refused.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..errors import ObjectNotFound
from ..format import LOCKS_PREFIX, RESTORE_POINTS_PREFIX
from .base import Destination, ObjectInfo, ObjectWriter
from .s3 import ObjectVersion, S3Destination


class S3VersionsView(Destination):
    """A read-only view of ``destination`` made of the newest surviving version of each object."""

    def __init__(self, destination: S3Destination, as_of: dt.datetime | float | None = None,
                 oldest: bool = False) -> None:
        """``oldest``: the first version written of each object rather than the newest. Every object of the format
        but ``locks/`` and the restore-point documents is written once under its name, never replaced, so a later
        version is someone's overwrite and the first one is the repository's own (exclusive creation already lets
        the older write win); a document's first version holds the same data as its later ones (a lock date or a
        repair note is what changes)."""
        self.destination = destination
        self.location = f"{destination.location} (versions"\
                        + (f" as of {as_of}" if as_of is not None else "") + (", first written" if oldest else "")\
                        + ")"
        cutoff = as_of.timestamp() if isinstance(as_of, dt.datetime) else as_of
        chosen: dict[str, ObjectVersion] = {}
        marked: set[str] = set()
        written: dict[str, int] = {}
        for version in destination.versions():
            if version.delete_marker and version.latest:
                marked.add(version.name)
            if version.delete_marker or version.name.startswith(LOCKS_PREFIX):
                continue
            written[version.name] = written.get(version.name, 0) + 1
            if cutoff is not None and version.mtime > cutoff:
                continue
            best = chosen.get(version.name)
            # A listing gives an object's versions newest first, and LastModified has one-second steps: in oldest
            # mode, of two versions of the same second the one listed later is the older.
            if best is None or (version.mtime <= best.mtime if oldest else version.mtime > best.mtime):
                chosen[version.name] = version
        self._chosen = chosen
        #: Names whose current state is a delete marker but that have a surviving version (what this view brings
        #: back), and those of them read so far (for the job's log).
        self.hidden = frozenset(marked & set(chosen))
        #: Names written more than once (overwritten: in oldest mode this view reads their first version).
        self.replaced = frozenset(name for name, count in written.items()
                                  if count > 1 and not name.startswith(RESTORE_POINTS_PREFIX))
        self.read_hidden: set[str] = set()

    def tampered(self, names) -> list[str]:
        """Of ``names``, those hidden behind a delete marker, overwritten, or with no surviving version at all."""
        wanted = set(names)
        return sorted((wanted & (self.hidden | self.replaced)) | (wanted - set(self._chosen)))

    def _version(self, name: str) -> ObjectVersion:
        try:
            version = self._chosen[name]
        except KeyError:
            raise ObjectNotFound(name) from None
        if name in self.hidden:
            self.read_hidden.add(name)
        return version

    def _refuse(self, name: str) -> PermissionError:
        return PermissionError(f"{self.location} is read-only (recovery): cannot write {name}")

    def put(self, name: str, data: bytes, exclusive: bool = False) -> None:
        if not name.startswith(LOCKS_PREFIX):
            raise self._refuse(name)
        self.destination.put(name, data, exclusive)

    def open_writer(self, name: str, capacity: int | None = None) -> ObjectWriter:
        raise self._refuse(name)

    def get(self, name: str) -> bytes:
        if name.startswith(LOCKS_PREFIX):
            return self.destination.get(name)
        return self.destination.get_version(name, self._version(name).version_id)

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        return self.destination.get_version_range(name, self._version(name).version_id, offset, length)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        if prefix.startswith(LOCKS_PREFIX) or LOCKS_PREFIX.startswith(prefix):
            yield from self.destination.list(LOCKS_PREFIX if LOCKS_PREFIX.startswith(prefix) else prefix)
        for name, version in sorted(self._chosen.items()):
            if name.startswith(prefix):
                yield ObjectInfo(name, version.size, version.mtime)

    def delete(self, name: str) -> None:
        if not name.startswith(LOCKS_PREFIX):
            raise self._refuse(name)
        self.destination.delete(name)

    def exists(self, name: str) -> bool:
        if name.startswith(LOCKS_PREFIX):
            return self.destination.exists(name)
        return name in self._chosen

    def size(self, name: str) -> int:
        return self._version(name).size
