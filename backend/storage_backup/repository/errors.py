# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Errors of the repository engine.

Every error a user can cause or fix carries a message that says what to do; callers (the CLI, Celery tasks) show
``str(error)`` as it is. ``RepositoryError`` is the base class the CLI turns into exit code 2 without a traceback.
"""
from __future__ import annotations


class RepositoryError(Exception):
    """Base class: something about the repository or the request is wrong, and the message says what."""


class RepositoryNotFound(RepositoryError):
    pass


class RepositoryExists(RepositoryError):
    pass


class UnsupportedFormat(RepositoryError):
    """An object (or the whole repository) was written by a newer or unknown format version: refused, not misread."""


class WrongPassword(RepositoryError):
    """The password or key file does not open this repository."""


class PasswordRequired(WrongPassword):
    """The repository is encrypted and no password was given."""


class DestinationUnavailable(RepositoryError):
    """The destination did not answer (refused, reset, timed out, or kept failing with 5xx) after its retries; the
    message names the destination (its location, never a credential). Nothing is half-written: run again later."""


class ObjectNotFound(RepositoryError):
    """A destination object does not exist."""

    def __init__(self, name: str) -> None:
        super().__init__(f"object {name} does not exist in the destination")
        self.name = name


class CorruptObject(RepositoryError):
    """An object could not be decoded: truncated, altered, or not what its name says."""


class ChunkError(RepositoryError):
    """A chunk a restore or check needs is missing or corrupt; names the chunk, its pack and where it is used."""

    def __init__(self, problem: str, chunk_id: bytes, pack: str | None = None, volume: str | None = None,
                 offset: int | None = None, restore_point: str | None = None) -> None:
        self.problem = problem
        self.chunk_id = chunk_id
        self.pack = pack
        self.volume = volume
        self.offset = offset
        self.restore_point = restore_point
        where = []
        if restore_point:
            where.append(f"restore point {restore_point}")
        if volume is not None:
            where.append(f"volume {volume!r}")
        if offset is not None:
            where.append(f"offset {offset}")
        text = f"chunk {chunk_id.hex()} {problem}"
        if pack:
            text += f" (pack {pack})"
        if where:
            text += f", needed by {', '.join(where)}"
        super().__init__(text + "; run 'storage-backup repo check --read-data' to list every damaged chunk")


class ChunkMissing(ChunkError):
    pass


class ChunkCorrupt(ChunkError):
    pass


class RestorePointNotFound(RepositoryError):
    pass


class VolumeNotFound(RepositoryError):
    pass


class RetentionLocked(RepositoryError):
    """A restore point under a retention lock cannot be deleted before its ``lock_until``."""


class RepositoryLocked(RepositoryError):
    """Another process holds a lock that conflicts with this operation (e.g. prune while backups run)."""


class BackupCancelled(RepositoryError):
    pass


class InvalidRequest(RepositoryError):
    """The caller asked for something impossible (bad size, block size mismatch, target too small, ...)."""
