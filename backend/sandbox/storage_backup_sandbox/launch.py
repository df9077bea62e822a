# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Start the product's processes on this machine: Redis, the embedded cloud, the proxy and data workers, the control
plane and Horizon.

Used by ``make demo`` and by the test fixtures, so both start things the same way: on 127.0.0.1, on free ports,
never touching services already listening on the standard ones, and stopping what they started.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

from storage_backup_sandbox import loopback_guard
from storage_backup_sandbox.rbd_store import RbdSettings

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# How often the product's waits look at a resource here (STORAGE_BACKUP_POLL_INTERVAL): the embedded cloud moves a
# resource on within a tenth of a second, where a real cloud takes seconds (the product's default is 2 s).
SANDBOX_POLL_INTERVAL = "0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_range(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports (Ceph's daemons bind within a range)."""
    for _ in range(200):
        first = free_port()
        if first + count > 65000:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1, process: subprocess.Popen | None = None,
             log_path: str | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it was ready"
                               + (f"; see {log_path}:\n{_tail(log_path)}" if log_path else ""))
        time.sleep(interval)
    raise TimeoutError(f"{what} was not ready after {timeout:.0f} s" + (f"; see {log_path}" if log_path else ""))


def _tail(path: str, lines: int = 30) -> str:
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


class ManagedProcess:
    """A child process with its log file; ``stop`` ends it and its children (own process group).

    Starting is two steps, ``spawn`` (the process is started) and ``wait_ready`` (it answers), so that several can
    start at once (``start_together``); ``start`` does both. A subclass says when it is ready: ``ready_marker``, a
    line it logs (Celery's " ready."), or its own ``_ready``; and prepares with ``_prepare``.
    """

    name = "process"
    ready_timeout = 60.0
    ready_interval = 0.1
    ready_marker: bytes | None = None

    def __init__(self, argv: Sequence[str], log_path: str, env: dict | None = None, cwd: str | None = None):
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.cwd = cwd or REPO_ROOT
        self.process: subprocess.Popen | None = None
        self._log_offset = 0

    def describe(self) -> str:
        """What the process is, for a timeout's message."""
        return self.name

    def _prepare(self) -> None:
        """Before the process starts: only what it logs from now on says it is ready."""
        self._log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0

    def _ready(self) -> bool:
        return self.ready_marker is None or _logged(self.log_path, self._log_offset, self.ready_marker)

    def spawn(self) -> ManagedProcess:
        self._prepare()
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        log = open(self.log_path, "ab")
        # Every Python process started here runs with the loopback guard (a violation is logged beside its log).
        env = loopback_guard.child_environment(
            self.env if self.env is not None else os.environ,
            os.path.join(os.path.dirname(os.path.abspath(self.log_path)), "loopback-violations.log"))
        self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=env, cwd=self.cwd, start_new_session=True)
        log.close()
        return self

    def wait_ready(self, timeout: float | None = None) -> ManagedProcess:
        wait_for(self._ready, timeout or self.ready_timeout, self.describe(), process=self.process,
                 log_path=self.log_path, interval=self.ready_interval)
        return self

    def start(self, timeout: float | None = None) -> ManagedProcess:
        return self.spawn().wait_ready(timeout)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        """Ask the process and its children to end (SIGTERM); ``stop`` waits for it."""
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 10) -> None:
        if not self.alive():
            return
        self.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def stop_together(*processes: ManagedProcess, timeout: float = 10) -> None:
    """Stop ``processes`` at once: every one is asked to end first, then each is waited for (and killed after
    ``timeout``), so their shutdowns overlap instead of adding up."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop(timeout)


def start_together(*processes: ManagedProcess, timeout: float | None = None) -> list[ManagedProcess]:
    """Start ``processes`` at once and wait until each is ready (their imports and start-up overlap instead of
    adding up); if one does not come up, stop them all and raise."""
    try:
        for process in processes:
            process.spawn()
        for process in processes:
            process.wait_ready(timeout)
    except BaseException:
        stop_together(*processes)
        raise
    return list(processes)


class RedisProcess(ManagedProcess):
    """A private ``redis-server`` (the Debian binary) on a free loopback port, keeping nothing on disk."""

    name = "redis"

    def __init__(self, work_dir: str, port: int | None = None):
        self.port = port or free_port()
        self.work_dir = work_dir
        os.makedirs(work_dir, exist_ok=True)
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        argv = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
                "--dir", work_dir, "--daemonize", "no", "--protected-mode", "yes"]
        super().__init__(argv, os.path.join(work_dir, "redis.log"))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    ready_timeout = 20.0

    def describe(self) -> str:
        return f"redis-server on port {self.port}"

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class SandboxProcess(ManagedProcess):
    """The embedded cloud as its own process (``python -m storage_backup_sandbox``), on a free port."""

    name = "sandbox"

    def __init__(self, state_dir: str, port: int | None = None, seed: str = "base", transition_delay: float = 0.1,
                 python: str | None = None, rbd: RbdSettings | None = None):
        """``rbd``: keep volumes and snapshots as RBD images in that Ceph pool (``rbd_store``) instead of files."""
        self.state_dir = os.path.abspath(state_dir)
        self.port = port or free_port()
        self.rbd = rbd
        argv = [python or sys.executable, "-m", "storage_backup_sandbox", "--port", str(self.port),
                "--state-dir", self.state_dir, "--seed", seed, "--transition-delay", str(transition_delay)]
        env = rbd.process_environ(os.environ) if rbd is not None else None  # None: this process's environment
        super().__init__(argv, os.path.join(self.state_dir, "sandbox.log"), env=env)

    @property
    def volume_backend(self) -> str:
        """``rbd`` or ``file`` (what ``SANDBOX_VOLUME_BACKEND`` says when no ``rbd`` settings were given)."""
        return "rbd" if self.rbd is not None else os.environ.get("SANDBOX_VOLUME_BACKEND", "file")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/identity/v3"

    @property
    def clouds_yaml(self) -> str:
        return os.path.join(self.state_dir, "clouds.yaml")

    ready_timeout = 120.0

    @property
    def endpoint_file(self) -> str:
        return os.path.join(self.state_dir, "sandbox.json")

    def describe(self) -> str:
        return f"embedded cloud on port {self.port}"

    def _prepare(self) -> None:
        os.makedirs(self.state_dir, exist_ok=True)
        if os.path.exists(self.endpoint_file):
            os.unlink(self.endpoint_file)

    def _ready(self) -> bool:
        return os.path.exists(self.endpoint_file) and http_ok(self.url + "/_sandbox/health")

    def wait_ready(self, timeout: float | None = None) -> SandboxProcess:
        super().wait_ready(timeout)
        with open(self.endpoint_file) as handle:
            assert json.load(handle)["url"] == self.url
        return self


class CeleryWorkerProcess(ManagedProcess):
    """What a proxy worker and a data worker share: a queue, a key file whose public key a deployment enrols, and
    readiness as Celery reports it."""

    queue: str
    key_file: str

    @property
    def public_key(self) -> str:
        return worker_public_key(self.key_file)

    # Celery prints "<node name> ready." once its consumer is connected and the pool started.
    ready_marker = b" ready."
    ready_interval = 0.2

    def describe(self) -> str:
        return f"celery worker for {self.queue}"


class WorkerProcess(CeleryWorkerProcess):
    """A proxy worker: ``celery -A storage_backup.celery_app worker`` consuming the queue ``proxy.<az>`` of one AZ.

    In a real cloud it runs inside the proxy VM of that AZ and ``device_root`` is ``/``; here it is the sandbox's
    view of the proxy server (``<state>/servers/<server id>``), whose ``dev/disk/by-id`` holds attached volumes.
    """

    name = "worker"

    def __init__(self, availability_zone: str, broker_url: str, log_dir: str, proxy_server_id: str = "",
                 device_root: str = "", clouds_yaml: str | None = None, cloud: str = "sandbox-service",
                 concurrency: int = 2, python: str | None = None, extra_env: dict | None = None):
        self.availability_zone = availability_zone
        self.queue = f"proxy.{availability_zone}"
        self.node_name = f"proxy-{availability_zone}@{socket.gethostname()}"
        env = dict(os.environ)
        # A proxy has no catalog database: without this, Celery's Django fix-up would set up whatever Django the
        # parent process (a control-plane test, say) was configured with.
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update({
            "STORAGE_BACKUP_BROKER_URL": broker_url,
            "STORAGE_BACKUP_PROXY_AZ": availability_zone,
            "STORAGE_BACKUP_PROXY_SERVER_ID": proxy_server_id,
            "STORAGE_BACKUP_DEVICE_ROOT": device_root,
            "OS_CLOUD": cloud,
            "PYTHONUNBUFFERED": "1",
        })
        env.setdefault("STORAGE_BACKUP_POLL_INTERVAL", SANDBOX_POLL_INTERVAL)
        if clouds_yaml:
            env["OS_CLIENT_CONFIG_FILE"] = clouds_yaml
        env.update(extra_env or {})
        self.key_name = f"proxy-{availability_zone}"
        self.key_file = _worker_key(env, log_dir, self.key_name)
        argv = [python or sys.executable, "-m", "celery", "-A", "storage_backup.celery_app", "worker", "-Q", self.queue,
                "-n", f"proxy-{availability_zone}@%h", "--concurrency", str(concurrency), "--loglevel", "INFO"]
        super().__init__(argv, os.path.join(log_dir, f"worker-{availability_zone}.log"), env=env)



def _worker_key(env: dict, log_dir: str, name: str) -> str:
    """The worker's key file (docs/TASKS.md "Sealed secrets"): ``STORAGE_BACKUP_PROXY_KEY_FILE`` when the caller set
    it, else ``<log dir>/keys/<name>.key``; made now (0600), as a deployment makes a proxy's key before enrolling it,
    so its public key is known before the worker starts."""
    from storage_backup.proxy import worker_key

    path = env.get(worker_key.KEY_FILE_ENV) or os.path.join(os.path.abspath(log_dir), "keys", f"{name}.key")
    env[worker_key.KEY_FILE_ENV] = path
    worker_key.create(path)
    return path


def worker_public_key(key_file: str) -> str:
    """The public key to enrol for the worker whose key file this is (its newest key)."""
    from storage_backup.proxy import worker_key

    return worker_key.public_keys(key_file)[0]


def enrol_worker_keys(env: dict, workers: Sequence[ManagedProcess], python: str | None = None) -> None:
    """Enrol the workers' public keys in the catalog as a deployment tool does, with the administrator's command on
    the control host (``python -m django proxy_keys enrol``): the only way a key is trusted, never over Redis. Run
    after the catalog's migrations (the API process applies them). Enrolling a key twice is harmless."""
    for worker in workers:
        argv = [python or sys.executable, "-m", "django", "proxy_keys", "enrol", worker.key_name,
                "--queue", worker.queue, "--public-key", worker.public_key]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"enrolling the key of {worker.key_name} failed ({done.returncode}): "
                               f"{done.stderr[-2000:]}")


class CephDiffWorkerProcess(CeleryWorkerProcess):
    """The diff worker beside Ceph: ``celery -A storage_backup.celery_app worker -Q ceph``, answering the proxies'
    changed-extent questions (``ceph.diff``) with its read-only cephx user. It needs Debian's ``rbd``/``rados``
    modules (``ceph_pythonpath``: the folder tools/ceph/start.sh links them into) and no cloud, catalog or
    repository."""

    name = "ceph-diff-worker"

    def __init__(self, broker_url: str, log_dir: str, ceph_conf: str, pools: Sequence[str], client: str = "admin",
                 keyring: str = "", ceph_pythonpath: str = "", timeout: float = 10.0, python: str | None = None,
                 extra_env: dict | None = None, node: str = "ceph"):
        self.queue = "ceph"
        self.node_name = f"{node}@{socket.gethostname()}"
        env = dict(os.environ)
        for name in ("DJANGO_SETTINGS_MODULE", "OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "STORAGE_BACKUP_CLOUD"):
            env.pop(name, None)
        env.update({"STORAGE_BACKUP_BROKER_URL": broker_url, "PYTHONUNBUFFERED": "1",
                    "STORAGE_BACKUP_CEPH_CONF": ceph_conf, "STORAGE_BACKUP_CEPH_POOLS": ",".join(pools),
                    "STORAGE_BACKUP_CEPH_CLIENT": client, "STORAGE_BACKUP_CEPH_KEYRING": keyring,
                    "STORAGE_BACKUP_CEPH_TIMEOUT": str(timeout)})
        if ceph_pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [ceph_pythonpath, env.get("PYTHONPATH", "")]))
        env.update(extra_env or {})
        self.key_name = node
        self.key_file = _worker_key(env, log_dir, node)
        argv = [python or sys.executable, "-m", "celery", "-A", "storage_backup.celery_app", "worker", "-Q", self.queue,
                "-n", f"{node}@%h", "--concurrency", "2", "--loglevel", "INFO"]
        super().__init__(argv, os.path.join(log_dir, f"{node}-worker.log"), env=env)


class DataWorkerProcess(CeleryWorkerProcess):
    """A data worker: ``celery -A storage_backup.celery_app worker -Q data`` (verify, delete, prune, retention locks,
    listing for a catalog rebuild). It mounts every destination, below ``repository_root`` (``/`` in a real
    deployment; here the directory the test or the demo keeps repositories in), and needs neither a cloud account
    nor the catalog, so it gets neither."""

    name = "data-worker"

    def __init__(self, broker_url: str, log_dir: str, repository_root: str = "", concurrency: int = 2,
                 python: str | None = None, extra_env: dict | None = None, node: str = "data"):
        self.queue = "data"
        self.node_name = f"{node}@{socket.gethostname()}"
        env = dict(os.environ)
        for name in ("DJANGO_SETTINGS_MODULE", "OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "STORAGE_BACKUP_CLOUD"):
            env.pop(name, None)
        env.update({"STORAGE_BACKUP_BROKER_URL": broker_url, "PYTHONUNBUFFERED": "1"})
        if repository_root:
            env["STORAGE_BACKUP_REPOSITORY_ROOT"] = os.path.abspath(repository_root)
        env.update(extra_env or {})
        self.key_name = node
        self.key_file = _worker_key(env, log_dir, node)
        argv = [python or sys.executable, "-m", "celery", "-A", "storage_backup.celery_app", "worker", "-Q", self.queue,
                "-n", f"{node}@%h", "--concurrency", str(concurrency), "--loglevel", "INFO"]
        super().__init__(argv, os.path.join(log_dir, f"{node}-worker.log"), env=env)



class HorizonProcess(ManagedProcess):
    """Stock Horizon with this plugin (``tools/horizon/serve.py``), logging in through ``keystone_url``."""

    name = "horizon"

    def __init__(self, state_dir: str, keystone_url: str, port: int | None = None, python: str | None = None,
                 static_cache: str | None = None, extra_env: dict | None = None):
        self.state_dir = os.path.abspath(state_dir)
        self.port = port or free_port()
        self.keystone_url = keystone_url
        argv = [python or sys.executable, os.path.join(REPO_ROOT, "tools", "horizon", "serve.py"),
                "--port", str(self.port), "--keystone-url", keystone_url, "--state-dir", self.state_dir]
        if static_cache:
            argv += ["--static-cache", static_cache]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("DJANGO_SETTINGS_MODULE", None)  # serve.py runs Horizon's own settings module
        env.update(extra_env or {})
        super().__init__(argv, os.path.join(self.state_dir, "horizon.log"), env=env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # The first start of a new Horizon version also collects and compresses its static files.
    ready_timeout = 300.0
    ready_interval = 0.2

    def describe(self) -> str:
        return f"Horizon on port {self.port}"

    def _prepare(self) -> None:
        os.makedirs(self.state_dir, exist_ok=True)

    def _ready(self) -> bool:
        return http_ok(self.url + "/auth/login/")


def control_env(data_dir: str, broker_url: str, clouds_yaml: str | None = None, cloud: str = "sandbox-service",
                database_url: str | None = None, extra: dict | None = None) -> dict:
    """The environment of the control plane's processes (REST API, control worker, beat): one catalog, one broker,
    the backup service account from ``clouds_yaml``/``cloud`` (the sandbox writes both)."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "storage_backup.settings",
        "STORAGE_BACKUP_DATA_DIR": os.path.abspath(data_dir),
        "STORAGE_BACKUP_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
    })
    env.setdefault("STORAGE_BACKUP_POLL_INTERVAL", SANDBOX_POLL_INTERVAL)
    if clouds_yaml:
        env.update(OS_CLIENT_CONFIG_FILE=clouds_yaml, STORAGE_BACKUP_CLOUD=cloud)
    if database_url:
        env["STORAGE_BACKUP_DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


class ControlApiProcess(ManagedProcess):
    """The REST API (``python -m storage_backup.rest --migrate``) on a free loopback port; applies migrations first."""

    name = "control-api"

    def __init__(self, env: dict, log_dir: str, port: int | None = None, python: str | None = None):
        self.port = port or free_port()
        self.endpoint_file = os.path.join(log_dir, f"control-api-{self.port}.json")
        argv = [python or sys.executable, "-m", "storage_backup.rest", "--port", str(self.port), "--migrate",
                "--endpoint-file", self.endpoint_file]
        super().__init__(argv, os.path.join(log_dir, "control-api.log"), env=env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        return f"storage backup API on port {self.port}"

    def _prepare(self) -> None:
        if os.path.exists(self.endpoint_file):
            os.unlink(self.endpoint_file)

    def _ready(self) -> bool:
        return os.path.exists(self.endpoint_file) and http_ok(self.url + "/v1/")


class ControlWorkerProcess(ManagedProcess):
    """The control worker: ``celery -A storage_backup.control.worker worker -Q control`` (scheduler, retention, sweeper,
    heartbeats, job tracking). Run the catalog migrations first (the API process does)."""

    name = "control-worker"

    def __init__(self, env: dict, log_dir: str, concurrency: int = 2, python: str | None = None):
        argv = [python or sys.executable, "-m", "celery", "-A", "storage_backup.control.worker", "worker",
                "-Q", "control",
                "-n", "control@%h", "--concurrency", str(concurrency), "--loglevel", "INFO"]
        super().__init__(argv, os.path.join(log_dir, "control-worker.log"), env=env)

    ready_marker = b" ready."
    ready_interval = 0.2

    def describe(self) -> str:
        return "control worker"


class ControlBeatProcess(ManagedProcess):
    """celery beat feeding the control queue (tick, heartbeat, retention, sweeper; periods from the env)."""

    name = "control-beat"

    def __init__(self, env: dict, log_dir: str, python: str | None = None):
        schedule = os.path.join(env.get("STORAGE_BACKUP_DATA_DIR", log_dir), "beat-schedule")
        argv = [python or sys.executable, "-m", "celery", "-A", "storage_backup.control.worker", "beat", "--schedule",
                schedule, "--loglevel", "INFO"]
        super().__init__(argv, os.path.join(log_dir, "control-beat.log"), env=env)

    ready_marker = b"beat: Starting"
    ready_interval = 0.2

    def describe(self) -> str:
        return "celery beat"


def _logged(path: str, offset: int, marker: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return marker in handle.read()
    except OSError:
        return False


class Supervisor:
    """Keeps processes running the way systemd keeps a service (``Restart=on-failure`` with a growing
    ``RestartSec``): a process that exits is logged, what is left of its process group is killed (systemd's
    ``KillMode=control-group``: a Celery pool child orphaned by its killed main process must not run on unseen), and
    it is started again after a backoff that doubles per quick failure up to ``max_delay`` and resets once the
    process has run for ``stable_after`` seconds.

    ``check()`` does one round (the demo calls it from its loop); ``start()`` runs rounds in a thread (the tests).
    Redis is supervised like the rest: it comes back on the same port, empty, and the workers and the control plane
    reconnect on their own; what was queued in it is found lost and sent again by the control plane.
    """

    def __init__(self, processes: Sequence[ManagedProcess] = (), *, base_delay: float = 0.5, max_delay: float = 30.0,
                 stable_after: float = 30.0, log=None) -> None:
        import threading

        self.processes: list[ManagedProcess] = list(processes)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.stable_after = stable_after
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.restarts: dict[int, int] = {}  # id(process) -> restarts so far
        self._failures: dict[int, int] = {}
        self._started_at: dict[int, float] = {id(p): time.time() for p in self.processes}
        self._due: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, *processes: ManagedProcess) -> None:
        with self._lock:
            for process in processes:
                if process not in self.processes:
                    self.processes.append(process)
                    self._started_at[id(process)] = time.time()

    def forget(self, process: ManagedProcess) -> None:
        """Stop watching ``process`` (a test that stops one on purpose)."""
        with self._lock:
            if process in self.processes:
                self.processes.remove(process)
            self._due.pop(id(process), None)

    def restart_count(self, process: ManagedProcess) -> int:
        return self.restarts.get(id(process), 0)

    def delay(self, failures: int) -> float:
        """The wait before restart number ``failures`` of a process that keeps failing (1, 2, …)."""
        return min(self.max_delay, self.base_delay * 2 ** max(failures - 1, 0))

    def check(self) -> list[ManagedProcess]:
        """One round: note the processes that exited, restart those whose backoff is over. Returns those restarted."""
        restarted = []
        now = time.time()
        with self._lock:
            processes = list(self.processes)
        for process in processes:
            key = id(process)
            if process.alive():
                if now - self._started_at.get(key, now) >= self.stable_after:
                    self._failures[key] = 0
                continue
            if key not in self._due:
                code = process.process.returncode if process.process is not None else None
                self._kill_group(process)
                failures = self._failures.get(key, 0) + 1
                self._failures[key] = failures
                wait = self.delay(failures)
                self._due[key] = now + wait
                self.log(f"supervisor: {process.describe()} exited (code {code}); restarting in {wait:.1f} s "
                         f"(see {process.log_path})")
                continue
            if now < self._due[key]:
                continue
            del self._due[key]
            try:
                process.start()
            except Exception as error:  # it failed to come up: the next round counts another failure
                self.log(f"supervisor: {process.describe()} did not come back: {error}")
                self._kill_group(process)
                continue
            self._started_at[key] = time.time()
            self.restarts[key] = self.restarts.get(key, 0) + 1
            pid = process.process.pid if process.process is not None else "?"
            self.log(f"supervisor: {process.describe()} restarted (pid {pid}, restart {self.restarts[key]})")
            restarted.append(process)
        return restarted

    @staticmethod
    def _kill_group(process: ManagedProcess) -> None:
        if process.process is None:
            return
        try:
            os.killpg(process.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def start(self, interval: float = 0.2) -> Supervisor:
        import threading

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.check()
                except Exception as error:  # the supervisor itself must keep going
                    self.log(f"supervisor: {error}")

        self._thread = threading.Thread(target=run, name="supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop supervising (the processes keep running; stop them as usual)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
