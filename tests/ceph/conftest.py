# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ``ceph`` tier's one Ceph: started once per pytest run by ``tools/ceph/start.sh``, stopped and wiped at its end.

cephx on (every daemon and client authenticates), one mon + one OSD on a sparse bluestore file in a temporary folder,
free loopback ports chosen here, the pool ``volumes`` (rbd), and the read-only user ``client.storage-backup-diff``
(mon 'profile rbd', osd 'profile rbd-read-only': it may read images and ask for ``rbd diff``, never write).

Fixtures:

- ``ceph`` (session): a ``CephCluster`` (conf, admin keyring, pool, read-only id and keyring, ``env`` for processes,
  ``rbd_settings()`` for ``SandboxProcess(rbd=...)``/``Stack(rbd=...)``, ``open_pool()``/``rbd_cli()`` for tests);
- ``rbd_sandbox`` (session): the embedded cloud (base seed) whose volumes live in that pool, as a
  ``tests.conftest.SandboxHandle`` (``.process.rbd`` holds its settings);
- ``rgw`` (session, ``object_storage.py``): one radosgw on that Ceph, S3 with Object Lock, lifecycle in seconds;
- ``swift`` (session, ``swift_fixtures.py``): a second radosgw serving the Swift API with Keystone auth (the embedded
  cloud's Keystone).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from storage_backup_sandbox.launch import REPO_ROOT, SandboxProcess, free_port, free_range
from storage_backup_sandbox.rbd_store import RbdSettings

from tests.ceph.object_storage import rgw  # noqa: F401  (the session fixture: one radosgw per run)
from tests.ceph.swift_fixtures import swift  # noqa: F401  (RGW's Swift API with Keystone auth: a second radosgw)
from tests.conftest import SandboxHandle

CEPH_START = os.path.join(REPO_ROOT, "tools", "ceph", "start.sh")
CEPH_STOP = os.path.join(REPO_ROOT, "tools", "ceph", "stop.sh")
CEPH_INSTALL = os.path.join(REPO_ROOT, "tools", "ceph", "install.sh")
POOL = "volumes"
READONLY_USER = "storage-backup-diff"
OSD_BYTES = 4 * 1024 ** 3  # sparse: what the tests write, not this, is what it takes on disk
START_TIMEOUT = 180


@dataclass(frozen=True)
class CephCluster:
    """A running one-node Ceph with cephx, as ``tools/ceph/start.sh`` left it in ``directory``."""

    directory: str
    conf: str  # ceph.conf (names the admin keyring: the default client is client.admin)
    admin_keyring: str
    pool: str
    readonly_id: str  # the read-only user's id ("storage-backup-diff": client.storage-backup-diff)
    readonly_keyring: str
    python_path: str  # the folder exposing Debian's rados/rbd modules (and only them) to any CPython 3.11
    mon_port: int  # msgr2
    mon_port_v1: int  # what Cinder's connection info names (the monmap's legacy addresses)
    env: dict[str, str] = field(default_factory=dict)  # CEPH_CONF, PYTHONPATH, CEPH_READONLY_* for a process

    def rbd_settings(self, client_id: str = "admin", keyring: str | None = None) -> RbdSettings:
        """What ``SandboxProcess(rbd=...)`` / ``Stack(rbd=...)`` take: this pool, as the admin by default."""
        return RbdSettings(pool=self.pool, ceph_conf=self.conf, client_id=client_id,
                           keyring=keyring or (self.admin_keyring if client_id == "admin" else None),
                           python_path=self.python_path)

    def modules(self):
        """Debian's ``rados`` and ``rbd`` modules, importable in this (3.11) test process."""
        if self.python_path not in sys.path:
            sys.path.insert(0, self.python_path)
        import rados
        import rbd

        return rados, rbd

    @contextlib.contextmanager
    def open_pool(self, readonly: bool = False) -> Iterator[tuple[object, object]]:
        """``(rbd module, ioctx of the pool)`` as the admin, or as the read-only user."""
        rados, rbd = self.modules()
        client_id, keyring = (self.readonly_id, self.readonly_keyring) if readonly else ("admin", self.admin_keyring)
        cluster = rados.Rados(conffile=self.conf, rados_id=client_id, conf={"keyring": keyring})
        cluster.connect(timeout=30)
        try:
            ioctx = cluster.open_ioctx(self.pool)
            try:
                yield rbd, ioctx
            finally:
                ioctx.close()
        finally:
            cluster.shutdown()

    def rbd_cli(self, *args: str, readonly: bool = False, check: bool = True) -> subprocess.CompletedProcess:
        """The ``rbd`` command as the admin or the read-only user."""
        user = ["-n", f"client.{self.readonly_id}", "--keyring", self.readonly_keyring] if readonly else []
        return subprocess.run(["rbd", "-c", self.conf, *user, *args], capture_output=True, text=True, check=check,
                              timeout=120)


def _ensure_installed() -> None:
    if shutil.which("ceph-mon") and shutil.which("rbd-fuse"):
        return
    result = subprocess.run(["bash", CEPH_INSTALL], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"tools/ceph/install.sh failed:\n{result.stderr[-3000:]}")


def _unmount_fuse_below(root: str) -> None:
    """rbd-fuse mounts a test (or a killed sandbox) left below ``root``: unmounted before Ceph stops, or they hang."""
    with open("/proc/mounts") as handle:
        mounts = [line.split()[1] for line in handle if line.split()[0] == "rbd-fuse"]
    for mount in mounts:
        if mount.startswith(root + os.sep):
            subprocess.run(["fusermount3", "-u", "-z", mount], capture_output=True)


def _end_rbd_fuse(conf: str) -> None:
    """The rbd-fuse daemons of this Ceph (``-c conf``) that a stopped sandbox left: a lazy unmount does not end them,
    and once Ceph stops they would wait for it for ever. Each has its own session (rbd_fuse.py), so no process group
    reaches them."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
        except OSError:
            continue
        if os.path.basename(args[0]) == b"rbd-fuse" and os.fsencode(conf) in args:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


@pytest.fixture(scope="session")
def ceph(tmp_path_factory) -> Iterator[CephCluster]:
    """ONE Ceph for the whole run (see the module's docstring); stopped and wiped at the end."""
    _ensure_installed()
    root = tempfile.mkdtemp(prefix="storage-backup-ceph-tier-")
    directory = os.path.join(root, "ceph")
    mon_port, mon_port_v1, bind_min = free_port(), free_port(), free_range(40)
    env = dict(os.environ, CEPHX_DIR=directory, CEPHX_AUTH="cephx", CEPHX_STORE="bluestore",
               CEPHX_SIZE=str(OSD_BYTES), CEPHX_POOL=POOL, CEPHX_READONLY_USER=READONLY_USER,
               CEPHX_MON_PORT=str(mon_port), CEPHX_MON_PORT_V1=str(mon_port_v1),
               CEPHX_OSD_PORT_MIN=str(bind_min), CEPHX_OSD_PORT_MAX=str(bind_min + 38),
               CEPHX_RGW_PORT=str(bind_min + 39))
    try:
        result = subprocess.run(["bash", CEPH_START], env=env, capture_output=True, text=True,
                                timeout=START_TIMEOUT)
        if result.returncode != 0:
            raise RuntimeError(f"tools/ceph/start.sh failed ({result.returncode}):\n{result.stderr[-3000:]}")
        print(result.stdout.strip(), file=sys.stderr)
        python_path = os.path.join(directory, "pylib")
        cluster = CephCluster(
            directory=directory, conf=os.path.join(directory, "ceph.conf"),
            admin_keyring=os.path.join(directory, "keyring"), pool=POOL, readonly_id=READONLY_USER,
            readonly_keyring=os.path.join(directory, f"ceph.client.{READONLY_USER}.keyring"),
            python_path=python_path, mon_port=mon_port, mon_port_v1=mon_port_v1,
            env={"CEPH_CONF": os.path.join(directory, "ceph.conf"), "PYTHONPATH": python_path,
                 "CEPH_READONLY_ID": READONLY_USER,
                 "CEPH_READONLY_KEYRING": os.path.join(directory, f"ceph.client.{READONLY_USER}.keyring")})
        yield cluster
    finally:
        _unmount_fuse_below(str(tmp_path_factory.getbasetemp()))
        _end_rbd_fuse(os.path.join(directory, "ceph.conf"))
        subprocess.run(["bash", CEPH_STOP], env=dict(env, CEPHX_FAST="1", CEPHX_WIPE="1"), capture_output=True,
                       timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def rbd_sandbox(ceph: CephCluster, tmp_path_factory) -> Iterator[SandboxHandle]:
    """The embedded cloud (base seed) on the ``ceph`` pool, shared by the run's tests (they create what they need)."""
    with SandboxProcess(str(tmp_path_factory.mktemp("rbd-sandbox")), seed="base",
                        rbd=ceph.rbd_settings()).start() as process:
        yield SandboxHandle(process)

