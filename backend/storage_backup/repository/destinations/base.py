# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The one interface a destination implements: a flat namespace of immutable objects.

Like cinder's ``ChunkedBackupDriver`` split, the repository engine does everything else (chunking, hashing,
compression, encryption, packs, index, documents); a destination only stores bytes under names. Object names use
``/`` as separator (``data/ab/abcdef...``); a destination maps them to paths or keys as it likes.

Rules every implementation must keep (the engine's crash safety rests on them):

* ``put`` and ``ObjectWriter.commit`` are atomic: a reader sees the old object (or none) or the whole new one,
  never a part; once they return, the object is durable (fsync, or the object store's acknowledgement).
* ``put(..., exclusive=True)`` fails with ``FileExistsError`` if the name exists (used for lock objects).
* ``list`` never shows objects that are still being written.
"""
from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int
    mtime: float = 0.0


class ObjectWriter(abc.ABC):
    """A streamed object: nothing is visible under ``name`` until ``commit`` returns."""

    name: str

    def write(self, data) -> None:
        """Append ``data`` at the current end."""
        self.write_at(self.size, data)

    @abc.abstractmethod
    def write_at(self, offset: int, *parts) -> None:
        """Write ``parts`` one after another at ``offset`` (thread-safe: several threads fill one pack at once)."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the object durable and visible under its name (atomic)."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop what was written; never raises."""

    @property
    @abc.abstractmethod
    def size(self) -> int: ...


class Destination(abc.ABC):
    """Where a repository lives. Subclasses implement the abstract methods, nothing else."""

    #: A short, human-readable location for messages (a path, a URL).
    location: str = ""

    @abc.abstractmethod
    def put(self, name: str, data: bytes, exclusive: bool = False) -> None:
        """Store ``data`` under ``name`` atomically and durably (replacing an existing object unless exclusive)."""

    @abc.abstractmethod
    def open_writer(self, name: str, capacity: int | None = None) -> ObjectWriter:
        """A writer for a large object (a pack). ``capacity``, when given, bounds its size: the destination may
        then assemble it in memory and send it in one piece at commit (``O_DIRECT`` file, one object PUT)."""

    @abc.abstractmethod
    def get(self, name: str) -> bytes:
        """The whole object; raises ``ObjectNotFound``."""

    @abc.abstractmethod
    def get_range(self, name: str, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset``; raises ``ObjectNotFound``, or ``CorruptObject`` if the object is shorter."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Complete objects whose names start with ``prefix`` (in no particular order)."""

    @abc.abstractmethod
    def delete(self, name: str) -> None:
        """Remove the object; removing one that does not exist is not an error."""

    @abc.abstractmethod
    def exists(self, name: str) -> bool: ...

    def size(self, name: str) -> int:
        """Size of one object (a generic, slow default: subclasses may do better)."""
        for info in self.list(name):
            if info.name == name:
                return info.size
        from ..errors import ObjectNotFound

        raise ObjectNotFound(name)

    def container_exists(self) -> bool:
        """Whether what holds the objects is there (a directory, a bucket, a container): a missing one is an
        unmounted share or a deleted bucket, which must never look like an empty repository."""
        return True

    def ensure_container(self) -> None:
        """Make what holds the objects, for a first backup. A directory is never made here (a missing one is an
        unmounted share); object stores make their bucket or container."""
        return None

    def cleanup_incomplete(self, older_than: float = 3600.0) -> int:
        """Remove leftovers of writes that never committed (temporary files, unfinished multipart uploads) older
        than ``older_than`` seconds; returns how many. Called by prune under the exclusive lock."""
        return 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"
