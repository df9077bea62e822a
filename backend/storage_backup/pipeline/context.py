# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``JobContext``: what every pipeline step needs — the cloud, this worker, the job log, progress, cancel, timeouts."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, fields

from storage_backup.cloud import Cloud
from storage_backup.proxy.identity import ProxyIdentity

from .cancellation import CancelToken
from .joblog import JobLog
from .progress import ProgressReporter
from .read_limit import SharedTokenBucket


@dataclass
class Timeouts:
    """Seconds each kind of wait may take before the job fails naming the resource and its status.

    Set per worker with ``STORAGE_BACKUP_TIMEOUT_<NAME>`` (e.g. ``STORAGE_BACKUP_TIMEOUT_ATTACH=600``): copies of
    large volumes and image uploads take long on slow backends; attaches and device appearance should not.
    """

    snapshot: float = 1800.0  # Cinder snapshot (or group snapshot) to 'available'
    volume: float = 3600.0  # a volume made from a snapshot or an image to 'available'
    attach: float = 300.0  # Nova/Cinder attach to 'in-use'
    device: float = 120.0  # the attached volume to appear under /dev/disk/by-id
    detach: float = 300.0
    delete: float = 600.0  # volumes, snapshots, servers to be gone
    image: float = 3600.0  # createImage / upload-to-image to 'active'
    server: float = 1800.0  # a restored server to 'ACTIVE'
    diff: float = 120.0  # the Ceph diff worker's answer (then: a checksum backup, not a failed one)
    rebuild_settle: float = 120.0  # Nova's rebuild action to end after its server did (then: going on)
    start_attempt: float = 60.0  # a start of a reverted server not seen this long is sent again

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> Timeouts:
        env = os.environ if environ is None else environ
        values = {}
        for item in fields(cls):
            raw = env.get(f"STORAGE_BACKUP_TIMEOUT_{item.name.upper()}")
            if raw:
                values[item.name] = float(raw)
        return cls(**values)


def drill_pauses(environ: dict | None = None) -> dict[str, float]:
    """``STORAGE_BACKUP_DRILL_PAUSE="read=5,commit=5"``: seconds a worker holds at the start of those steps.

    For fault drills (the fault-matrix tier, an operator rehearsing a restore after a crash): a worker killed or a
    Redis restarted "while reading" needs the job to be reading for long enough, whatever the volume's size. Unset in
    production. A malformed value fails each job that meets it, naming the setting, rather than being ignored.
    """
    raw = (os.environ if environ is None else environ).get("STORAGE_BACKUP_DRILL_PAUSE", "").strip()
    pauses: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        step, _, seconds = item.partition("=")
        try:
            pauses[step.strip()] = float(seconds)
        except ValueError:
            raise ValueError(f"STORAGE_BACKUP_DRILL_PAUSE: {item!r} is not step=seconds") from None
    return pauses


@dataclass
class JobContext:
    job_id: str
    cloud: Cloud | None  # the backup service account (proxy tasks; a data task has none)
    proxy: ProxyIdentity
    log: JobLog
    progress: ProgressReporter
    cancel: CancelToken
    timeouts: Timeouts = field(default_factory=Timeouts)
    proxy_name: str = ""
    # The proxy's read-bandwidth cap shared by all its jobs (``read_limit``), or None.
    proxy_read_limit: SharedTokenBucket | None = None
    pauses: dict[str, float] = field(default_factory=drill_pauses)

    @property
    def on_proxy(self) -> str:
        """`` on proxy <name>``: the context every stuck-resource message carries."""
        return f" on proxy {self.proxy_name or self.proxy.proxy_server_id}"

    def step(self, name: str, message: str) -> None:
        self.cancel.check(f"before {name}")
        self.log.add(name, message)
        self.progress.step(name, message)
        if self.pauses.get(name):
            self._hold(name, self.pauses[name])

    def _hold(self, name: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:  # a cancel still ends the held job within a moment
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
            self.cancel.check(f"during {name}")
