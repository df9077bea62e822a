# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The embedded cloud's state: every resource as a plain dict, persisted under the state dir.

One process holds the whole cloud, so one re-entrant lock guards all of it. Every mutation marks the state
dirty and the HTTP layer (or the transition scheduler) saves it afterwards with write-fsync-rename, so a
restart of the sandbox finds exactly what clients last saw.

Asynchronous status transitions (``creating`` -> ``available`` and friends) are *named* deferred calls kept in
the state itself, so a transition that was pending when the process stopped is replayed at the next start.
"""
from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from storage_backup_sandbox.blockdev import BlockStore, open_block_store

LOG = logging.getLogger(__name__)

STATE_FILE = "state.json"
FORMAT_VERSION = 1

# Collections of resources. A service may add its own with ``State.table``; listing them here keeps the
# state file readable and documents what the cloud holds.
KINDS = (
    # keystone
    "domains", "projects", "users", "roles", "role_assignments", "tokens", "services", "endpoints",
    "application_credentials",
    # nova
    "servers", "flavors", "keypairs", "instance_actions",
    # cinder
    "volumes", "snapshots", "volume_types", "attachments", "groups", "group_types", "group_snapshots",
    "transfers", "quota_sets",
    # glance
    "images", "image_members",
    # neutron
    "networks", "subnets", "ports", "security_groups", "security_group_rules", "floatingips", "routers",
    # sandbox
    "faults",
)

Transition = Callable[..., None]
_TRANSITIONS: dict[str, Transition] = {}


def transition(name: str) -> Callable[[Transition], Transition]:
    """Register a function that ``State.later`` can defer by name (so it survives a restart)."""

    def register(fn: Transition) -> Transition:
        _TRANSITIONS[name] = fn
        return fn

    return register


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow_iso(ts: float | None = None, micro: bool = True) -> str:
    ts = time.time() if ts is None else ts
    fmt = "%Y-%m-%dT%H:%M:%S"
    text = time.strftime(fmt, time.gmtime(ts))
    if micro:
        text += f".{int((ts % 1) * 1_000_000):06d}"
    return text


class State:
    """All resources of the cloud, a lock, persistence and the deferred-transition scheduler."""

    def __init__(self, state_dir: str, transition_delay: float = 0.3, blocks: BlockStore | None = None):
        self.state_dir = os.path.abspath(state_dir)
        os.makedirs(self.state_dir, exist_ok=True)
        self.lock = threading.RLock()
        self.blocks = blocks or open_block_store(self.state_dir)
        self.transition_delay = transition_delay
        self.dirty = False
        self.data: dict[str, Any] = {"format_version": FORMAT_VERSION, "pending": [], "meta": {}}
        for kind in KINDS:
            self.data[kind] = {}
        self._heap: list[tuple[float, int, dict]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition(self.lock)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._save_lock = threading.Lock()  # one writer of state.json at a time, without holding ``lock``
        self._generation = 0  # so a slow writer of an older snapshot never overwrites a newer one
        self._written_generation = 0
        self._load()
        # Volumes live where the state was made: a state dir made on RBD restarted on files would find no data.
        recorded = self.meta.setdefault("volume_backend", "file" if self.data["volumes"] else self.blocks.backend)
        if recorded != self.blocks.backend:
            raise RuntimeError(f"{self.state_dir} holds volumes of the {recorded} backend; start it with "
                               f"SANDBOX_VOLUME_BACKEND={recorded}")

    # --- tables -------------------------------------------------------------------------------------------
    def table(self, kind: str) -> dict[str, dict]:
        return self.data.setdefault(kind, {})

    def get(self, kind: str, resource_id: str) -> dict | None:
        return self.table(kind).get(resource_id)

    def put(self, kind: str, record: dict) -> dict:
        with self.lock:
            self.table(kind)[record["id"]] = record
            self.dirty = True
        return record

    def delete(self, kind: str, resource_id: str) -> dict | None:
        with self.lock:
            self.dirty = True
            return self.table(kind).pop(resource_id, None)

    @property
    def meta(self) -> dict:
        return self.data["meta"]

    def touch(self) -> None:
        self.dirty = True

    # --- persistence --------------------------------------------------------------------------------------
    @property
    def path(self) -> str:
        return os.path.join(self.state_dir, STATE_FILE)

    def _load(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path) as handle:
            loaded = json.load(handle)
        if loaded.get("format_version", 0) > FORMAT_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer sandbox (format {loaded['format_version']})")
        self.data.update(loaded)
        for kind in KINDS:
            self.data.setdefault(kind, {})
        # Pending transitions go back on the clock now, not at start(): a save() before start() (the seed's)
        # writes the heap back as "pending" and would otherwise drop them.
        for entry in self.data.get("pending", []):
            heapq.heappush(self._heap, (entry["at"], next(self._counter), entry))

    def save(self, force: bool = False) -> None:
        with self.lock:
            if not (self.dirty or force):
                return
            now = time.time()
            tokens = self.table("tokens")
            for token_id in [t for t, rec in tokens.items() if rec["expires_ts"] < now]:
                del tokens[token_id]
            self.data["pending"] = [entry for _, _, entry in sorted(self._heap)]
            text = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
            self.dirty = False
            self._generation += 1
            generation = self._generation
        with self._save_lock:
            if generation < self._written_generation:
                return
            self._written_generation = generation
            tmp = self.path + ".tmp"
            with open(tmp, "w") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)

    # --- deferred transitions -----------------------------------------------------------------------------
    def later(self, name: str, delay: float | None = None, **kwargs: Any) -> None:
        """Run transition ``name(state, **kwargs)`` after ``delay`` seconds (default: the sandbox's delay)."""
        if name not in _TRANSITIONS:
            raise KeyError(f"unknown transition {name}")
        delay = self.transition_delay if delay is None else delay
        entry = {"at": time.time() + delay, "name": name, "kwargs": kwargs}
        with self.lock:
            heapq.heappush(self._heap, (entry["at"], next(self._counter), entry))
            self.dirty = True
            self._wake.notify()

    def start(self) -> None:
        with self.lock:
            attached = [(a["server_id"], volume["id"], volume.get("name_id") or volume["id"], a["device"])
                        for volume in self.table("volumes").values() for a in volume.get("attachments", [])
                        if a.get("attach_status") in ("attached", "detaching") and a.get("server_id")
                        and a.get("device")]
        self.blocks.reattach(attached)
        self._thread = threading.Thread(target=self._run, name="sandbox-transitions", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self.lock:
            self._stopping = True
            self._wake.notify()
        if self._thread:
            self._thread.join(timeout=5)
        self.save(force=True)
        self.blocks.close()

    def _run(self) -> None:
        # Transitions copy volume data (seconds for big volumes), so they run on a small pool without the
        # state lock held; each takes the lock itself around the records it changes.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-transition") as pool:
            while True:
                with self.lock:
                    while not self._stopping and (not self._heap or self._heap[0][0] > time.time()):
                        timeout = self._heap[0][0] - time.time() if self._heap else None
                        self._wake.wait(timeout)
                    if self._stopping:
                        return
                    _, _, entry = heapq.heappop(self._heap)
                pool.submit(self._fire, entry)

    def _fire(self, entry: dict) -> None:
        try:
            _TRANSITIONS[entry["name"]](self, **entry["kwargs"])
        except Exception:  # a broken transition must not stop the cloud's clock
            LOG.exception("transition %s failed", entry["name"])
        with self.lock:
            self.dirty = True
        self.save()

    def run_pending_now(self) -> None:
        """Fire every pending transition at once (used by tests and by the seed)."""
        while True:
            with self.lock:
                if not self._heap:
                    return
                _, _, entry = heapq.heappop(self._heap)
            self._fire(entry)
