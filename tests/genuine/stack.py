# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The product against the genuine cloud: the same processes as the e2e tier's ``Stack``, configured with the
genuine cloud's ``clouds.yaml`` instead of the embedded cloud's.

A private Redis, a real proxy worker per availability zone (its device root the device-view driver's folder of that
zone's proxy server), a data worker, the Ceph diff worker beside the tier's Ceph (the proxies back up with Ceph
changed blocks, ``STORAGE_BACKUP_CHANGED_BLOCKS=ceph``), and the control plane (REST API on the port Keystone's
catalog names for ``data-protection``, control worker, beat). Tests act as the same users as on the embedded cloud
(``demo-member``, ``alt-member``, ``admin``), logged in to the genuine Keystone, through
``storage_backup_dashboard.client.BackupClient``; the REST API validates their tokens with keystonemiddleware
against the genuine Keystone.
"""
from __future__ import annotations

import os
import signal
import time

from storage_backup.cloud import BASE_INSTANCE_TAG, TEMPORARY_PREFIX, Cloud, base_of, job_of
from storage_backup.contract import CONTROL_QUEUE
from storage_backup_sandbox.launch import (
    CephDiffWorkerProcess,
    ControlApiProcess,
    ControlBeatProcess,
    ControlWorkerProcess,
    DataWorkerProcess,
    RedisProcess,
    WorkerProcess,
    control_env,
    start_together,
    stop_together,
)
from storage_backup_sandbox.seed import user as sandbox_user

from storage_backup_dashboard.client import BackupClient
from tests.genuine import configs
from tests.genuine.cloud import ZONES, GenuineCloud
from tests.genuine.seed import cloud_name

# A genuine cloud moves on in seconds, not in the embedded cloud's tenths: poll every half second, wait long.
POLL = "0.5"
WORKER_SETTINGS = {
    "STORAGE_BACKUP_POLL_INTERVAL": POLL,
    "STORAGE_BACKUP_JOB_ALIVE_SECONDS": "3",
    "STORAGE_BACKUP_TIMEOUT_ATTACH": "180", "STORAGE_BACKUP_TIMEOUT_DEVICE": "60",
    "STORAGE_BACKUP_TIMEOUT_SNAPSHOT": "180", "STORAGE_BACKUP_TIMEOUT_VOLUME": "180",
    "STORAGE_BACKUP_TIMEOUT_DETACH": "180", "STORAGE_BACKUP_TIMEOUT_DELETE": "180",
    "STORAGE_BACKUP_TIMEOUT_IMAGE": "180", "STORAGE_BACKUP_TIMEOUT_SERVER": "180",
    # Ceph changed blocks on every proxy (issue 12): a volume with a kept base is read only where Ceph says it
    # changed. A diff worker that does not answer within 20 s makes a checksum backup, never a hung one.
    "STORAGE_BACKUP_CHANGED_BLOCKS": "ceph", "STORAGE_BACKUP_TIMEOUT_DIFF": "20",
}
# The pool of Cinder's RBD backends (both zones' backends share it: configs.cinder).
CEPH_POOLS = ("volumes",)
CONTROL_SETTINGS = {
    "STORAGE_BACKUP_POLL_INTERVAL": POLL,
    "STORAGE_BACKUP_TICK_SECONDS": "0.5",
    "STORAGE_BACKUP_HEARTBEAT_SECONDS": "1",
    "STORAGE_BACKUP_PROXY_DOWN_AFTER": "30",
    "STORAGE_BACKUP_RETENTION_SECONDS": "3600",
    "STORAGE_BACKUP_SWEEPER_SECONDS": "3600",
    "STORAGE_BACKUP_SWEEPER_GRACE": "0",
    "STORAGE_BACKUP_RETRY_BACKOFF": "1",
    "STORAGE_BACKUP_JOB_ALIVE_GRACE": "15",
    "STORAGE_BACKUP_TOKEN_CACHE_SECONDS": "5",
    "STORAGE_BACKUP_AVAILABILITY_ZONES": ",".join(ZONES),
    "STORAGE_BACKUP_DATABASE_URL": "",
}
ENDED = ("succeeded", "failed", "cancelled")


class GenuineStack:
    """The whole product on the genuine cloud ``cloud`` (already up); ``start``/``stop`` its own processes only."""

    def __init__(self, cloud: GenuineCloud, base_dir: str, settings: dict | None = None) -> None:
        self.cloud = cloud
        self.base_dir = base_dir
        self.repository_root = os.path.join(base_dir, "data-plane")
        self.repository_path = "/storage-backup-genuine/repository"
        self.settings = {**CONTROL_SETTINGS, **(settings or {})}
        self.redis = RedisProcess(os.path.join(base_dir, "redis"))
        self.workers: dict[str, WorkerProcess] = {}
        self.processes: list = []
        self._clients: dict[str, BackupClient] = {}
        self._destination: dict | None = None

    def start(self) -> GenuineStack:
        os.makedirs(self.on_data_plane(self.repository_path), exist_ok=True)
        self.redis.start()
        logs = os.path.join(self.base_dir, "logs")
        self.workers = {zone: self._worker(zone) for zone in ZONES}
        data = DataWorkerProcess(self.redis.url, logs, repository_root=self.repository_root)
        # client.admin and no keyring: the tier's Ceph runs with auth none (tools/ceph/start.sh), so no cephx user
        # can be read-only here; the diff worker's read-only cephx user is proven in the separate ceph tier.
        ceph = os.path.join(self.cloud.base, "ceph")
        self.ceph_diff = CephDiffWorkerProcess(self.redis.url, logs, ceph_conf=os.path.join(ceph, "ceph.conf"),
                                               pools=CEPH_POOLS, client="admin",
                                               ceph_pythonpath=os.path.join(ceph, "pylib"), timeout=10)
        env = control_env(os.path.join(self.base_dir, "control", "data"), self.redis.url, self.cloud.clouds_yaml,
                          cloud=cloud_name("backup-service"), extra=self.settings)
        control_dir = os.path.join(self.base_dir, "control")
        self.api = ControlApiProcess(env, control_dir, port=self.cloud.ports["data_protection"])
        self.api.ready_timeout = 180
        self.processes = [*self.workers.values(), data, self.ceph_diff, self.api]
        start_together(*self.processes, timeout=180)
        self.processes += start_together(ControlWorkerProcess(env, control_dir), ControlBeatProcess(env, control_dir),
                                         timeout=180)
        self.processes = [process for process in self.processes if process not in self.workers.values()]
        self.service = self.connect("backup-service")
        self.admin = self.service
        self.wait_for_proxies()
        return self

    def stop(self) -> None:
        stop_together(*self.processes, *self.workers.values())
        self.redis.stop()

    def _worker(self, zone: str, device_root: str | None = None, env: dict | None = None) -> WorkerProcess:
        proxy = self.cloud.meta["proxy_servers"][zone]
        worker_env = {**WORKER_SETTINGS, "STORAGE_BACKUP_REPOSITORY_ROOT": self.repository_root, **(env or {})}
        return WorkerProcess(zone, self.redis.url, os.path.join(self.base_dir, "logs"), proxy_server_id=proxy,
                             device_root=device_root or self.cloud.device_root(proxy),
                             clouds_yaml=self.cloud.clouds_yaml, cloud=cloud_name("backup-service"), concurrency=2,
                             extra_env=worker_env)

    def start_worker(self, zone: str, device_root: str | None = None, env: dict | None = None) -> WorkerProcess:
        """(Re)start the proxy worker of ``zone`` (``device_root``: one where attached volumes never show up)."""
        self.workers[zone] = self._worker(zone, device_root, env).start(timeout=180)
        return self.workers[zone]

    def kill_worker(self, zone: str) -> None:
        """SIGKILL the zone's worker and its pool: no ``finally`` runs, nothing is cleaned up."""
        worker = self.workers[zone]
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=30)

    # -- the cloud, as the tests see it ----------------------------------------------------------------------------

    def connect(self, user: str) -> Cloud:
        return Cloud.from_environment({"OS_CLIENT_CONFIG_FILE": self.cloud.clouds_yaml, "OS_CLOUD": cloud_name(user),
                                       "STORAGE_BACKUP_POLL_INTERVAL": POLL})

    def session(self, user: str = "demo-member"):
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        spec = sandbox_user(user)
        password = configs.PASSWORD if user == "admin" else spec.password  # bootstrap's admin has the tier's
        auth = v3.Password(auth_url=self.cloud.auth_url, username=spec.name, password=password,
                           user_domain_id="default", project_name=spec.project, project_domain_id="default")
        return ks_session.Session(auth=auth)

    def guest_device(self, server_id: str, volume_id: str) -> str:
        return os.path.join(self.cloud.device_root(server_id), "dev", "disk", "by-id", f"virtio-{volume_id[:20]}")

    def leftovers(self) -> dict:
        """Every temporary resource a job could leak, as the backup service account (admin) sees it."""
        cloud = self.service
        found: dict = {}
        volumes = [f"{v.id} {v.name} {v.status}" for v in cloud.block_storage.volumes(all_projects=True)
                   if (v.name or "").startswith(TEMPORARY_PREFIX) or job_of(v)]
        if volumes:
            found["volumes"] = volumes
        # A kept Ceph base (``storage-backup-base-<volume id>``, tagged) is no leftover: ``bases`` lists them.
        snapshots = [f"{s.id} {s.name} {s.status}" for s in cloud.block_storage.snapshots(all_projects=True)
                     if ((s.name or "").startswith(TEMPORARY_PREFIX) or job_of(s)) and not base_of(s)]
        if snapshots:
            found["snapshots"] = snapshots
        images = [f"{i.id} {i.name} {i.status}" for i in cloud.image.images()
                  if (i.name or "").startswith(TEMPORARY_PREFIX) or job_of(i)]
        if images:
            found["images"] = images
        for zone, proxy_id in self.cloud.meta["proxy_servers"].items():
            attached = [a.volume_id for a in cloud.compute.volume_attachments(proxy_id)]
            if attached:
                found[f"attached to proxy {zone}"] = attached
        return found

    def bases(self, instance_id: str | None = None) -> dict[str, list]:
        """The kept Ceph base snapshots, by the volume they are the base of (of ``instance_id``'s volumes only, when
        given), as the backup service account sees them in Cinder."""
        found: dict[str, list] = {}
        for snapshot in self.service.block_storage.snapshots(details=True, all_projects=True):
            if base_of(snapshot) and (instance_id is None
                                      or (snapshot.metadata or {}).get(BASE_INSTANCE_TAG) == instance_id):
                found.setdefault(base_of(snapshot), []).append(snapshot)
        return found

    def sweep(self, timeout: float = 180) -> dict:
        """One sweep now, by the control worker (``control.sweep``, as beat sends it), and its report."""
        from celery import Celery

        app = Celery("genuine-tests", broker=self.redis.url, backend=self.redis.url)
        app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
        result = app.send_task("control.sweep", kwargs={"grace_seconds": 0}, queue=CONTROL_QUEUE)
        try:
            return result.get(timeout=timeout)
        finally:
            result.forget()
            app.close()

    # -- the product, as a user ------------------------------------------------------------------------------------

    def client(self, user: str = "demo-member") -> BackupClient:
        if user not in self._clients:
            self._clients[user] = BackupClient(self.session(user), endpoint=self.api.url, timeout=120)
        return self._clients[user]

    def on_data_plane(self, path: str) -> str:
        return os.path.join(self.repository_root, path.lstrip("/"))

    def destination(self) -> dict:
        if self._destination is None:
            self._destination = self.client("admin").destination_create(name="genuine-repository",
                                                                        path=self.repository_path)
        return self._destination

    def wait_for_proxies(self, timeout: float = 120) -> list[dict]:
        deadline = time.monotonic() + timeout
        proxies: list[dict] = []
        while time.monotonic() < deadline:
            proxies = self.client("admin").proxy_list()
            if set(ZONES) <= {p["availability_zone"] for p in proxies if p["status"] == "up"}:
                return proxies
            time.sleep(0.5)
        raise AssertionError(f"the proxies of {ZONES} did not come up: {proxies}\n{self.log('control-worker')}")

    def wait_job(self, job_id: str, states=ENDED, timeout: float = 300, user: str = "demo-member") -> dict:
        deadline = time.monotonic() + timeout
        job: dict = {}
        while time.monotonic() < deadline:
            job = self.client(user).job_get(job_id)
            if job["state"] in states:
                return job
            time.sleep(0.5)
        raise AssertionError(f"job {job_id} is {job.get('state')}, not {states}, after {timeout} s: {job}\n"
                             f"{self.log('worker-nova')}\n{self.log('worker-az2')}")

    def run_backup(self, instance_id: str, strategy: str | None = None, user: str = "demo-member",
                   expect: str = "succeeded") -> dict:
        job = self.wait_job(self.client(user).backup_create(instance_id, strategy)["id"], user=user)
        assert job["state"] == expect, f"backup ended {job['state']}: {job['error']}\n{job['log']}\n" \
                                       f"{self.log('worker-nova')}"
        return job

    def run_restore(self, restore_point_id: str, user: str = "demo-member", expect: str = "succeeded",
                    **options) -> dict:
        job = self.wait_job(self.client(user).restore(restore_point_id, **options)["id"], user=user)
        assert job["state"] == expect, f"restore ended {job['state']}: {job['error']}\n{job['log']}\n" \
                                       f"{self.log('worker-az2')}"
        return job

    def log(self, name: str, lines: int = 60) -> str:
        for folder in ("logs", "control"):
            path = os.path.join(self.base_dir, folder, f"{name}.log")
            if os.path.exists(path):
                with open(path, errors="replace") as handle:
                    return f"--- {name} ---\n" + "".join(handle.readlines()[-lines:])
        return ""
