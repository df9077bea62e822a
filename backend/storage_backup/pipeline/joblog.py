# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The job log a task returns (docs/TASKS.md ``log``: ``[{"at", "step", "message"}]``), mirrored to Python logging
and, entry by entry, to a ``sink`` (the worker's: the Redis list the control plane reads while the job runs, so the
log survives a failure, whose only other trace is the exception's class and message)."""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

LOG = logging.getLogger("storage_backup.pipeline")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


class JobLog:
    def __init__(self, job_id: str, logger: logging.Logger | None = None,
                 sink: Callable[[dict], None] | None = None) -> None:
        self.job_id = job_id
        self.entries: list[dict] = []
        self.warnings: list[str] = []
        self._logger = logger or LOG
        self._sink = sink
        self._lock = threading.Lock()

    def _publish(self, entry: dict) -> None:
        if self._sink is None:
            return
        try:
            self._sink(entry)
        except Exception:  # the log also travels in the result; a lost copy must never fail the job
            self._logger.warning("job %s: could not publish a log entry", self.job_id, exc_info=True)

    def add(self, step: str, message: str, level: int = logging.INFO) -> dict:
        entry = {"at": now_iso(), "step": step, "message": message}
        if level >= logging.WARNING:
            entry["level"] = "warning" if level < logging.ERROR else "error"
        with self._lock:
            self.entries.append(entry)
        self._logger.log(level, "job %s [%s] %s", self.job_id, step, message)
        self._publish(entry)
        return entry

    def warning(self, step: str, message: str) -> dict:
        with self._lock:
            self.warnings.append(message)
        return self.add(step, message, logging.WARNING)

    def append_entry(self, entry: dict) -> None:
        """Take an entry made elsewhere (the guest command runner's ``log`` callback)."""
        entry = dict(entry)
        with self._lock:
            self.entries.append(entry)
        self._logger.info("job %s [%s] %s", self.job_id, entry.get("step"), entry.get("message"))
        self._publish(entry)

    def as_list(self) -> list[dict]:
        with self._lock:
            return [dict(entry) for entry in self.entries]
