# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the control plane's tests (the conftests of tests/functional/control and tests/functional/rest).

Real processes throughout: the REST API (``ControlApiProcess``), the control worker, a stand-in proxy worker
(``tests.support.fake_proxy``), the real data worker (``DataWorkerProcess``: verify, delete, prune, lock, rebuild on
real repositories) and the real ``proxy.ping`` worker, over the session's Redis and embedded cloud.
"""
from __future__ import annotations

import os
import sys
import time
import uuid
from dataclasses import dataclass, field

import pytest
from storage_backup.proxy import worker_key
from storage_backup_sandbox.launch import (
    ControlApiProcess,
    ControlBeatProcess,
    ControlWorkerProcess,
    DataWorkerProcess,
    ManagedProcess,
    SandboxProcess,
    control_env,
)

from tests.support import plane

USERS = ("demo-member", "demo-reader", "alt-member", "admin")


@pytest.fixture(autouse=True, scope="session")
def catalog_access(request):
    """pytest-django blocks the database outside ``django_db`` tests; these tests share a live catalog instead."""
    try:
        blocker = request.getfixturevalue("django_db_blocker")
    except pytest.FixtureLookupError:
        yield
        return
    if blocker is None:
        yield
        return
    with blocker.unblock():
        yield


def point_settings_at(redis_url: str, clouds_yaml: str, cloud: str = "sandbox-service") -> None:
    """The in-process service layer uses the same broker and service account as the processes."""
    from django.conf import settings
    from storage_backup.services import bus, inventory

    settings.BROKER_URL = settings.RESULT_URL = redis_url
    settings.KEYSTONE["cloud"] = cloud
    os.environ["OS_CLIENT_CONFIG_FILE"] = clouds_yaml
    bus.celery_app.cache_clear()
    bus.redis_client.cache_clear()
    inventory.reset_session()


@dataclass
class ControlPlane:
    sandbox: object
    redis_url: str
    env: dict
    log_dir: str
    api: ControlApiProcess
    destination_id: str = ""
    _clients: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.api.url

    def client(self, user: str = "demo-member"):
        from storage_backup_dashboard.client import BackupClient

        if user not in self._clients:
            self._clients[user] = BackupClient(self.sandbox.session(user), endpoint=self.url)
        return self._clients[user]

    def token(self, user: str) -> str:
        return self.client(user).session.get_token()

    def project_id(self, user: str) -> str:
        return self.client(user).session.get_project_id()


@pytest.fixture(scope="session")
def control_sandbox(tmp_path_factory):
    """The control plane's own embedded cloud: its tests raise quotas and add networks to ``demo``, which must not
    leak into the session-wide ``sandbox`` other suites assert defaults on."""
    from tests.conftest import SandboxHandle

    with SandboxProcess(str(tmp_path_factory.mktemp("control-sandbox")), seed="base").start() as process:
        yield SandboxHandle(process)


@pytest.fixture(scope="session")
def control_plane(redis_server, control_sandbox, tmp_path_factory):
    sandbox = control_sandbox
    state = plane.configure()
    log_dir = str(tmp_path_factory.mktemp("control-logs"))
    point_settings_at(redis_server.url, sandbox.clouds_yaml)
    env = control_env(state["env"]["STORAGE_BACKUP_DATA_DIR"], redis_server.url, sandbox.clouds_yaml,
                      database_url=state["env"].get("STORAGE_BACKUP_DATABASE_URL"), extra=state["env"])
    with ControlApiProcess(env, log_dir).start() as api:
        handle = ControlPlane(sandbox, redis_server.url, env, log_dir, api)
        repo = tmp_path_factory.mktemp("repository")
        handle.destination_id = handle.client("admin").destination_create(name="shared-fs", path=str(repo))["id"]
        yield handle


@pytest.fixture(scope="session")
def control_worker(control_plane):
    """The control worker and celery beat feeding it (tick and heartbeat every second in the tests)."""
    with ControlWorkerProcess(control_plane.env, control_plane.log_dir).start() as worker, \
            ControlBeatProcess(control_plane.env, control_plane.log_dir).start():
        yield worker


class FakeProxyProcess(ManagedProcess):
    """``tests.support.fake_proxy`` as a real Celery worker consuming ``proxy.<az>``."""

    def __init__(self, env: dict, log_dir: str, availability_zone: str = "nova"):
        self.queue = f"proxy.{availability_zone}"
        self.key_name = f"fake-proxy-{availability_zone}"
        self.key_file = os.path.join(log_dir, "keys", f"{self.key_name}.key")
        worker_key.create(self.key_file)
        worker_env = dict(env, STORAGE_BACKUP_PROXY_AZ=availability_zone, STORAGE_BACKUP_PROXY_KEY_FILE=self.key_file)
        argv = [sys.executable, "-m", "celery", "-A", "tests.support.fake_proxy", "worker", "-Q", self.queue,
                "-n", f"fake-proxy-{availability_zone}-{uuid.uuid4().hex[:6]}@%h", "--concurrency", "2",
                "--loglevel", "INFO"]
        super().__init__(argv, os.path.join(log_dir, f"fake-proxy-{availability_zone}.log"), env=worker_env)

    ready_marker = b" ready."
    ready_interval = 0.2

    def describe(self) -> str:
        return f"fake proxy on {self.queue}"

    @property
    def public_key(self) -> str:
        return worker_key.public_keys(self.key_file)[0]


def enrol(worker) -> None:
    """Enrol the worker's key for its queue as an administrator would (this process holds the catalog)."""
    from storage_backup.services import proxy_keys
    from storage_backup.services.context import SYSTEM

    proxy_keys.enrol(SYSTEM, worker.key_name, worker.queue, worker.public_key)


@pytest.fixture(scope="session")
def fake_proxy(control_plane):
    """A stand-in proxy in AZ ``nova`` that the control plane has seen (heartbeat recorded)."""
    from storage_backup.control import heartbeat

    with FakeProxyProcess(control_plane.env, control_plane.log_dir, "nova").start() as worker:
        enrol(worker)
        answered = heartbeat.beat(wait=15, zones=["nova"])
        assert answered["nova"], "the fake proxy did not answer proxy.ping"
        yield worker


@pytest.fixture(scope="session")
def data_worker(control_plane):
    """The real data worker (queue ``data``), on the session's Redis; destinations are the tests' own directories."""
    with DataWorkerProcess(control_plane.redis_url, control_plane.log_dir).start() as worker:
        enrol(worker)
        keep_data_worker_up()
        yield worker


def keep_data_worker_up() -> None:
    """Refresh the heartbeat of the data workers (the tests' down-after is a few seconds)."""
    from storage_backup.control import heartbeat

    answered = heartbeat.beat(wait=10, zones=[], data=True)
    assert answered.get("data"), "no data worker answered data.ping"


def run_jobs(*job_ids: str, timeout: float = 60) -> list:
    """Send the jobs and record their results, as the control worker does, until each has ended."""
    from storage_backup.catalog.models import ACTIVE_JOB_STATES, Job
    from storage_backup.services import dispatch, tracking

    deadline = time.time() + timeout
    heard = 0.0
    while True:
        if time.time() - heard > 2:  # the tests' down-after is 5 s
            keep_data_worker_up()
            heard = time.time()
        dispatch.dispatch_ready()
        jobs = [tracking.refresh(job) for job in Job.objects.filter(id__in=job_ids)]
        if all(job.state not in ACTIVE_JOB_STATES for job in jobs) and len(jobs) == len(job_ids):
            return sorted(jobs, key=lambda job: job_ids.index(job.id))
        if time.time() > deadline:
            raise AssertionError(f"jobs not ended after {timeout} s: "
                                 + "; ".join(f"{job.id} {job.state} {job.waiting_reason}" for job in jobs))
        time.sleep(0.2)


def keep_proxy_up(zone: str = "nova") -> None:
    """Refresh the heartbeat of the zone's proxies (the tests' down-after is a few seconds)."""
    from storage_backup.control import heartbeat

    heartbeat.beat(wait=10, zones=[zone])


def wait_until(predicate, timeout: float = 30, interval: float = 0.2, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
