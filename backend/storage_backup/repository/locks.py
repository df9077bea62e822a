# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Repository locks, restic style: lock objects under ``locks/``, never a shared mutable file.

Backups, restores and checks take a *shared* lock; prune takes an *exclusive* one. Each side writes its own lock
object first and looks for conflicting ones second, so of two racing processes at least one sees the other and
backs off. A live lock is refreshed every 5 minutes; a lock not refreshed for 30 minutes, or held by a process of
this host that no longer exists (a ``kill -9``), is stale and ignored (and removed when it is ours to judge).
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid

from .destinations import Destination
from .errors import ObjectNotFound, RepositoryLocked
from .format import LOCKS_PREFIX

STALE_AFTER = 30 * 60.0
REFRESH_EVERY = 5 * 60.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LockInfo:
    def __init__(self, name: str, data: dict | None, mtime: float) -> None:
        self.name = name
        self.data = data or {}
        self.mtime = mtime

    @property
    def exclusive(self) -> bool:
        # A lock still being written (unreadable) counts as exclusive: the safe assumption.
        return bool(self.data.get("exclusive", True))

    def stale(self, now: float | None = None) -> bool:
        now = now or time.time()
        refreshed = float(self.data.get("refreshed", self.mtime) or self.mtime)
        if now - max(refreshed, self.mtime) > STALE_AFTER:
            return True
        if self.data.get("host") == socket.gethostname() and isinstance(self.data.get("pid"), int):
            return not _pid_alive(self.data["pid"])
        return False

    def describe(self) -> str:
        kind = "exclusive" if self.exclusive else "shared"
        return (f"{kind} lock {self.name} ({self.data.get('purpose', '?')} by pid {self.data.get('pid', '?')} on "
                f"{self.data.get('host', '?')} since {self.data.get('created', '?')})")


def list_locks(destination: Destination) -> list[LockInfo]:
    locks = []
    for info in destination.list(LOCKS_PREFIX):
        try:
            data = json.loads(destination.get(info.name))
        except (ObjectNotFound, ValueError):
            data = None
        locks.append(LockInfo(info.name, data if isinstance(data, dict) else None, info.mtime))
    return locks


class RepositoryLock:
    """A held lock; ``release()`` it (or use ``with``). Thread-safe to release twice."""

    def __init__(self, destination: Destination, exclusive: bool, purpose: str) -> None:
        self._destination = destination
        self.exclusive = exclusive
        self.purpose = purpose
        self.name = f"{LOCKS_PREFIX}{uuid.uuid4().hex}"
        self._created = time.time()
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None
        self._released = False

    def _document(self) -> bytes:
        return json.dumps({
            "version": 1, "exclusive": self.exclusive, "purpose": self.purpose, "host": socket.gethostname(),
            "pid": os.getpid(), "created": self._created, "refreshed": time.time(),
        }).encode()

    def _conflicts(self) -> list[LockInfo]:
        found = []
        for lock in list_locks(self._destination):
            if lock.name == self.name:
                continue
            if not (self.exclusive or lock.exclusive):
                continue
            if lock.stale():
                if lock.data.get("host") == socket.gethostname():
                    self._destination.delete(lock.name)  # a dead process of ours: clean it up
                continue
            found.append(lock)
        return found

    def acquire(self) -> RepositoryLock:
        conflicts = self._conflicts()
        if not conflicts:
            # An atomic put, not an exclusive one: the name is a fresh UUID, and a concurrent reader must never see
            # the lock half-written (it would count as exclusive and refuse a backup for nothing).
            self._destination.put(self.name, self._document())
            conflicts = self._conflicts()
            if conflicts:
                self._destination.delete(self.name)
        if conflicts:
            what = "prune" if self.exclusive else self.purpose
            raise RepositoryLocked(f"cannot {what} now: the repository is locked by "
                                   + "; ".join(lock.describe() for lock in conflicts[:3])
                                   + ". Wait for it to finish, or remove the lock object if that process is gone")
        self._refresher = threading.Thread(target=self._refresh_loop, name="lock-refresh", daemon=True)
        self._refresher.start()
        return self

    def _refresh_loop(self) -> None:
        while not self._stop.wait(REFRESH_EVERY):
            try:
                self._destination.put(self.name, self._document())
            except Exception:  # a missed refresh is retried; staleness takes 30 minutes
                pass

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._stop.set()
        if self._refresher is not None and self._refresher is not threading.current_thread():
            self._refresher.join(timeout=5)
        self._destination.delete(self.name)

    def __enter__(self) -> RepositoryLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
