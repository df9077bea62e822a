# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``make demo``: the whole product on this machine, on 127.0.0.1, until Ctrl-C.

Starts, with ``storage_backup_sandbox.launch`` (the same launchers the tests use):

1. Redis, the Celery broker: its own, on a free port (the one of a previous run if it is still up);
2. the embedded cloud (``python -m storage_backup_sandbox --seed demo``), state under ``.demo/cloud`` so volumes,
servers
   and images survive a restart of the demo;
3. one proxy worker per availability zone (Celery, queue ``proxy.<az>``), each seeing the device view of its proxy
   server in the embedded cloud, and a data worker (queue ``data``: verify, delete, prune, retention locks, catalog
   rebuilds), which mounts the demo's repository; the control plane opens no repository;
4. the control plane: the REST API (registered in the cloud's catalog as ``data-protection``), the control worker
   and celery beat, with a policy that backs up the ``demo`` project's instances every few minutes;
5. Horizon with the plugin, logging in through the embedded cloud's Keystone.

``--volumes rbd`` (``make demo VOLUMES=rbd``) keeps the cloud's volumes and snapshots in a real Ceph instead of
sparse files: ``tools/ceph/start.sh`` (installed by ``tools/ceph/install.sh`` when missing) starts one mon and one
OSD with cephx, bluestore on a sparse 20 GiB file under ``.demo/ceph``, the pool ``volumes`` and the read-only user
``client.storage-backup-diff``; the cluster is kept across demo runs (``CEPHX_KEEP``) and stopped with the demo.

Prints the URLs and every user's credentials and writes them to ``.demo/endpoints.json`` for scripts. A process
that exits is restarted with backoff (``storage_backup_sandbox.launch.Supervisor``, as systemd's ``Restart=`` does in
production), Redis included. Ctrl-C (or SIGTERM) stops everything. ``make clean-demo`` removes ``.demo/`` to start
from scratch.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from storage_backup_sandbox import seed  # noqa: E402
from storage_backup_sandbox.launch import (  # noqa: E402 - after the path setup: run as a script from anywhere
    CephDiffWorkerProcess,
    ControlApiProcess,
    ControlBeatProcess,
    ControlWorkerProcess,
    DataWorkerProcess,
    HorizonProcess,
    ManagedProcess,
    RedisProcess,
    SandboxProcess,
    Supervisor,
    WorkerProcess,
    control_env,
    enrol_worker_keys,
    free_port,
    free_range,
    start_together,
    stop_together,
)
from storage_backup_sandbox.rbd_store import RbdSettings  # noqa: E402

BACKUP_SERVICE_TYPE = "data-protection"
# The demo supervises its processes: an idle worker that loses Redis exits and is restarted clean
# (storage_backup.worker_consumer), as under the systemd units.
SUPERVISED = {"STORAGE_BACKUP_EXIT_ON_BROKER_LOSS": "1"}
# The demo's policy: hourly, as a tenant would set it (every few minutes buried what a visitor did under dozens of
# restore points); "Backup Now" on an instance makes one at once.
DEMO_SCHEDULE = "0 * * * *"


CEPH_TOOLS = os.path.join(REPO_ROOT, "tools", "ceph")
CEPH_POOL = "volumes"
CEPH_READONLY_USER = "storage-backup-diff"
CEPH_OSD_BYTES = 20 * 1024 ** 3  # sparse: takes what the volumes hold, plus ~1 GiB of BlueStore's own


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop what the demo runs."""


def _interrupt(signum, frame):
    raise Stop()


def port_free(port: int | None) -> bool:
    if not port:
        return False
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def previous_port(endpoints: dict, key: str) -> int | None:
    """The port a service had in the previous run, when it is free again (so bookmarks keep working)."""
    port = endpoints.get("ports", {}).get(key)
    return port if port_free(port) else None


class AdoptedRedis(RedisProcess):
    """The demo's Redis from a previous run that is still up: used again, and stopped with the rest."""

    def __init__(self, work_dir: str, port: int, pid: int):
        super().__init__(work_dir, port=port)
        self.pid = pid

    def start(self, timeout: float = 20) -> AdoptedRedis:
        if self.pid is None or not self.alive():  # it went away: the supervisor starts our own on its port
            self.pid = None
            super().start(timeout)
        return self

    def alive(self) -> bool:
        if self.pid is None:
            return super().alive()
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        return True

    def stop(self, timeout: float = 10) -> None:
        if self.pid is None:
            super().stop(timeout)
            return
        if not self.alive():
            return
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while self.alive() and time.time() < deadline:
            time.sleep(0.1)


def _cmdline(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().split(b"\0")
    except OSError:
        return []


def stop_leftovers(record_path: str) -> None:
    """Stop the processes a previous run left behind when it was killed outright (its children run in their own
    sessions): two embedded clouds on one state dir would overwrite each other's state."""
    try:
        with open(record_path) as handle:
            leftovers = json.load(handle)
    except (OSError, ValueError):
        return
    for entry in leftovers:
        if _cmdline(entry["pid"])[:len(entry["argv"])] != [arg.encode() for arg in entry["argv"]]:
            continue  # gone, or the pid now belongs to another program
        print(f"Stopping {entry['name']} left over from a previous run (pid {entry['pid']})")
        try:
            os.killpg(entry["pid"], signal.SIGTERM)
        except OSError:
            continue
        deadline = time.time() + 10
        while _cmdline(entry["pid"]) and time.time() < deadline:
            time.sleep(0.1)
    os.unlink(record_path)


def record_processes(record_path: str, running: list[ManagedProcess]) -> None:
    entries = [{"name": process.name, "pid": process.process.pid, "argv": process.argv[:3]}
               for process in running if process.process is not None and process.name != "redis"]
    with open(record_path, "w") as handle:
        json.dump(entries, handle)


def _redis_dir(port: int) -> str | None:
    """The working directory of the Redis on ``port`` (``CONFIG GET dir``): tells the demo's own from others."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$3\r\ndir\r\n")
            reply = sock.recv(4096).split(b"\r\n")
    except OSError:
        return None
    # *2 / $3 / dir / $N / <path>
    return reply[4].decode() if len(reply) > 4 and reply[2] == b"dir" else None


def start_redis(redis_dir: str, endpoints: dict) -> RedisProcess:
    pid_file = os.path.join(redis_dir, "redis.json")
    try:
        with open(pid_file) as handle:
            previous = json.load(handle)
        # redis-server rewrites its command line, so ask the server itself where it works.
        if _cmdline(previous["pid"]) and _redis_dir(previous["port"]) == os.path.realpath(redis_dir):
            print(f"Redis from a previous demo run is still up (pid {previous['pid']}): using it")
            return AdoptedRedis(redis_dir, previous["port"], previous["pid"])
    except (OSError, ValueError, KeyError):
        pass
    redis = RedisProcess(redis_dir, port=previous_port(endpoints, "redis")).start()
    with open(pid_file, "w") as handle:
        json.dump({"pid": redis.process.pid, "port": redis.port}, handle)
    return redis


def proxy_servers(cloud_dir: str) -> dict[str, str]:
    """``{az: proxy server id}`` from the embedded cloud's state (``meta.proxy_servers``, set by the demo seed)."""
    try:
        with open(os.path.join(cloud_dir, "state.json")) as handle:
            meta = json.load(handle).get("meta", {})
    except (OSError, ValueError):
        return {}
    found = meta.get("proxy_servers") or {}
    if isinstance(found, list):  # [{"availability_zone"|"az": ..., "id"|"server_id": ...}, ...]
        found = {item.get("availability_zone") or item.get("az"): item.get("id") or item.get("server_id")
                 for item in found if isinstance(item, dict)}
    servers = {}
    for zone, value in found.items():
        servers[zone] = (value.get("id") or value.get("server_id")) if isinstance(value, dict) else value
    return {zone: server for zone, server in servers.items() if zone and server}


def ping_workers(redis_url: str, workers: list[WorkerProcess]) -> dict[str, dict]:
    """Ask each AZ's queue, and the data queue, who answers: shows the workers are real and routed by queue."""
    from celery import Celery

    client = Celery("demo-control", broker=redis_url, backend=redis_url)
    client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
    answers = {}
    queues = [(worker.availability_zone, "proxy.ping", worker.queue) for worker in workers] + \
        [("data", "data.ping", "data")]
    try:
        for name, task, queue in queues:
            try:
                answers[name] = client.send_task(task, queue=queue).get(timeout=20)
            except Exception as error:  # the demo goes on; the worker's log says why
                answers[name] = {"error": str(error)}
    finally:
        client.close()
    return answers


def register_backup_api(sandbox: SandboxProcess, url: str) -> None:
    """Put the REST API in the cloud's catalog as ``data-protection`` (what Horizon's plugin and scripts look up),
    replacing an entry of a previous run, through Keystone's own API as an operator would."""
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    admin_user = seed.user("admin")
    admin = ks_session.Session(auth=v3.Password(
        auth_url=sandbox.auth_url, username=admin_user.name, password=admin_user.password,
        user_domain_id="default", project_name=admin_user.project, project_domain_id="default"))
    identity = sandbox.auth_url
    for service in admin.get(identity + "/services").json()["services"]:
        if service["type"] == BACKUP_SERVICE_TYPE:
            admin.delete(identity + f"/services/{service['id']}")
    service = admin.post(identity + "/services", json={"service": {
        "type": BACKUP_SERVICE_TYPE, "name": "storage-backup", "description": "Agentless backup and restore"}})
    service_id = service.json()["service"]["id"]
    for interface in ("public", "internal", "admin"):
        admin.post(identity + "/endpoints", json={"endpoint": {
            "service_id": service_id, "interface": interface, "url": url, "region_id": "RegionOne"}})


def protect_demo_project(env: dict, repository: str, log_dir: str, schedule: str) -> str:
    """A scheduled policy on a filesystem destination protecting every ``demo`` instance (idempotent)."""
    import subprocess

    os.makedirs(repository, exist_ok=True)
    result = subprocess.run([sys.executable, "-m", "django", "protect_project", "--project", "demo",
                             "--path", repository, "--schedule", schedule, "--name", "demo-scheduled"],
                            env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    with open(os.path.join(log_dir, "protect-project.log"), "a") as handle:
        handle.write(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"protecting the demo project failed: {result.stderr.strip()[-500:]}")
    return result.stdout.strip()


def start_ceph(ceph_dir: str) -> RbdSettings:
    """The demo's Ceph (see the module's docstring), the one of a previous run again when there is one."""
    subprocess.run(["bash", os.path.join(CEPH_TOOLS, "install.sh")], check=True)
    bind = free_range(40)
    env = dict(os.environ, CEPHX_DIR=ceph_dir, CEPHX_AUTH="cephx", CEPHX_STORE="bluestore",
               CEPHX_SIZE=str(CEPH_OSD_BYTES), CEPHX_POOL=CEPH_POOL, CEPHX_READONLY_USER=CEPH_READONLY_USER,
               CEPHX_KEEP="1", CEPHX_MON_PORT=str(free_port()), CEPHX_MON_PORT_V1=str(free_port()),
               CEPHX_OSD_PORT_MIN=str(bind), CEPHX_OSD_PORT_MAX=str(bind + 38), CEPHX_RGW_PORT=str(bind + 39))
    result = subprocess.run(["bash", os.path.join(CEPH_TOOLS, "start.sh")], env=env, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"tools/ceph/start.sh failed: {result.stderr.strip()[-2000:]}")
    return RbdSettings(pool=CEPH_POOL, ceph_conf=os.path.join(ceph_dir, "ceph.conf"), client_id="admin",
                       keyring=os.path.join(ceph_dir, "keyring"), python_path=os.path.join(ceph_dir, "pylib"))


def stop_ceph(ceph_dir: str) -> None:
    subprocess.run(["bash", os.path.join(CEPH_TOOLS, "stop.sh")], env=dict(os.environ, CEPHX_DIR=ceph_dir),
                   capture_output=True, timeout=120)


def cloud_volume_backend(cloud_dir: str) -> str | None:
    """The volume backend the demo's cloud was made on (None: no cloud yet)."""
    try:
        with open(os.path.join(cloud_dir, "state.json")) as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return None
    return state.get("meta", {}).get("volume_backend", "file" if state.get("volumes") else None)


def write_endpoints(path: str, endpoints: dict) -> None:
    with open(path + ".tmp", "w") as handle:
        json.dump(endpoints, handle, indent=2)
        handle.write("\n")
    os.replace(path + ".tmp", path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/demo.py", description=__doc__.split("\n")[0])
    parser.add_argument("--state-dir", default=os.path.join(REPO_ROOT, ".demo"),
                        help="where the demo keeps its cloud, logs and endpoints (default: .demo/)")
    parser.add_argument("--transition-delay", type=float, default=0.3,
                        help="seconds the embedded cloud's status transitions take (default: 0.3)")
    parser.add_argument("--tick-seconds", type=float, default=15,
                        help="how often the control plane looks for due policies and sends queued jobs (seconds)")
    parser.add_argument("--schedule", default=DEMO_SCHEDULE,
                        help=f"cron schedule of the demo project's backup policy (default: {DEMO_SCHEDULE!r})")
    parser.add_argument("--volumes", choices=("file", "rbd"), default="file",
                        help="where the cloud keeps volumes: sparse files (default) or RBD images in a local Ceph")
    args = parser.parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    cloud_dir = os.path.join(state_dir, "cloud")
    log_dir = os.path.join(state_dir, "logs")
    endpoints_path = os.path.join(state_dir, "endpoints.json")
    record_path = os.path.join(state_dir, "processes.json")
    ceph_dir = os.path.join(state_dir, "ceph")
    os.makedirs(log_dir, exist_ok=True)
    made_on = cloud_volume_backend(cloud_dir)
    if made_on not in (None, args.volumes):
        print(f"demo: the cloud in {cloud_dir} keeps its volumes on {made_on}, not {args.volumes}: run `make demo "
              f"VOLUMES={made_on}`, or `make clean-demo` first", file=sys.stderr)
        return 1
    stop_leftovers(record_path)
    try:
        with open(endpoints_path) as handle:
            previous = json.load(handle)
    except (OSError, ValueError):
        previous = {}

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    running: list[ManagedProcess] = []
    status = 0
    ceph_started = False
    try:
        started = time.time()
        rbd = None
        if args.volumes == "rbd":
            print("Ceph             starting (tools/ceph/start.sh; the first run may install its packages) ...",
                  flush=True)
            ceph_started = True
            rbd = start_ceph(ceph_dir)
            print(f"Ceph             {rbd.ceph_conf}  pool {rbd.pool}, read-only user client.{CEPH_READONLY_USER} "
                  f"({os.path.join(ceph_dir, f'ceph.client.{CEPH_READONLY_USER}.keyring')})")
        redis = start_redis(os.path.join(state_dir, "redis"), previous)
        running.append(redis)
        print(f"Redis            {redis.url}")

        sandbox = SandboxProcess(cloud_dir, port=previous_port(previous, "sandbox"), seed="demo",
                                 transition_delay=args.transition_delay, rbd=rbd)
        print("Embedded cloud   starting (the first start builds the demo's ext4 volumes and images) ...", flush=True)
        running.append(sandbox)
        sandbox.start(timeout=600)
        record_processes(record_path, running)
        print(f"Embedded cloud   {sandbox.url}  (Keystone {sandbox.auth_url})")

        servers = proxy_servers(cloud_dir)
        workers = []
        for zone in seed.AVAILABILITY_ZONES:
            server_id = servers.get(zone, "")
            if not server_id:
                print(f"  warning: the embedded cloud names no proxy server for AZ {zone}; its worker runs without one")
            device_root = os.path.join(cloud_dir, "servers", server_id or f"no-proxy-server-{zone}")
            # On Ceph, the proxies ask the diff worker for changed blocks (README "Ceph changed blocks").
            changed = {"STORAGE_BACKUP_CHANGED_BLOCKS": "ceph"} if rbd is not None else {}
            workers.append(WorkerProcess(zone, redis.url, log_dir, proxy_server_id=server_id, device_root=device_root,
                                         clouds_yaml=sandbox.clouds_yaml, cloud="sandbox-service",
                                         extra_env={**SUPERVISED, **changed}))
        # File-level restore's downloads: written by the data worker, served by the API (one host here).
        downloads = {"STORAGE_BACKUP_DOWNLOAD_DIR": os.path.join(state_dir, "downloads")}
        data_worker = DataWorkerProcess(redis.url, log_dir, extra_env={**SUPERVISED, **downloads})
        diff_workers = []
        if rbd is not None:  # beside Ceph, as its read-only user
            ceph_dir = os.path.dirname(rbd.ceph_conf)
            diff_workers.append(CephDiffWorkerProcess(
                redis.url, log_dir, rbd.ceph_conf, [rbd.pool], client=CEPH_READONLY_USER,
                keyring=os.path.join(ceph_dir, f"ceph.client.{CEPH_READONLY_USER}.keyring"),
                ceph_pythonpath=rbd.python_path, extra_env=SUPERVISED))
        env = control_env(os.path.join(state_dir, "control"), redis.url, sandbox.clouds_yaml,
                          extra={"STORAGE_BACKUP_TICK_SECONDS": str(args.tick_seconds),
                                 "STORAGE_BACKUP_HEARTBEAT_SECONDS": "15",
                                 # one host: the control plane sees the data worker's destinations (its root is /)
                                 "STORAGE_BACKUP_DESTINATION_ROOT": "/", **SUPERVISED, **downloads})
        api = ControlApiProcess(env, log_dir, port=previous_port(previous, "backup_api"))
        horizon = HorizonProcess(os.path.join(state_dir, "horizon"), sandbox.auth_url,
                                 port=previous_port(previous, "horizon"),
                                 extra_env={"STORAGE_BACKUP_BROKER_URL": redis.url})
        horizon.ready_timeout = 600  # the first start collects and compresses Horizon's static files
        # Everything that needs only the cloud and Redis starts at once: their start-ups overlap.
        print("Workers, backup API and Horizon starting together (Horizon's first start collects and compresses "
              "its static files) ...", flush=True)
        together = [*workers, data_worker, *diff_workers, api, horizon]
        running.extend(together)
        start_together(*together)
        record_processes(record_path, running)
        for zone, answer in ping_workers(redis.url, workers).items():
            if zone == "data":
                print(f"Data worker             queue data         answers: {json.dumps(answer, sort_keys=True)}")
            else:
                print(f"Proxy worker     {zone:<6} queue proxy.{zone:<6} answers: {json.dumps(answer, sort_keys=True)}")

        # The workers' keys, enrolled as a deployment would: task secrets are sealed to them (docs/TASKS.md).
        enrol_worker_keys(env, [*workers, data_worker])
        print(f"Worker keys      enrolled: {', '.join(worker.key_name for worker in [*workers, data_worker])} "
              f"(key files in {os.path.join(log_dir, 'keys')})")
        register_backup_api(sandbox, api.url + "/v1")
        print(f"Backup REST API  {api.url}/v1/  (catalog type {BACKUP_SERVICE_TYPE}; "
              f"OpenAPI {api.url}/v1/openapi.json)")
        # After the API, which applied the catalog's migrations.
        control_worker, beat = ControlWorkerProcess(env, log_dir), ControlBeatProcess(env, log_dir)
        running.extend((control_worker, beat))
        start_together(control_worker, beat)
        record_processes(record_path, running)
        repository = os.path.join(state_dir, "repository")
        print(f"Control plane    worker and beat up; {protect_demo_project(env, repository, log_dir, args.schedule)}")
        print(f"Horizon          {horizon.url}/")

        users = [{"name": user.name, "password": user.password, "project": user.project, "role": user.role,
                  "domain": "Default", "cloud": user.cloud} for user in seed.USERS]
        endpoints = {
            "horizon": horizon.url + "/",
            "keystone": sandbox.auth_url,
            "sandbox": sandbox.url,
            "redis": redis.url,
            "backup_api": api.url + "/v1",
            "repository": repository,
            "clouds_yaml": sandbox.clouds_yaml,
            "state_dir": state_dir,
            "workers": {worker.availability_zone: {
                "queue": worker.queue, "node": worker.node_name, "proxy_server_id": servers.get(
                    worker.availability_zone, ""), "device_root": worker.env["STORAGE_BACKUP_DEVICE_ROOT"],
                "pid": worker.process.pid, "log": worker.log_path} for worker in workers},
            "data_worker": {"queue": data_worker.queue, "node": data_worker.node_name, "pid": data_worker.process.pid,
                            "log": data_worker.log_path},
            "users": users,
            "logs": {"redis": redis.log_path, "sandbox": sandbox.log_path, "horizon": horizon.log_path,
                     "data_worker": data_worker.log_path,
                     "backup_api": api.log_path, "control_worker": control_worker.log_path,
                     "control_beat": beat.log_path},
            "ports": {"redis": redis.port, "sandbox": sandbox.port, "horizon": horizon.port,
                      "backup_api": api.port},
            "volumes": args.volumes,
        }
        if rbd is not None:
            readonly_keyring = os.path.join(ceph_dir, f"ceph.client.{CEPH_READONLY_USER}.keyring")
            endpoints["ceph"] = {"conf": rbd.ceph_conf, "pool": rbd.pool, "admin_keyring": rbd.keyring,
                                 "python_path": rbd.python_path, "readonly_id": CEPH_READONLY_USER,
                                 "readonly_keyring": readonly_keyring}
        write_endpoints(endpoints_path, endpoints)

        print()
        print(f"The demo is up ({time.time() - started:.0f} s). Open Horizon: {horizon.url}/")
        print()
        print(f"  {'user':<16} {'password':<24} {'project':<9} role")
        for user in users:
            print(f"  {user['name']:<16} {user['password']:<24} {user['project']:<9} {user['role']}")
        print()
        print(f"  openstack CLI:  OS_CLIENT_CONFIG_FILE={sandbox.clouds_yaml} openstack --os-cloud sandbox-demo "
              "server list")
        print(f"  REST API:       {api.url}/v1/  (X-Auth-Token from `openstack token issue`)")
        print(f"  backups:        the demo project's instances on '{args.schedule}' into {repository}")
        print(f"  endpoints:      {endpoints_path}")
        print(f"  logs:           {log_dir}/, {sandbox.log_path}, {horizon.log_path}")
        print()
        print("A process that exits is restarted (with backoff), as systemd would. Ctrl-C stops everything.",
              flush=True)

        supervisor = Supervisor(running)
        while True:
            if supervisor.check():
                record_processes(record_path, running)
                # Scripts find the restarted workers' new pids where they found the old ones.
                for worker in workers:
                    endpoints["workers"][worker.availability_zone]["pid"] = worker.process.pid
                endpoints["data_worker"]["pid"] = data_worker.process.pid
                write_endpoints(endpoints_path, endpoints)
            time.sleep(0.5)
    except Stop:
        pass
    except Exception as error:  # a start failed: say why, then stop what did start
        print(f"demo: {error}", file=sys.stderr)
        status = 1
    finally:
        # A second Ctrl-C, or make passing its own SIGTERM on, must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if running:
            print("\nStopping: " + ", ".join(process.name for process in reversed(running)), flush=True)
        # The workers, the control plane and Horizon at once; Redis and the cloud they talk to after them.
        last = [process for process in running if isinstance(process, RedisProcess | SandboxProcess)]
        stop_together(*[process for process in reversed(running) if process not in last])
        for process in reversed(last):
            process.stop()
        if ceph_started:  # after the cloud, which unmounts its volumes' rbd-fuse views when it stops
            stop_ceph(ceph_dir)
        if os.path.exists(record_path):
            os.unlink(record_path)
    return status


if __name__ == "__main__":
    sys.exit(main())
