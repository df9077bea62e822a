# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ``ceph`` tier's one radosgw (S3 with Object Lock), shared by every object-storage test of the run.

Started once per run on the tier's cephx Ceph (session fixture ``ceph``) by ``tools/ceph/start-rgw.sh`` with
``RGWX_CEPH_RUNNING=1`` (radosgw gets a cephx key of its own) and stopped at the run's end. Lifecycle rules run
every ``LC_DEBUG_INTERVAL`` seconds and a lifecycle "day" lasts that long (``rgw_lc_debug_interval``): RGW otherwise
runs them once a day, which no test can wait for. To iterate on an RGW already running, point
``STORAGE_BACKUP_TEST_S3_ENV`` at its ``s3.env`` (what start-rgw.sh writes): no Ceph is started then.

Fixture ``rgw`` (session): an ``Rgw`` (endpoint, credentials; ``settings()``/``destination()`` on a new bucket).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from storage_backup.repository import S3Credentials, S3Destination, S3Settings
from storage_backup_sandbox.launch import REPO_ROOT

RGW_START = os.path.join(REPO_ROOT, "tools", "ceph", "start-rgw.sh")
RGW_STOP = os.path.join(REPO_ROOT, "tools", "ceph", "stop-rgw.sh")
CEPH_INSTALL = os.path.join(REPO_ROOT, "tools", "ceph", "install.sh")
MiB = 1024 * 1024
#: Small enough that the tests' packs and objects go up as multipart uploads (S3's smallest part is 5 MiB).
OBJECT_THRESHOLD = 5 * MiB
#: Seconds per lifecycle "day", and how often RGW runs lifecycle rules.
LC_DEBUG_INTERVAL = 10


@dataclass(frozen=True)
class Rgw:
    endpoint: str
    credentials: S3Credentials
    directory: str = ""  # the Ceph's CEPHX_DIR (radosgw-admin runs there), "" for an RGW given by s3.env

    def settings(self, bucket: str, **kwargs) -> S3Settings:
        kwargs.setdefault("multipart_threshold", OBJECT_THRESHOLD)
        kwargs.setdefault("part_size", OBJECT_THRESHOLD)
        return S3Settings(bucket=bucket, endpoint_url=self.endpoint, region="default", path_style=True, **kwargs)

    def destination(self, bucket: str | None = None, **kwargs) -> S3Destination:
        """A destination on a new bucket (with Object Lock when ``lock_mode`` is given)."""
        destination = S3Destination(self.settings(bucket or f"t-{uuid.uuid4().hex[:12]}", **kwargs),
                                    self.credentials)
        destination.ensure_bucket()
        return destination

    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """``radosgw-admin ARGS`` on this RGW's Ceph (users, keys, buckets below the S3 API)."""
        env = dict(os.environ, CEPH_CONF=os.path.join(self.directory, "ceph.conf"))
        return subprocess.run(["radosgw-admin", *args], env=env, capture_output=True, text=True, check=check,
                              timeout=60)


def _read_env(path: str) -> dict[str, str]:
    values = {}
    with open(path) as handle:
        for line in handle:
            if line.startswith("export ") and "=" in line:
                key, value = line[len("export "):].strip().split("=", 1)
                values[key] = value
    return values


def _rgw_from_env(path: str) -> Rgw:
    values = _read_env(path)
    return Rgw(values["S3_ENDPOINT"], S3Credentials(values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"]),
               os.path.dirname(path))


@pytest.fixture(scope="session")
def rgw(request) -> Iterator[Rgw]:
    existing = os.environ.get("STORAGE_BACKUP_TEST_S3_ENV")
    if existing:
        yield _rgw_from_env(existing)
        return
    ceph = request.getfixturevalue("ceph")
    if not shutil.which("radosgw"):
        subprocess.run(["bash", CEPH_INSTALL], capture_output=True, text=True, check=True)
    env = dict(os.environ, CEPHX_DIR=ceph.directory, RGWX_CEPH_RUNNING="1",
               RGWX_ARGS=f"--rgw-lc-debug-interval={LC_DEBUG_INTERVAL}")
    env.pop("CEPHX_RGW_PORT", None)  # the port the tier's ceph.conf names
    try:
        started = subprocess.run(["bash", RGW_START], env=env, capture_output=True, text=True, timeout=120)
        if started.returncode != 0:
            raise RuntimeError(f"tools/ceph/start-rgw.sh failed ({started.returncode}):\n{started.stderr[-3000:]}")
        print(started.stdout.splitlines()[0])
        yield _rgw_from_env(os.path.join(ceph.directory, "s3.env"))
    finally:
        subprocess.run(["bash", RGW_STOP], env=dict(env, RGWX_KEEP_CEPH="1"), capture_output=True, timeout=60)
