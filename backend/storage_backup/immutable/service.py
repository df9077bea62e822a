# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the immutable helper decides: lock, unlock (only after the recorded date), status.

The record of lock dates is the helper's own (a JSON file only root writes, next to nothing the workers can
reach), never the repository's documents, which a worker writes: a worker asking to unlock early is refused
whatever the repository says. A lock can be extended, never shortened. Only regular files below the configured
roots are touched, so a worker cannot have a system file locked.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import stat
import threading
from collections.abc import Callable

from .flags import ImmutableUnsupported, is_immutable, set_immutable


class Refused(Exception):
    """A request the helper will not carry out; ``code`` says why (``invalid``, ``unsupported``, ``locked``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def parse_until(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Refused("invalid", f"lock date {value!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ImmutableService:
    def __init__(self, roots: list[str], state_file: str,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        if not roots:
            raise ValueError("the immutable helper needs at least one root directory")
        self.roots = [os.path.realpath(root) for root in roots]
        self.state_file = state_file
        self.clock = clock
        self._lock = threading.Lock()
        self._until: dict[str, str] = self._load()

    # -- the record ---------------------------------------------------------------------------------------------------

    def _load(self) -> dict[str, str]:
        try:
            with open(self.state_file) as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return {}
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.get("locks", {}).values()):
            raise ValueError(f"{self.state_file} is not the immutable helper's record")
        return dict(data.get("locks", {}))

    def _save(self) -> None:
        """Atomically and durably: a lock recorded is a lock kept across a crash of the helper."""
        directory = os.path.dirname(os.path.abspath(self.state_file))
        os.makedirs(directory, mode=0o700, exist_ok=True)
        temporary = f"{self.state_file}.tmp"
        with open(temporary, "w") as handle:
            json.dump({"version": 1, "locks": self._until}, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.state_file)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- paths --------------------------------------------------------------------------------------------------------

    def _resolve(self, path: str) -> str:
        if not isinstance(path, str) or not os.path.isabs(path):
            raise Refused("invalid", f"{path!r} is not an absolute path")
        # The directory is resolved, the file itself must not be a symlink (flags.py opens it O_NOFOLLOW).
        real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        if not any(real.startswith(root + os.sep) for root in self.roots):
            raise Refused("invalid", f"{path} is not below a root this helper serves ({', '.join(self.roots)})")
        try:
            mode = os.lstat(real).st_mode
        except FileNotFoundError:
            raise Refused("invalid", f"{path} does not exist") from None
        if not stat.S_ISREG(mode):
            raise Refused("invalid", f"{path} is not a regular file")
        return real

    # -- requests -----------------------------------------------------------------------------------------------------

    def lock(self, paths: list[str], until: str) -> dict:
        """Record ``until`` (or keep a later recorded date) for every path, then set the flag. All or nothing on
        the checks; a path whose filesystem has no attribute refuses the whole request (``unsupported``)."""
        moment = parse_until(until)
        if moment <= self.clock():
            raise Refused("invalid", f"lock date {until} is not in the future")
        resolved = [self._resolve(path) for path in paths]
        with self._lock:
            before = dict(self._until)
            for path in resolved:
                recorded = self._until.get(path)
                if recorded is None or parse_until(recorded) < moment:
                    self._until[path] = iso(moment)
            self._save()  # recorded before the flag: a crash in between leaves a record, never a bare flag
            for number, path in enumerate(resolved):
                try:
                    set_immutable(path, True)
                except ImmutableUnsupported as error:
                    for undo in resolved[:number]:
                        if undo not in before:
                            set_immutable(undo, False)
                    self._until = before
                    self._save()
                    raise Refused("unsupported", str(error)) from None
            return {"locked": len(resolved), "until": {path: self._until[path] for path in resolved}}

    def unlock(self, paths: list[str]) -> dict:
        """Clear the flag of every path whose recorded date has passed; refuse the others (reported per path)."""
        now = self.clock()
        unlocked, refused = [], []
        with self._lock:
            for path in paths:
                try:
                    real = self._resolve(path)
                except Refused as error:
                    refused.append({"path": path, "reason": str(error)})
                    continue
                recorded = self._until.get(real)
                if recorded is not None and parse_until(recorded) > now:
                    refused.append({"path": path, "until": recorded,
                                    "reason": f"{path} is locked until {recorded}"})
                    continue
                if recorded is None and is_immutable(real):
                    # Not this helper's lock (an operator's chattr): not this helper's to lift.
                    refused.append({"path": path, "reason": f"{path} is immutable but no lock of this helper "
                                                            "covers it"})
                    continue
                set_immutable(real, False)
                self._until.pop(real, None)
                unlocked.append(path)
            self._save()
        return {"unlocked": unlocked, "refused": refused}

    def status(self, paths: list[str]) -> dict:
        found = {}
        for path in paths:
            real = self._resolve(path)
            found[path] = {"immutable": is_immutable(real), "until": self._until.get(real)}
        return {"paths": found}

    def forget_missing(self) -> int:
        """Drop records of files that no longer exist (pruned after expiry); returns how many."""
        with self._lock:
            gone = [path for path in self._until if not os.path.lexists(path)]
            for path in gone:
                del self._until[path]
            if gone:
                self._save()
            return len(gone)

    def handle(self, request: dict) -> dict:
        """One request of the socket protocol (``client.py``): ``{"op": ..., ...}`` -> ``{"ok": ..., ...}``."""
        if not isinstance(request, dict):
            raise Refused("invalid", "a request is a JSON object")
        op = request.get("op")
        paths = request.get("paths", [])
        if not isinstance(paths, list):
            raise Refused("invalid", "paths must be a list")
        if op == "lock":
            return self.lock(paths, request.get("until", ""))
        if op == "unlock":
            return self.unlock(paths)
        if op == "status":
            return self.status(paths)
        if op == "ping":
            return {"roots": self.roots}
        raise Refused("invalid", f"unknown operation {op!r} (lock, unlock, status, ping)")
