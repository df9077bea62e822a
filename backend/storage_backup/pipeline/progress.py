# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Progress of a job as the panels show it: Celery task state ``PROGRESS`` with docs/TASKS.md's meta.

``{"percent", "bytes_read", "bytes_stored", "bytes_total", "rate", "eta", "step", "message"}``: ``bytes_read`` is
how far the job has gone through its volumes (holes and unchanged blocks count: they were dealt with),
``bytes_stored`` what reached the repository (backup) or the volumes (restore), ``rate`` bytes per second over the
data phase, ``eta`` seconds left at that rate. Reports are throttled (one a second, plus every change of step) so a
fast volume does not flood Redis.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

Sink = Callable[[dict], None]


class ProgressReporter:
    def __init__(self, sink: Sink | None = None, interval: float = 1.0, clock=time.monotonic) -> None:
        self.sink = sink
        self.interval = interval
        self.clock = clock
        self.total = 0
        self.step_name = "starting"
        self.message = ""
        self._done_before = 0  # bytes of the volumes already finished
        self._stored_before = 0
        self._current = 0
        self._current_stored = 0
        self._data_started: float | None = None
        self._last_emit = 0.0
        self._lock = threading.Lock()
        self.reports = 0

    def set_total(self, total_bytes: int) -> None:
        with self._lock:
            self.total = max(0, int(total_bytes))

    def step(self, name: str, message: str = "") -> None:
        """A new step (snapshot, prepare, attach, read, write, cleanup...): reported at once."""
        with self._lock:
            self.step_name = name
            self.message = message
        self.emit(force=True)

    def volume_callback(self) -> Callable[[int, int, int], None]:
        """For the engine: ``progress(bytes_processed, bytes_stored, bytes_total)`` of the volume in hand."""
        def update(processed: int, stored: int, _total: int) -> None:
            with self._lock:
                if self._data_started is None:
                    self._data_started = self.clock()
                self._current = processed
                self._current_stored = stored
            self.emit()
        return update

    def finish_volume(self, processed: int, stored: int) -> None:
        with self._lock:
            self._done_before += processed
            self._stored_before += stored
            self._current = self._current_stored = 0
        self.emit(force=True)

    def snapshot(self) -> dict:
        with self._lock:
            done = self._done_before + self._current
            stored = self._stored_before + self._current_stored
            total = self.total
            elapsed = (self.clock() - self._data_started) if self._data_started is not None else 0.0
            step, message = self.step_name, self.message
        rate = done / elapsed if elapsed > 0.05 else 0.0
        remaining = max(total - done, 0)
        percent = min(100.0, 100.0 * done / total) if total else 0.0
        # Once every byte is through, the steps left (an upload to Glance, creating the server) have no byte count:
        # no time left is known, and "0:00 left" for half a minute would be a lie.
        eta = round(remaining / rate, 1) if rate > 0 and remaining > 0 else None
        return {"percent": round(percent, 1), "bytes_read": done, "bytes_stored": stored, "bytes_total": total,
                "rate": round(rate, 1), "eta": eta, "step": step, "message": message}

    def emit(self, force: bool = False) -> None:
        if self.sink is None:
            return
        now = self.clock()
        with self._lock:
            if not force and now - self._last_emit < self.interval:
                return
            self._last_emit = now
        try:
            self.sink(self.snapshot())
            self.reports += 1
        except Exception:  # a lost progress report must never fail the job
            import logging

            logging.getLogger(__name__).warning("could not report progress", exc_info=True)
