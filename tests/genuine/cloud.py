# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The genuine OpenStack 2024.1 services on this machine: bring-up, state and stop, for the ``genuine`` test tier.

``GenuineCloud(base_dir).start()`` installs what is missing (``tools/genuine/install.sh``: Debian packages, and a
virtualenv of Keystone 25, Glance 28, Cinder 24, Nova 29 and Placement 11 pinned by 2024.1's upper-constraints,
cached across runs), then starts on free loopback ports: a private MariaDB and RabbitMQ (own ports, node name, epmd,
data dirs), a one-node Ceph (``tools/ceph/start.sh``: mon, osd on a sparse bluestore file, mgr; pool ``volumes``)
whose pool ``rbd-fuse`` exposes as files, and the services (each API under gunicorn; Cinder's scheduler and one RBD
volume backend per availability zone; Nova's conductor, scheduler and one compute per zone running
``tools/genuine/virt``'s device-view driver). ``seed.py`` then makes the projects, users, catalog, zones, flavors,
image, network and the proxy servers, and writes ``clouds.yaml``. Everything it started is recorded in
``state.json`` and stopped by pid (``stop``, or ``python -m tests.genuine.cloud stop BASE``).

Nothing here touches a service already on the machine: every port is a free one, MariaDB runs with
``--no-defaults``, RabbitMQ with its own epmd port, and nothing listens beyond 127.0.0.1.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

from storage_backup_sandbox import rbd_fuse
from storage_backup_sandbox.launch import REPO_ROOT, ManagedProcess, free_port, free_range, http_ok, wait_for

from tests.genuine import configs
from tests.support.plane import MariaDBProcess
from tests.support.rabbitmq import amqp_ready

ZONES = ("nova", "az2")
INSTALL = os.path.join(REPO_ROOT, "tools", "genuine", "install.sh")
CEPH_START = os.path.join(REPO_ROOT, "tools", "ceph", "start.sh")
CEPH_STOP = os.path.join(REPO_ROOT, "tools", "ceph", "stop.sh")
VIRT_DIR = os.path.join(REPO_ROOT, "tools", "genuine", "virt")
SANDBOX_DIR = os.path.join(REPO_ROOT, "backend", "sandbox")
DATABASES = ("keystone", "glance", "cinder", "nova", "nova_api", "nova_cell0", "placement", "neutron")
# Generous: other work shares these two cores, and a cold start of every service imports a lot.
START_TIMEOUT = float(os.environ.get("STORAGE_BACKUP_GENUINE_START_TIMEOUT", "300"))


def log(message: str) -> None:
    print(f"[genuine] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def install() -> str:
    """The cached virtualenv of the services (``tools/genuine/install.sh`` installs it when missing)."""
    result = subprocess.run(["bash", INSTALL], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"tools/genuine/install.sh failed:\n{result.stderr[-4000:]}")
    return result.stdout.strip().splitlines()[-1]


def stop_pid(pid: int, timeout: float = 15) -> None:
    """SIGTERM the process group ``pid`` leads (every service runs in its own session), then SIGKILL."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        _reap(pid)
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


class GenuineCloud:
    """The genuine services under ``base_dir``; ``start`` brings them up, ``stop`` ends them (by pid)."""

    def __init__(self, base_dir: str, venv: str | None = None) -> None:
        self.base = os.path.abspath(base_dir)
        self.venv = venv
        self.ports: dict[str, int] = {}
        self.pids: dict[str, int] = {}
        self.processes: dict[str, ManagedProcess] = {}
        self.timings: dict[str, float] = {}
        self.meta: dict = {}
        self.mariadb: MariaDBProcess | None = None

    # -- paths and urls ----------------------------------------------------------------------------------------------

    @property
    def state_file(self) -> str:
        return os.path.join(self.base, "state.json")

    @property
    def clouds_yaml(self) -> str:
        return os.path.join(self.base, "clouds.yaml")

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['keystone']}/v3"

    @property
    def servers_dir(self) -> str:
        """Each instance's "/" as the device-view driver makes it: ``<servers>/<uuid>/dev/disk/by-id``."""
        return os.path.join(self.base, "servers")

    @property
    def rbd_mount(self) -> str:
        return os.path.join(self.base, "rbd")

    def device_root(self, server_id: str) -> str:
        return os.path.join(self.servers_dir, server_id)

    @contextlib.contextmanager
    def volume_file(self, volume_id: str) -> Iterator[str]:
        """The RBD image of a Cinder volume as a file, for as long as the ``with`` lasts (an ``rbd-fuse`` mount of
        that image alone: while it is mounted the image has a watcher, and Cinder cannot delete it)."""
        directory = os.path.join(self.rbd_mount, "tests", f"{volume_id}-{time.monotonic_ns()}")
        image = f"volume-{volume_id}"
        rbd_fuse.mount_image("volumes", image, directory, os.path.join(self.base, "ceph", "ceph.conf"))
        try:
            yield os.path.join(directory, image)
        finally:
            rbd_fuse.unmount_image(directory)
            os.rmdir(directory)

    def root_disk(self, server_id: str) -> str:
        return os.path.join(self.device_root(server_id), "disk.img")

    def db_url(self, name: str) -> str:
        return f"mysql+pymysql://os:{configs.PASSWORD}@127.0.0.1:{self.ports['mariadb']}/{name}?charset=utf8mb4"

    @property
    def transport(self) -> str:
        return f"rabbit://openstack:{configs.PASSWORD}@127.0.0.1:{self.ports['rabbitmq']}/"

    def bin(self, name: str) -> str:
        return os.path.join(self.venv, "bin", name)

    def ceph_env(self) -> dict:
        env = dict(os.environ, CEPH_CONF=os.path.join(self.base, "ceph", "ceph.conf"))
        return env

    # -- state -----------------------------------------------------------------------------------------------------

    def save(self) -> None:
        state = {"venv": self.venv, "ports": self.ports, "pids": self.pids, "timings": self.timings,
                 "meta": self.meta}
        with open(self.state_file + ".tmp", "w") as handle:
            json.dump(state, handle, indent=1)
        os.replace(self.state_file + ".tmp", self.state_file)

    @classmethod
    def load(cls, base_dir: str) -> GenuineCloud:
        cloud = cls(base_dir)
        with open(cloud.state_file) as handle:
            state = json.load(handle)
        cloud.venv, cloud.ports, cloud.pids = state["venv"], state["ports"], state["pids"]
        cloud.timings, cloud.meta = state.get("timings", {}), state.get("meta", {})
        return cloud

    def running(self) -> bool:
        return bool(self.ports) and http_ok(f"http://127.0.0.1:{self.ports['keystone']}/v3")

    # -- processes -------------------------------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: dict | None = None, cwd: str | None = None) -> ManagedProcess:
        full_env = dict(os.environ, PYTHONWARNINGS="ignore", **(env or {}))
        for variable in ("DJANGO_SETTINGS_MODULE", "OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "PYTHONPATH"):
            if variable not in (env or {}):
                full_env.pop(variable, None)
        process = ManagedProcess(argv, os.path.join(self.base, "logs", f"{name}.out"), env=full_env,
                                 cwd=cwd or self.base).spawn()
        self.processes[name] = process
        self.pids[name] = process.process.pid
        self.save()
        return process

    def _gunicorn(self, name: str, module: str, port: int, threads: int = 4) -> ManagedProcess:
        argv = [self.bin("gunicorn"), "--chdir", os.path.join(self.base, "wsgi"), "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--timeout", "300", "--graceful-timeout", "5",
                "--access-logfile", os.path.join(self.base, "logs", f"{name}-access.log")]
        # nova-api monkey-patches eventlet: gunicorn's threaded worker hangs with it, the sync worker does not
        if threads > 1:
            argv += ["--threads", str(threads)]
        return self._spawn(name, [*argv, f"{module}:application"])

    def _run(self, name: str, argv: list[str], env: dict | None = None, timeout: float = 600) -> None:
        path = os.path.join(self.base, "logs", f"{name}.log")
        with open(path, "ab") as out:
            result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})),
                                    timeout=timeout, cwd=self.base)
        if result.returncode != 0:
            with open(path, errors="replace") as handle:
                tail = "".join(handle.readlines()[-30:])
            raise RuntimeError(f"{name} failed ({result.returncode}); {path}:\n{tail}")

    def _phase(self, name: str, started: float) -> None:
        self.timings[name] = round(time.monotonic() - started, 1)
        log(f"{name}: {self.timings[name]} s")

    def _wait_http(self, name: str, url: str, timeout: float = START_TIMEOUT) -> None:
        process = self.processes.get(name)
        wait_for(lambda: http_ok(url), timeout, f"{name} at {url}", interval=0.3,
                 process=process.process if process else None, log_path=process.log_path if process else None)

    # -- bring-up --------------------------------------------------------------------------------------------------

    def start(self) -> GenuineCloud:
        began = time.monotonic()
        started = began
        self.venv = self.venv or install()
        self._phase("install (cached)", started)
        for sub in ("etc", "data", "logs", "wsgi", "servers", "rbd"):
            os.makedirs(os.path.join(self.base, sub), exist_ok=True)
        for name in ("keystone", "glance", "cinder", "placement", "nova", "neutron", "rabbitmq", "epmd",
                     "rabbitmq_dist", "ceph_mon", "ceph_mon_v1"):
            self.ports[name] = free_port()
        self.ports["ceph_bind_min"] = free_range(60)
        self.save()
        try:
            self._start(began)
        except BaseException:
            log(f"bring-up failed; logs in {self.base}/logs")
            self.stop()
            raise
        self._phase("bring-up total", began)
        self.save()
        return self

    def _start(self, began: float) -> None:
        started = time.monotonic()
        ceph = threading.Thread(target=self._start_ceph, name="ceph", daemon=True)
        ceph.start()
        self._start_rabbitmq()
        self.mariadb = MariaDBProcess(os.path.join(self.base, "mariadb"))
        self.mariadb.start(timeout=START_TIMEOUT)
        self.ports["mariadb"] = self.mariadb.port
        self.pids["mariadb"] = self.mariadb.process.pid
        with self.mariadb._connect("root", "") as connection:
            cursor = connection.cursor()
            for name in DATABASES:
                cursor.execute(f"CREATE DATABASE IF NOT EXISTS {name}")
            cursor.execute(f"CREATE USER 'os'@'127.0.0.1' IDENTIFIED BY '{configs.PASSWORD}'")
            cursor.execute("GRANT ALL ON *.* TO 'os'@'127.0.0.1'")
        self.save()
        self._phase("mariadb up", started)
        started = time.monotonic()
        self._write_configs()
        syncs = self._start_schema_syncs()
        self._bootstrap_keystone()
        self._phase("keystone up", started)
        started = time.monotonic()
        from tests.genuine import seed

        seed.identity(self)
        self._phase("keystone seeded", started)
        started = time.monotonic()
        for name, process in syncs.items():
            if process.wait(timeout=START_TIMEOUT) != 0:
                with open(os.path.join(self.base, "logs", f"{name}.log"), errors="replace") as handle:
                    raise RuntimeError(f"{name} failed:\n{handle.read()[-3000:]}")
        self._phase("schema syncs", started)
        started = time.monotonic()
        self._gunicorn("glance", "glance_app", self.ports["glance"])
        self._gunicorn("cinder-api", "cinder_app", self.ports["cinder"])
        self._gunicorn("placement", "placement_app", self.ports["placement"])
        self._gunicorn("nova-api", "nova_app", self.ports["nova"], threads=1)
        cinder_conf = ["--config-file", os.path.join(self.base, "etc", "cinder", "cinder.conf")]
        self._spawn("cinder-scheduler", [self.bin("cinder-scheduler"), *cinder_conf])
        nova_conf = ["--config-file", os.path.join(self.base, "etc", "nova", "nova.conf")]
        for binary in ("conductor", "scheduler"):
            self._spawn(f"nova-{binary}", [self.bin(f"nova-{binary}"), *nova_conf])
        ceph.join(timeout=START_TIMEOUT)
        if self.meta.get("ceph_error") or ceph.is_alive():
            raise RuntimeError(f"Ceph did not start: {self.meta.get('ceph_error', 'timeout')}")
        self._phase("ceph up (waited)", started)
        self._spawn("cinder-volume", [self.bin("cinder-volume"), *cinder_conf],
                    env={"PYTHONPATH": os.path.join(self.base, "ceph", "pylib"),
                         "CEPH_CONF": os.path.join(self.base, "ceph", "ceph.conf"), "PATH": self._root_path()})
        # The driver mounts images with the sandbox's rbd_fuse.py, loaded by its path (the sandbox package itself
        # stays off nova-compute's path: its loopback guard would refuse Nova's import-time my_ip probe).
        driver_env = {"PYTHONPATH": VIRT_DIR,
                      "STORAGE_BACKUP_RBD_FUSE": os.path.join(SANDBOX_DIR, "storage_backup_sandbox", "rbd_fuse.py"),
                      "STORAGE_BACKUP_GENUINE_SERVERS": self.servers_dir,
                      "STORAGE_BACKUP_GENUINE_RBD_MOUNT": self.rbd_mount,
                      "CEPH_CONF": os.path.join(self.base, "ceph", "ceph.conf")}
        for zone in ZONES:
            host = f"compute-{zone}"
            path = os.path.join(self.base, "etc", "nova", f"{host}.conf")
            with open(path, "w") as handle:
                handle.write(configs.nova_compute(self.base, host))
            os.makedirs(os.path.join(self.base, "data", f"nova-{host}", "instances"), exist_ok=True)
            self._spawn(f"nova-{host}", [self.bin("python"), os.path.join(VIRT_DIR, "nova_compute.py"), *nova_conf,
                                         "--config-file", path], env=driver_env)
        self._start_neutron()
        started = time.monotonic()
        for name, port in (("glance", "glance"), ("cinder-api", "cinder"), ("placement", "placement"),
                           ("nova-api", "nova")):
            self._wait_http(name, f"http://127.0.0.1:{self.ports[port]}/")
        self._phase("APIs answer", started)
        started = time.monotonic()
        from tests.genuine import seed

        seed.services(self)
        self._phase("services up, zones, flavors, image, network, proxies", started)

    def _root_path(self) -> str:
        """PATH for services that run commands as root through ``sudo cinder-rootwrap`` (Cinder's qemu-img, for
        one): a ``sudo`` that only runs its arguments (the tier already runs as root; the real one would reset PATH
        to its secure_path, where the virtualenv's rootwrap is not), then the virtualenv's scripts."""
        folder = os.path.join(self.base, "bin")
        os.makedirs(folder, exist_ok=True)
        shim = os.path.join(folder, "sudo")
        with open(shim, "w") as handle:
            handle.write('#!/bin/sh\n# the genuine tier runs as root: sudo only runs its command\nexec "$@"\n')
        os.chmod(shim, 0o755)
        return os.pathsep.join([folder, os.path.join(self.venv, "bin"), os.environ.get("PATH", "/usr/bin:/bin")])

    def _start_rabbitmq(self) -> None:
        base = os.path.join(self.base, "rabbitmq")
        for sub in ("mnesia", "log", "home"):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        with open(os.path.join(base, "enabled_plugins"), "w") as handle:
            handle.write("[].\n")
        open(os.path.join(base, "rabbitmq-env.conf"), "w").close()
        with open(os.path.join(base, "rabbitmq.conf"), "w") as handle:
            handle.write(f"""listeners.tcp.default = 127.0.0.1:{self.ports['rabbitmq']}
loopback_users = none
default_user = openstack
default_pass = {configs.PASSWORD}
default_vhost = /
log.file.level = warning
vm_memory_high_watermark.absolute = 512MiB
disk_free_limit.absolute = 50MB
""")
        env = {"HOME": os.path.join(base, "home"), "ERL_EPMD_PORT": str(self.ports["epmd"]),
               "ERL_EPMD_ADDRESS": "127.0.0.1"}
        # Its own epmd, first, on its own port: the machine's (4369) is never asked nor touched.
        epmd = shutil.which("epmd") or "/usr/bin/epmd"
        self._spawn("epmd", [epmd, "-port", str(self.ports["epmd"]), "-address", "127.0.0.1"], env=env)
        env.update({
            "RABBITMQ_NODENAME": f"genuine{self.ports['rabbitmq']}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.ports["rabbitmq"]),
            "RABBITMQ_DIST_PORT": str(self.ports["rabbitmq_dist"]),
            "RABBITMQ_MNESIA_BASE": os.path.join(base, "mnesia"), "RABBITMQ_LOG_BASE": os.path.join(base, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(base, "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": os.path.join(base, "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(base, "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": os.path.join(base, "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": os.path.join(base, "rabbit.pid"),
        })
        self._spawn("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env=env)

    def _wait_rabbitmq(self) -> None:
        process = self.processes["rabbitmq"]
        wait_for(lambda: amqp_ready(self.ports["rabbitmq"]), START_TIMEOUT, "RabbitMQ", interval=0.3,
                 process=process.process, log_path=process.log_path)

    def _start_ceph(self) -> None:
        env = {"CEPHX_DIR": os.path.join(self.base, "ceph"), "CEPHX_POOL": "volumes", "CEPHX_STORE": "bluestore",
               "CEPHX_SIZE": str(8 * 1024 ** 3), "CEPHX_MGR": "1",
               "CEPHX_MON_PORT": str(self.ports["ceph_mon"]), "CEPHX_MON_PORT_V1": str(self.ports["ceph_mon_v1"]),
               "CEPHX_OSD_PORT_MIN": str(self.ports["ceph_bind_min"]),
               "CEPHX_OSD_PORT_MAX": str(self.ports["ceph_bind_min"] + 59),
               "CEPHX_RGW_PORT": str(self.ports["ceph_bind_min"] + 59)}
        try:
            self._run("ceph-start", ["bash", CEPH_START], env=env, timeout=START_TIMEOUT)
        except BaseException as error:
            self.meta["ceph_error"] = str(error)

    def _write_configs(self) -> None:
        base, venv = self.base, self.venv
        etc = os.path.join(base, "etc")
        for sub in ("keystone", "glance", "cinder", "nova", "placement", "neutron"):
            os.makedirs(os.path.join(etc, sub), exist_ok=True)
        for sub in ("keystone", "glance/images", "glance/staging", "glance/tasks", "glance/locks", "glance/cache",
                    "cinder/locks", "nova/locks", "nova/instances", "neutron/locks"):
            os.makedirs(os.path.join(base, "data", sub), exist_ok=True)
        shutil.copy(os.path.join(venv, "etc", "glance", "glance-api-paste.ini"), os.path.join(etc, "glance"))
        for name in ("api-paste.ini", "resource_filters.json"):
            shutil.copy(os.path.join(venv, "etc", "cinder", name), os.path.join(etc, "cinder"))
        with open(os.path.join(venv, "etc", "cinder", "rootwrap.conf")) as handle:
            rootwrap = handle.read()
        rootwrap = "\n".join(
            f"filters_path={venv}/etc/cinder/rootwrap.d" if line.startswith("filters_path=") else
            f"exec_dirs={venv}/bin,/sbin,/usr/sbin,/bin,/usr/bin,/usr/local/bin" if line.startswith("exec_dirs=")
            else line for line in rootwrap.splitlines())
        shutil.copy(os.path.join(venv, "etc", "nova", "api-paste.ini"), os.path.join(etc, "nova"))
        files = {
            "keystone/keystone.conf": configs.keystone(base, self.db_url("keystone")),
            "glance/glance-api.conf": configs.glance(base, self.db_url("glance"), self.ports),
            "cinder/rootwrap.conf": rootwrap + "\n",
            "cinder/cinder.conf": configs.cinder(base, venv, self.db_url("cinder"), self.ports, self.transport,
                                                 ZONES),
            "placement/placement.conf": configs.placement(base, self.db_url("placement"), self.ports),
            "nova/nova.conf": configs.nova(base, venv, {"nova": self.db_url("nova"),
                                                        "nova_api": self.db_url("nova_api")},
                                           self.ports, self.transport),
        }
        for path, text in files.items():
            with open(os.path.join(etc, path), "w") as handle:
                handle.write(text)
        for name, template in configs.WSGI.items():
            with open(os.path.join(base, "wsgi", f"{name}_app.py"), "w") as handle:
                handle.write(template.replace("{base}", base))

    def _start_schema_syncs(self) -> dict[str, subprocess.Popen]:
        etc = os.path.join(self.base, "etc")
        nova = f"{self.bin('nova-manage')} --config-file {etc}/nova/nova.conf"
        scripts = {
            "glance-manage": f"{self.bin('glance-manage')} --config-file {etc}/glance/glance-api.conf db_sync",
            "cinder-manage": f"{self.bin('cinder-manage')} --config-file {etc}/cinder/cinder.conf db sync",
            "nova-manage": " && ".join([
                f"{self.bin('placement-manage')} --config-file {etc}/placement/placement.conf db sync",
                f"{nova} api_db sync", f"{nova} cell_v2 map_cell0 --database_connection '{self.db_url('nova_cell0')}'",
                f"{nova} db sync", f"{nova} cell_v2 create_cell --name cell1"]),
        }
        from tests.genuine import neutron

        self._neutron_upgrade = neutron.prepare(self)
        processes = {}
        for name, script in scripts.items():
            out = open(os.path.join(self.base, "logs", f"{name}.log"), "ab")
            processes[name] = subprocess.Popen(["bash", "-c", script], stdout=out, stderr=subprocess.STDOUT,
                                               env=dict(os.environ, PYTHONWARNINGS="ignore"), cwd=self.base)
            out.close()
        return processes

    def _bootstrap_keystone(self) -> None:
        manage = [self.bin("keystone-manage"), "--config-file",
                  os.path.join(self.base, "etc", "keystone", "keystone.conf")]
        self._run("keystone-manage", [*manage, "db_sync"])
        for step in ("fernet_setup", "credential_setup"):
            self._run("keystone-manage", [*manage, step, "--keystone-user", "root", "--keystone-group", "root"])
        url = f"http://127.0.0.1:{self.ports['keystone']}/v3/"
        self._run("keystone-manage", [*manage, "bootstrap", "--bootstrap-password", configs.PASSWORD,
                                      "--bootstrap-region-id", "RegionOne", "--bootstrap-admin-url", url,
                                      "--bootstrap-internal-url", url, "--bootstrap-public-url", url])
        self._gunicorn("keystone", "keystone_app", self.ports["keystone"])
        self._wait_http("keystone", self.auth_url)
        self._wait_rabbitmq()

    def _start_neutron(self) -> None:
        """Neutron: see tools/genuine/README.md for what was tried; the tier runs the stand-in named there."""
        from tests.genuine import neutron

        neutron.start(self, getattr(self, "_neutron_upgrade", None), START_TIMEOUT)
        self.save()

    def _unmount_all(self) -> None:
        """Every rbd-fuse mount below the tier's folder (the driver's and the tests'), and their daemons, by pid."""
        with open("/proc/mounts") as handle:
            mounts = [line.split()[1] for line in handle if line.split()[1].startswith(self.rbd_mount + "/")]
        for mount in mounts:
            subprocess.run(["fusermount3", "-u", "-z", mount], capture_output=True)
        for folder, _dirs, files in os.walk(self.rbd_mount):
            for name in files:
                if name.endswith(".pid"):
                    try:
                        with open(os.path.join(folder, name)) as handle:
                            os.kill(int(handle.read()), signal.SIGTERM)
                    except (OSError, ValueError):
                        pass

    # -- stop ------------------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop everything this cloud started, by pid, services first, Ceph and the databases last."""
        began = time.monotonic()
        order = ["neutron", "nova-compute-az2", "nova-compute-nova", "nova-scheduler", "nova-conductor", "nova-api",
                 "placement", "cinder-volume", "cinder-scheduler", "cinder-api", "glance", "keystone"]
        services = [name for name in order if name in self.pids] + \
                   [name for name in self.pids if name not in order and name not in
                    ("rbd-fuse", "rabbitmq", "epmd", "mariadb")]
        for name in services:  # ask them all at once: their shutdowns overlap
            try:
                os.killpg(self.pids[name], signal.SIGTERM)
            except ProcessLookupError:
                pass
        for name in services:
            stop_pid(self.pids.pop(name), timeout=15)
        self._unmount_all()
        if os.path.isdir(os.path.join(self.base, "ceph")):
            subprocess.run(["bash", CEPH_STOP], env=dict(os.environ, CEPHX_DIR=os.path.join(self.base, "ceph"),
                                                         CEPHX_FAST="1"), capture_output=True)
        for name in ("rabbitmq", "epmd", "mariadb"):
            if name in self.pids:
                stop_pid(self.pids.pop(name), timeout=20)
        self.timings["stop"] = round(time.monotonic() - began, 1)
        self.save()
        log(f"stopped in {self.timings['stop']} s")


def main(argv: list[str]) -> int:
    """``python -m tests.genuine.cloud start|stop BASE``: bring the tier up for manual use, or stop it."""
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print("usage: python -m tests.genuine.cloud start|stop BASE_DIR", file=sys.stderr)
        return 2
    if argv[1] == "start":
        cloud = GenuineCloud(argv[2]).start()
        print(f"genuine cloud up: OS_CLIENT_CONFIG_FILE={cloud.clouds_yaml} (clouds genuine-admin, genuine-demo, "
              f"genuine-service); stop with python -m tests.genuine.cloud stop {cloud.base}")
    else:
        GenuineCloud.load(argv[2]).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
