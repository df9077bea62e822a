# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cooperative cancellation (docs/TASKS.md): the control plane sets the Redis key ``storage-backup:cancel:<job id>``.

``CancelToken`` looks the key up at most every ``poll_interval`` seconds, so the engine may ask between every
block. Once seen, it stays set. ``check()`` raises ``JobCancelled`` between steps; the engine is handed the token
itself (it has ``is_set()``, like a ``threading.Event``) and stops at the next block.
"""
from __future__ import annotations

import logging
import threading
import time

from storage_backup.contract import cancel_key

from .errors import JobCancelled

LOG = logging.getLogger(__name__)


class CancelToken:
    def __init__(self, job_id: str, redis_client=None, poll_interval: float = 0.5) -> None:
        self.job_id = job_id
        self.redis = redis_client
        self.poll_interval = poll_interval
        self.reason = ""
        self._event = threading.Event()
        self._last_poll = 0.0
        self._lock = threading.Lock()

    def set(self, reason: str = "cancelled") -> None:
        """Cancel from inside the worker (e.g. the task's soft time limit)."""
        self.reason = self.reason or reason
        self._event.set()

    def is_set(self) -> bool:
        if self._event.is_set():
            return True
        if self.redis is None:
            return False
        now = time.monotonic()
        with self._lock:
            if now - self._last_poll < self.poll_interval:
                return False
            self._last_poll = now
        try:
            if self.redis.exists(cancel_key(self.job_id)):
                self.set("cancel requested")
        except Exception as error:  # Redis away for a moment: go on, look again at the next poll
            LOG.warning("cannot read the cancel key of job %s: %s", self.job_id, error)
        return self._event.is_set()

    def check(self, where: str = "") -> None:
        if self.is_set():
            raise JobCancelled(f"Job {self.job_id} was cancelled" + (f" {where}" if where else ""))

    __call__ = check  # the cloud layer's waits call ``cancel()`` before each poll
