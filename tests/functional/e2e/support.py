# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The whole product on this machine, driven through its REST API only.

``Stack`` is the pipeline tests' ``PipelineCloud`` (a private embedded cloud with the demo seed, a private Redis, a
real proxy worker per availability zone whose device root is the sandbox's view of that zone's proxy server, a data
worker) plus the control plane as real processes: the REST API, the control worker and celery beat, on one SQLite
catalog. The tests act as the sandbox's users (``demo-member``, ``alt-member``, ``admin``) with
``storage_backup_dashboard.client.BackupClient``; they look at the cloud only to check what the product did (as an
admin would) and to play the guest (writing to the instance's disks).

The planes share nothing but Redis, and the stack proves it for the repositories: a destination's path
(``/storage-backup-e2e/…``) exists on no host; only the workers (proxies and data worker) find it, below the
repository root their environment names (``STORAGE_BACKUP_REPOSITORY_ROOT``), which the control plane's does not.
So whatever the product does with a repository through the API (backup, restore, verify, delete, retention, prune,
lock, rebuild) can only have been done on the data plane.
"""
from __future__ import annotations

import os
import signal
import time

from storage_backup_sandbox.launch import (
    ControlApiProcess,
    ControlBeatProcess,
    ControlWorkerProcess,
    control_env,
    enrol_worker_keys,
    start_together,
)
from storage_backup_sandbox.rbd_store import RbdSettings

from storage_backup_dashboard.client import BackupApiError, BackupClient
from tests.conftest import SandboxHandle
from tests.functional.pipeline.support import PipelineCloud
from tests.support.control_fixtures import wait_until

# The control plane's knobs for the tests: short periods so that what the product does on its own (dispatch,
# heartbeats, retention, the sweeper, noticing a dead worker) shows within seconds. A module overrides some with
# ``STACK_SETTINGS``.
CONTROL_SETTINGS = {
    "STORAGE_BACKUP_TICK_SECONDS": "0.5",
    "STORAGE_BACKUP_HEARTBEAT_SECONDS": "1",
    "STORAGE_BACKUP_PROXY_DOWN_AFTER": "20",
    "STORAGE_BACKUP_RETENTION_SECONDS": "3600",
    "STORAGE_BACKUP_SWEEPER_SECONDS": "3600",
    "STORAGE_BACKUP_SWEEPER_GRACE": "0",
    "STORAGE_BACKUP_RETRY_BACKOFF": "1",
    "STORAGE_BACKUP_JOB_ALIVE_GRACE": "8",
    "STORAGE_BACKUP_TOKEN_CACHE_SECONDS": "5",
    "STORAGE_BACKUP_AVAILABILITY_ZONES": "nova,az2",
    # Never a database another part of the suite configured in this process's environment.
    "STORAGE_BACKUP_DATABASE_URL": "",
}
WORKER_SETTINGS = {
    "STORAGE_BACKUP_JOB_ALIVE_SECONDS": "3",
    "STORAGE_BACKUP_TIMEOUT_ATTACH": "60",
}
ENDED = ("succeeded", "failed", "cancelled")
# Where the destinations are, as every worker sees them (below its repository root); nowhere on the control host.
DESTINATIONS = "/storage-backup-e2e"
__all__ = ["Stack", "expect_api_error", "wait_until"]


class Stack(PipelineCloud):
    def __init__(self, base_dir: str, settings: dict | None = None, worker_settings: dict | None = None,
                 rbd: RbdSettings | None = None) -> None:
        super().__init__(base_dir, worker_env={**WORKER_SETTINGS, **(worker_settings or {})}, worker_concurrency=2,
                         repository_root=os.path.join(base_dir, "data-plane"), rbd=rbd)
        # The stack's repository: its path as the API knows it, and where it really is (for the tests to look at).
        self.repository_path = f"{DESTINATIONS}/repository"
        self.repository = self.on_data_plane(self.repository_path)
        # File-level restore's download area: written by the data worker, served by the API, so both are told.
        downloads = {"STORAGE_BACKUP_DOWNLOAD_DIR": os.path.join(base_dir, "downloads")}
        self.data_worker_env = downloads
        self.settings = {**CONTROL_SETTINGS, **downloads, **(settings or {})}
        self.control_dir = os.path.join(base_dir, "control")
        self.api: ControlApiProcess | None = None
        self.control_processes: list = []
        self._clients: dict[str, BackupClient] = {}

    def start(self) -> Stack:
        super().start()
        self.handle = SandboxHandle(self.sandbox)
        env = control_env(os.path.join(self.control_dir, "data"), self.redis.url, self.sandbox.clouds_yaml,
                          extra=self.settings)
        self.control_env = env
        self.api = ControlApiProcess(env, self.control_dir).start()  # first: it applies the catalog's migrations
        # The workers' keys, enrolled as a deployment does (task secrets are sealed to them; docs/TASKS.md).
        enrol_worker_keys(env, [*self.workers.values(), self.data_worker])
        self.control_processes = [self.api, *start_together(ControlWorkerProcess(env, self.control_dir),
                                                            ControlBeatProcess(env, self.control_dir))]
        self.wait_for_proxies()
        return self

    def extra_processes(self) -> list:
        return self.control_processes

    # -- acting as a user ---------------------------------------------------------------------------------------

    def client(self, user: str = "demo-member") -> BackupClient:
        if user not in self._clients:
            self._clients[user] = BackupClient(self.handle.session(user), endpoint=self.api.url, timeout=60)
        return self._clients[user]

    def project_id(self, user: str) -> str:
        return self.client(user).session.get_project_id()

    def destination(self) -> dict:
        """The filesystem destination an admin made for the stack's repository (made once)."""
        if not getattr(self, "_destination", None):
            self._destination = self.client("admin").destination_create(name="e2e-repository",
                                                                        path=self.repository_path)
        return self._destination

    def on_data_plane(self, path: str) -> str:
        """Where the workers find a destination's ``path`` (below their repository root)."""
        return os.path.join(self.repository_root, path.lstrip("/"))

    def new_repository(self, name: str) -> tuple[str, str]:
        """``(path for the API, real directory)`` of a new, empty destination directory."""
        path = f"{DESTINATIONS}/{name}"
        os.makedirs(self.on_data_plane(path))
        return path, self.on_data_plane(path)

    def policy(self, user: str = "demo-member", **fields) -> dict:
        """A policy of ``user``'s project on the stack's destination (on demand only unless ``schedule`` is given)."""
        fields.setdefault("name", f"policy-{len(self._clients)}-{time.monotonic_ns() % 100000}")
        return self.client(user).policy_create(destination_id=self.destination()["id"], **fields)

    def wait_for_proxies(self, zones=("nova", "az2"), timeout: float = 60) -> list[dict]:
        """Until the control plane has heard every zone's proxy (its heartbeats through ``proxy.ping``)."""
        deadline = time.monotonic() + timeout
        proxies: list[dict] = []
        while time.monotonic() < deadline:
            proxies = self.client("admin").proxy_list()
            up = {proxy["availability_zone"] for proxy in proxies if proxy["status"] == "up"}
            if set(zones) <= up:
                return proxies
            time.sleep(0.3)
        raise AssertionError(f"the proxies of {zones} did not come up: {proxies}\n{self.control_log()}")

    def wait_job(self, job_id: str, states=ENDED, timeout: float = 180, user: str = "demo-member",
                 seen: list | None = None) -> dict:
        """Poll ``GET /v1/jobs/{id}`` until the job is in one of ``states``; every distinct answer goes to ``seen``."""
        deadline = time.monotonic() + timeout
        job: dict = {}
        while time.monotonic() < deadline:
            job = self.client(user).job_get(job_id)
            if seen is not None and (not seen or (seen[-1]["state"], seen[-1]["progress"]) !=
                                     (job["state"], job["progress"])):
                seen.append(job)
            if job["state"] in states:
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} is {job.get('state')}, not {states}, after {timeout} s: {job}\n"
                             f"{self.control_log()}\n--- worker nova ---\n{self.worker_log('nova')}")

    def run_backup(self, instance_id: str, strategy: str | None = None, user: str = "demo-member",
                   expect: str = "succeeded", **wait) -> dict:
        job = self.client(user).backup_create(instance_id, strategy)
        job = self.wait_job(job["id"], user=user, **wait)
        assert job["state"] == expect, f"backup ended {job['state']}: {job['error']}\n{job['log']}"
        return job

    def run_restore(self, restore_point_id: str, user: str = "demo-member", expect: str = "succeeded",
                    **options) -> dict:
        job = self.client(user).restore(restore_point_id, **options)
        job = self.wait_job(job["id"], user=user)
        assert job["state"] == expect, f"restore ended {job['state']}: {job['error']}\n{job['log']}"
        return job

    # -- looking at the machinery -------------------------------------------------------------------------------

    def leftovers(self, cloud=None) -> dict:
        """What jobs leaked, as the cloud's admin sees it (``PipelineCloud.leftovers``)."""
        return super().leftovers(cloud or self.admin)

    def control_log(self, lines: int = 40) -> str:
        parts = []
        paths = [os.path.join(self.control_dir, name) for name in ("control-worker.log", "control-api.log")]
        for path in paths + ([self.data_worker.log_path] if self.data_worker else []):
            try:
                with open(path, errors="replace") as handle:
                    parts.append(f"--- {os.path.basename(path)} ---\n" + "".join(handle.readlines()[-lines:]))
            except OSError:
                pass
        return "\n".join(parts)

    def kill_worker(self, zone: str) -> None:
        """SIGKILL the zone's worker and its pool processes: no ``finally`` runs, nothing is cleaned up."""
        worker = self.workers[zone]
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)


def expect_api_error(status: int, call, *args, **kwargs) -> BackupApiError:
    try:
        call(*args, **kwargs)
    except BackupApiError as error:
        assert error.status == status, f"expected {status}, got {error}"
        return error
    raise AssertionError(f"expected HTTP {status}, the call succeeded")
