# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The workers' side of the immutable helper's socket: lock, unlock, status (``daemon.py`` serves them)."""
from __future__ import annotations

import json
import socket

from storage_backup.repository import RepositoryError


class ImmutableHelperError(RepositoryError):
    """The helper could not be asked, or refused (``code``: ``invalid``, ``unsupported``, ``locked``, ...)."""

    def __init__(self, message: str, code: str = "unavailable") -> None:
        super().__init__(message)
        self.code = code


class ImmutableClient:
    def __init__(self, socket_path: str, timeout: float = 30.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def _ask(self, request: dict) -> dict:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(self.timeout)
                connection.connect(self.socket_path)
                connection.sendall(json.dumps(request).encode() + b"\n")
                with connection.makefile("rb") as answers:
                    line = answers.readline()
        except OSError as error:
            raise ImmutableHelperError(f"the immutable helper at {self.socket_path} cannot be reached "
                                       f"({error.strerror or error}); is storage-backup-immutable running?") from None
        if not line:
            raise ImmutableHelperError(f"the immutable helper at {self.socket_path} closed the connection")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise ImmutableHelperError(answer.get("error", "refused"), answer.get("code", "refused"))
        return answer

    def lock(self, paths: list[str], until: str) -> dict:
        """Make ``paths`` immutable until ``until`` (a later recorded date stays)."""
        return self._ask({"op": "lock", "paths": list(paths), "until": until})

    def unlock(self, paths: list[str]) -> tuple[list[str], list[dict]]:
        """``(unlocked, refused)``: the helper clears only what its record says has expired."""
        answer = self._ask({"op": "unlock", "paths": list(paths)})
        return answer["unlocked"], answer["refused"]

    def status(self, paths: list[str]) -> dict:
        return self._ask({"op": "status", "paths": list(paths)})["paths"]

    def ping(self) -> list[str]:
        return self._ask({"op": "ping"})["roots"]
