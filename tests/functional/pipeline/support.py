# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A private embedded cloud, Redis, one real proxy worker per availability zone and a data worker, for the pipeline's
tests.

Each test module gets its own (``pipeline_cloud`` fixture in ``conftest.py``): the demo seed, a repository
directory, Celery workers started with ``storage_backup_sandbox.launch.WorkerProcess`` whose device root is the
sandbox's view of their proxy server (``<state>/servers/<proxy id>``) — so a volume attached to the proxy appears
where the worker reads it, exactly as on a proxy VM — and a ``DataWorkerProcess`` for the ``data`` queue. Tasks are
sent by name, as the control plane sends them; a failed task's ``TaskFailure`` (code, retryable, message) is read as
the control plane reads it.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field

from celery import Celery
from storage_backup import contract
from storage_backup.cloud import BASE_GROUP_TAG, TEMPORARY_PREFIX, Cloud, base_of, job_of
from storage_backup.contract import DATA_QUEUE, TaskFailure
from storage_backup_sandbox.launch import (
    SANDBOX_POLL_INTERVAL,
    DataWorkerProcess,
    RedisProcess,
    SandboxProcess,
    WorkerProcess,
    start_together,
    stop_together,
)
from storage_backup_sandbox.rbd_store import RbdSettings

ZONES = ("nova", "az2")
HASH_BLOCK = 1024 * 1024
WORKER_TIMEOUTS = {"STORAGE_BACKUP_TIMEOUT_ATTACH": "8", "STORAGE_BACKUP_TIMEOUT_DEVICE": "8",
                   "STORAGE_BACKUP_TIMEOUT_SNAPSHOT": "120", "STORAGE_BACKUP_TIMEOUT_VOLUME": "120",
                   "STORAGE_BACKUP_TIMEOUT_DETACH": "60", "STORAGE_BACKUP_TIMEOUT_DELETE": "60",
                   "STORAGE_BACKUP_TIMEOUT_IMAGE": "120", "STORAGE_BACKUP_TIMEOUT_SERVER": "120"}


def volume_digest(path: str) -> tuple[int, str]:
    """``(size, sha256 of every non-zero 1 MiB block with its offset)``: equal for two volumes with the same bytes,
    however sparse each file is, and quick on a 10 GiB volume that is mostly holes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        fd = handle.fileno()
        size = os.fstat(fd).st_size
        position, next_block = 0, 0
        while position < size:
            try:
                start = os.lseek(fd, position, os.SEEK_DATA)
            except OSError as error:
                if error.errno == errno.ENXIO:
                    break
                raise
            end = os.lseek(fd, start, os.SEEK_HOLE)
            for block in range(max(start // HASH_BLOCK, next_block), -(-end // HASH_BLOCK)):
                data = os.pread(fd, HASH_BLOCK, block * HASH_BLOCK)
                if data.strip(b"\0"):
                    digest.update(block.to_bytes(8, "big"))
                    digest.update(data)
                next_block = block + 1
            position = end
    return size, digest.hexdigest()


def allocated_bytes(path: str) -> int:
    return os.stat(path).st_blocks * 512


@dataclass
class JobOutcome:
    state: str
    result: dict | None
    error: BaseException | None
    progress: list[dict] = field(default_factory=list)

    @property
    def failure(self) -> TaskFailure | None:
        """What the worker said of its failure (docs/TASKS.md "Failures")."""
        return TaskFailure.from_exception(self.error) if self.error is not None else None

    @property
    def code(self) -> str:
        return self.failure.code if self.failure is not None else ""


class PipelineCloud:
    """The embedded cloud (demo seed), Redis, and a real proxy worker per zone. ``worker_env`` adds to (or overrides)
    the workers' environment (``WORKER_TIMEOUTS``); ``worker_concurrency`` is each worker's process count; ``rbd``
    puts the cloud's volumes in that Ceph pool (``SandboxProcess(rbd=...)``; tests/ceph/conftest.py has one)."""

    def __init__(self, base_dir: str, worker_env: dict | None = None, worker_concurrency: int = 1,
                 repository_root: str = "", rbd: RbdSettings | None = None) -> None:
        self.base_dir = base_dir
        # Where the workers (proxy and data) mount the destinations; "" is "/": a destination's path is the real one.
        self.repository_root = repository_root
        root_env = {"STORAGE_BACKUP_REPOSITORY_ROOT": repository_root} if repository_root else {}
        self.worker_env = {**WORKER_TIMEOUTS, **root_env, **(worker_env or {})}
        self.worker_concurrency = worker_concurrency
        self.sandbox = SandboxProcess(os.path.join(base_dir, "sandbox"), seed="demo", rbd=rbd)
        self.redis = RedisProcess(os.path.join(base_dir, "redis"))
        self.workers: dict[str, WorkerProcess] = {}
        self.data_worker: DataWorkerProcess | None = None
        self.data_worker_env: dict = {}  # more of the data worker's environment (a subclass sets it before start)
        self.repository = os.path.join(base_dir, "repository")
        self.celery: Celery | None = None

    # -- processes ----------------------------------------------------------------------------------------------------

    def start(self) -> PipelineCloud:
        os.makedirs(self.repository, exist_ok=True)
        start_together(self.sandbox, self.redis)
        with open(os.path.join(self.sandbox.state_dir, "state.json")) as handle:
            self.proxy_servers = json.load(handle)["meta"]["proxy_servers"]
        self.service = self.connect("sandbox-service")
        self.admin = self.connect("sandbox-admin")
        self.demo = self.connect("sandbox-demo")
        self.data_worker = DataWorkerProcess(self.redis.url, os.path.join(self.base_dir, "logs"),
                                             repository_root=self.repository_root, extra_env=self.data_worker_env)
        self.workers = {zone: self._worker(zone) for zone in ZONES}
        start_together(*self.workers.values(), self.data_worker)
        self.celery = Celery("pipeline-tests", broker=self.redis.url, backend=self.redis.url)
        self.celery.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                                result_accept_content=["json"], result_extended=False)
        return self

    def connect(self, cloud: str) -> Cloud:
        """One of the sandbox's accounts through the product's door, polling as fast as the sandbox moves."""
        return Cloud.from_environment({"OS_CLIENT_CONFIG_FILE": self.sandbox.clouds_yaml, "OS_CLOUD": cloud,
                                       "STORAGE_BACKUP_POLL_INTERVAL": SANDBOX_POLL_INTERVAL})

    def extra_processes(self) -> list:
        """Processes a subclass runs beside the workers, stopped with them (the e2e stack's control plane)."""
        return []

    def start_worker(self, zone: str, device_root: str | None = None, env: dict | None = None) -> WorkerProcess:
        """(Re)start the proxy worker of ``zone``, its device root the sandbox's view of that zone's proxy server
        (or ``device_root``: a proxy whose attached volumes never show up), ``env`` added to its environment."""
        worker = self._worker(zone, device_root, env)
        self.workers[zone] = worker.start()
        return worker

    def _worker(self, zone: str, device_root: str | None = None, env: dict | None = None) -> WorkerProcess:
        proxy_id = self.proxy_servers[zone]
        return WorkerProcess(zone, self.redis.url, os.path.join(self.base_dir, "logs"), proxy_server_id=proxy_id,
                             device_root=device_root or self.device_root(proxy_id),
                             clouds_yaml=self.sandbox.clouds_yaml, concurrency=self.worker_concurrency,
                             extra_env={**self.worker_env, **(env or {})})

    def stop(self) -> None:
        if self.celery is not None:
            self.celery.close()
        workers = [*self.workers.values(), *([self.data_worker] if self.data_worker is not None else [])]
        stop_together(*self.extra_processes(), *workers)
        stop_together(self.redis, self.sandbox)

    def worker_log(self, zone: str, lines: int = 60) -> str:
        """The last lines of the proxy worker of ``zone`` (or of the data worker: ``data``)."""
        worker = self.data_worker if zone == DATA_QUEUE else self.workers[zone]
        try:
            with open(worker.log_path, errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return ""

    # -- the cloud ----------------------------------------------------------------------------------------------------

    @property
    def state_dir(self) -> str:
        return self.sandbox.state_dir

    def device_root(self, server_id: str) -> str:
        return os.path.join(self.state_dir, "servers", server_id)

    def guest_device(self, server_id: str, volume_id: str) -> str:
        """Where the guest of ``server_id`` sees ``volume_id`` (its /dev/disk/by-id link)."""
        return os.path.join(self.device_root(server_id), "dev", "disk", "by-id", f"virtio-{volume_id[:20]}")

    def volume_file(self, volume_id: str) -> str:
        return os.path.join(self.state_dir, "volumes", f"{volume_id}.img")

    def root_disk(self, server_id: str) -> str:
        return os.path.join(self.device_root(server_id), "disk.img")

    def server_named(self, name: str):
        """openstacksdk's ``Server`` of that name, in any project."""
        matches = [s for s in self.service.compute.servers(all_projects=True) if s.name == name]
        assert len(matches) == 1, f"expected one server {name!r}, found {len(matches)}"
        return matches[0]

    def grouped_server(self, name: str = "db-1") -> tuple:
        """``(server, root volume, data volume)``: a demo server booted from a volume in ``nova``, both its volumes
        in a Cinder group whose type allows consistent group snapshots (a backup takes one group snapshot)."""
        from storage_backup.cloud.waiting import wait_for, wait_server, wait_volume, wait_volume_attached

        demo, service = self.demo, self.service
        image = next(service.image.images(name="sandbox-linux"))
        group = demo.block_storage.create_group(name=name, group_type="consistent_snapshots",
                                                volume_types=["__DEFAULT__"], availability_zone="nova")
        root = demo.block_storage.create_volume(size=1, name=f"{name}-root", image_id=image.id,
                                                availability_zone="nova")
        data = demo.block_storage.create_volume(size=1, name=f"{name}-data", availability_zone="nova")
        for volume in (root, data):
            wait_volume(service, volume.id, "available", timeout=60)
        wait_for(lambda: demo.block_storage.get_group(group.id), done=lambda g: g.status == "available",
                 status_of=lambda g: g.status, what=f"Group {group.id}", timeout=30, interval=0.1)
        demo.block_storage.update_group(group.id, add_volumes=f"{root.id},{data.id}")
        network = next(demo.network.networks(name="demo-net"))
        created = demo.compute.create_server(
            name=name, flavor_id="1", availability_zone="nova", networks=[{"uuid": network.id}],
            block_device_mapping=[
                {"uuid": root.id, "source_type": "volume", "destination_type": "volume", "boot_index": 0},
                {"uuid": data.id, "source_type": "volume", "destination_type": "volume", "boot_index": -1}])
        server = wait_server(service, created.id, timeout=60)
        for volume in (root, data):
            wait_volume_attached(service, volume.id, server.id, timeout=60)
        return server, root, data

    def arm_fault(self, operation: str, mode: str, count: int = 1) -> None:
        response = self.admin.connection.session.post(self.sandbox.url + "/_sandbox/faults",
                                           json={"operation": operation, "mode": mode, "count": count})
        assert response.status_code == 201, response.text

    def clear_faults(self) -> None:
        self.admin.connection.session.delete(self.sandbox.url + "/_sandbox/faults")

    def leftovers(self, cloud: Cloud | None = None) -> dict:
        """Every temporary resource a job could leak, seen by an admin account (``cloud``, default the backup
        service account): tagged or named volumes, any snapshot or group snapshot, named images, anything attached
        to a proxy. Empty when nothing leaked."""
        cloud = cloud or self.service
        found: dict = {}
        volumes = list(cloud.block_storage.volumes(all_projects=True))
        tagged = [f"{v.id} {v.name} {v.status}" for v in volumes
                  if (v.name or "").startswith(TEMPORARY_PREFIX) or job_of(v)]
        if tagged:
            found["volumes"] = tagged
        # A Ceph base snapshot kept for the next changed-block backup (tagged ``storage_backup_base``, and a group
        # snapshot its members name) is not temporary; every other snapshot is.
        snapshots = list(cloud.block_storage.snapshots(all_projects=True))
        kept_groups = {(s.metadata or {}).get(BASE_GROUP_TAG) for s in snapshots if base_of(s)}
        temporary = [s for s in snapshots if not base_of(s)]
        if temporary:
            found["snapshots"] = [f"{s.id} {s.name} {s.status}" for s in temporary]
        group_snapshots = [g for g in cloud.block_storage.group_snapshots(all_projects=True) if g.id not in kept_groups]
        if group_snapshots:
            found["group_snapshots"] = [g.id for g in group_snapshots]
        images = [f"{i.id} {i.name} {i.status}" for i in cloud.image.images()
                  if (i.name or "").startswith(TEMPORARY_PREFIX) or job_of(i)]
        if images:
            found["images"] = images
        for zone, proxy_id in self.proxy_servers.items():
            nova_side = list(cloud.compute.volume_attachments(proxy_id))
            cinder_side = [v.id for v in volumes if any(a.get("server_id") == proxy_id for a in v.attachments or [])]
            if nova_side or cinder_side:
                found[f"attached to proxy {zone}"] = {"nova": [a.volume_id for a in nova_side],
                                                      "cinder": cinder_side}
        return found

    # -- jobs ---------------------------------------------------------------------------------------------------------

    def destination(self, encrypted: bool = False) -> dict:
        return {"id": "dest-test", "type": "filesystem", "path": self.repository, "encrypted": encrypted}

    def send(self, task: str, request: dict, zone: str):
        """Send ``task`` to the proxy of ``zone`` (or to the data workers: ``zone`` ``data``)."""
        request = dict(request)
        request.setdefault("job_id", str(uuid.uuid4()))
        queue = DATA_QUEUE if zone == DATA_QUEUE else f"proxy.{zone}"
        # Its secrets sealed to the key of the worker serving the queue, as the control plane seals them.
        worker = self.data_worker if queue == DATA_QUEUE else self.workers.get(zone)
        recipients = [worker.public_key] if worker is not None else []
        message = contract.seal(request, contract.spec_of(task).request, recipients) if recipients else request
        return self.celery.send_task(task, args=[message], queue=queue, task_id=request["job_id"])

    def wait(self, async_result, timeout: float = 240, on_progress=None) -> JobOutcome:
        """Follow a task to its end, collecting every distinct PROGRESS report seen on the way."""
        deadline = time.monotonic() + timeout
        progress: list[dict] = []
        while time.monotonic() < deadline:
            # State and report read together: read one after the other, the task could end in between and its
            # result be taken for a PROGRESS report.
            meta = async_result.backend.get_task_meta(async_result.id)
            state, info = meta["status"], meta.get("result")
            if state == "PROGRESS":
                if isinstance(info, dict) and (not progress or progress[-1] != info):
                    progress.append(info)
                    if on_progress is not None:
                        on_progress(info)
            if state in ("SUCCESS", "FAILURE", "REVOKED"):
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"task {async_result.id} did not finish in {timeout} s (state {async_result.state})")
        if async_result.state == "SUCCESS":
            return JobOutcome("SUCCESS", async_result.result, None, progress)
        return JobOutcome(async_result.state, None, async_result.result, progress)

    def run(self, task: str, request: dict, zone: str, expect: str = "SUCCESS", **wait_options) -> JobOutcome:
        outcome = self.wait(self.send(task, request, zone), **wait_options)
        if expect and outcome.state != expect:
            raise AssertionError(f"{task} ended {outcome.state}: {outcome.code}: {outcome.error}\n"
                                 f"--- worker {zone} log ---\n{self.worker_log(zone)}")
        return outcome

    def backup(self, server, strategy: str = "incremental", zone: str | None = None, **extra) -> JobOutcome:
        """Back up ``server`` (openstacksdk's ``Server``) through its zone's proxy worker."""
        zone = zone or server.availability_zone
        expect = extra.pop("expect", "SUCCESS")
        request = {"project_id": server.project_id, "instance_id": server.id, "strategy": strategy,
                   "destination": self.destination(extra.pop("encrypted", False)),
                   "repository_secret": extra.pop("repository_secret", None),
                   "labels": {"policy_id": "policy-test", "project_id": server.project_id,
                              "instance_id": server.id},
                   "retention_lock_until": None, "pre_command": None, "post_command": None}
        request.update(extra)
        return self.run("proxy.backup_instance", request, zone, expect=expect)

    def restore_request(self, restore_point_id: str, project_id: str, **options) -> dict:
        request = {"project_id": project_id, "restore_point_id": restore_point_id,
                   "destination": self.destination(options.pop("encrypted", False)),
                   "repository_secret": options.pop("repository_secret", None), "name": None,
                   "availability_zone": None, "flavor_id": None, "network_mapping": {}, "volume_types": {},
                   "volumes": []}
        request.update(options)
        return request

    def delete_server_and_volumes(self, server, cloud: Cloud | None = None) -> list[str]:
        """What a tenant does to lose an instance: delete the server, then its volumes."""
        from storage_backup.cloud.waiting import wait_server_deleted, wait_volume, wait_volume_deleted

        cloud = cloud or self.demo
        volume_ids = [a.volume_id for a in cloud.compute.volume_attachments(server.id)]
        cloud.compute.delete_server(server.id)
        wait_server_deleted(self.service, server.id, timeout=60)
        for volume_id in volume_ids:
            wait_volume(self.service, volume_id, "available", timeout=60)
            cloud.block_storage.delete_volume(volume_id)
            wait_volume_deleted(self.service, volume_id, timeout=60)
        return volume_ids
