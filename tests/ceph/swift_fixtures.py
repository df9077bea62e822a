# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A Swift API for the ``ceph`` tier: Ceph RGW's, with Keystone auth against the embedded cloud's Keystone.

The session fixture ``swift`` starts, on the tier's shared Ceph (the ``ceph`` fixture):

- an embedded cloud of its own (base seed; file volumes: only its Keystone is used), whose catalog gets an
  ``object-store`` service pointing at the radosgw below (``.../swift/v1/AUTH_$(project_id)s``, as a real
  deployment registers RGW);
- a second radosgw, ``client.rgw.swift`` (its own cephx key, port, log and ``ceph.conf`` section, so the S3 one of
  ``test_s3_destination.py`` is undisturbed), with ``rgw_keystone_*`` set: it validates every Swift token with
  Keystone (``GET /v3/auth/tokens`` with the sandbox admin's token), accepts the ``member`` and ``admin`` roles, puts
  the project in the URL (``rgw_swift_account_in_url``) and gives each Keystone project an RGW tenant of its own
  (``rgw_keystone_implicit_tenants``), so two projects' containers never meet.

Why RGW rather than Swift itself: the tier already runs Ceph, a second radosgw starts in about a second, and RGW is
what Ceph-backed OpenStack clouds (Charmed OpenStack, Sunbeam) serve their object-store from.
"""
from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from storage_backup.repository import SwiftCredentials, SwiftDestination, SwiftSettings
from storage_backup_sandbox.launch import ManagedProcess, SandboxProcess, free_port, http_ok
from storage_backup_sandbox.seed import user as sandbox_user

from tests.conftest import SandboxHandle

RGW_NAME = "client.rgw.swift"
#: The sandbox account radosgw validates tokens with (Keystone's "admin" role may read any token).
KEYSTONE_ADMIN = "admin"
MiB = 1024 * 1024


class SwiftRgwProcess(ManagedProcess):
    """``radosgw -f`` (foreground, so ``stop`` ends it) with its own section in a ``ceph.conf`` of its own."""

    name = "radosgw (Swift)"
    ready_timeout = 60.0

    def __init__(self, directory: str, conf: str, port: int) -> None:
        self.port = port
        super().__init__(["radosgw", "-f", "-c", conf, "-n", RGW_NAME], os.path.join(directory, "stdout.log"),
                         env=dict(os.environ, CEPH_CONF=conf))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        return f"radosgw with the Swift API on port {self.port}"

    def _ready(self) -> bool:
        return http_ok(self.url + "/")


@dataclass
class SwiftService:
    """RGW's Swift API and the Keystone it trusts; makes credentials and destinations for tests."""

    sandbox: SandboxHandle
    rgw: SwiftRgwProcess
    #: Objects from 2 MiB on go up as Static Large Objects of 1 MiB segments: the tests' packs are SLOs.
    large_object_threshold: int = 2 * MiB
    segment_size: int = MiB

    @property
    def auth_url(self) -> str:
        return self.sandbox.auth_url

    def password_credentials(self, user: str = "demo-member") -> SwiftCredentials:
        spec = sandbox_user(user)
        return SwiftCredentials(username=spec.name, password=spec.password, project_name=spec.project)

    def application_credential(self, user: str = "demo-member") -> SwiftCredentials:
        """A new application credential of ``user`` on its project (made through Keystone's API, as a user
        would with ``openstack application credential create``)."""
        session = self.sandbox.session(user)
        user_id = session.get_user_id()
        created = session.post(f"{self.auth_url}/users/{user_id}/application_credentials",
                               json={"application_credential": {"name": f"backup-{uuid.uuid4().hex[:8]}",
                                                                "roles": [{"name": "member"}]}})
        body = created.json()["application_credential"]
        return SwiftCredentials(application_credential_id=body["id"], application_credential_secret=body["secret"])

    def settings(self, container: str | None = None, **kwargs) -> SwiftSettings:
        kwargs.setdefault("large_object_threshold", self.large_object_threshold)
        kwargs.setdefault("segment_size", self.segment_size)
        return SwiftSettings(container=container or f"t-{uuid.uuid4().hex[:12]}", auth_url=self.auth_url,
                             region="RegionOne", **kwargs)

    def destination(self, container: str | None = None, credentials: SwiftCredentials | None = None,
                    **kwargs) -> SwiftDestination:
        """A destination on a new container (created on its first write) of ``demo-member``'s project."""
        return SwiftDestination(self.settings(container, **kwargs), credentials or self.password_credentials())


def _rgw_conf(ceph, directory: str, port: int, keyring: str, sandbox: SandboxHandle) -> str:
    """The tier's ceph.conf plus a ``[client.rgw.swift]`` section (Keystone's admin password stays out of argv)."""
    with open(ceph.conf) as handle:
        base = handle.read()
    admin = sandbox_user(KEYSTONE_ADMIN)
    section = f"""
[{RGW_NAME}]
keyring = {keyring}
# tcp_nodelay: without it beast holds a small response body back until the client's delayed ACK of the headers on
# a kept-alive connection, ~40 ms per range GET (measured: 50 ms -> 4 ms; a restore is mostly range GETs).
rgw frontends = beast endpoint=127.0.0.1:{port} tcp_nodelay=1
rgw data = {directory}
admin socket = {directory}/rgw.asok
log file = {directory}/rgw.log
pid file = {directory}/rgw.pid
rgw thread pool size = 32
debug rgw = 1
rgw keystone url = {sandbox.url}/identity
rgw keystone api version = 3
rgw keystone admin user = {admin.name}
rgw keystone admin password = {admin.password}
rgw keystone admin project = {admin.project}
rgw keystone admin domain = Default
rgw keystone accepted roles = member, admin
rgw keystone implicit tenants = true
rgw swift account in url = true
rgw keystone verify ssl = false
"""
    path = os.path.join(directory, "ceph.conf")
    with open(path, "w") as handle:
        handle.write(base + section)
    return path


def _register_object_store(sandbox: SandboxHandle, rgw_url: str) -> None:
    """The ``object-store`` entry a cloud operator adds for RGW (``openstack endpoint create object-store ...``)."""
    admin = sandbox.session(KEYSTONE_ADMIN)
    service = admin.post(f"{sandbox.auth_url}/services",
                         json={"service": {"type": "object-store", "name": "swift"}}).json()["service"]
    for interface in ("public", "internal", "admin"):
        admin.post(f"{sandbox.auth_url}/endpoints", json={"endpoint": {
            "service_id": service["id"], "interface": interface, "region_id": "RegionOne",
            "url": f"{rgw_url}/swift/v1/AUTH_$(project_id)s"}})


@pytest.fixture(scope="session")
def swift(ceph, tmp_path_factory) -> Iterator[SwiftService]:
    """RGW's Swift API with Keystone auth on the tier's Ceph (see the module's docstring); stopped at the end."""
    directory = str(tmp_path_factory.mktemp("swift-rgw"))
    keyring = os.path.join(directory, "keyring")
    subprocess.run(["ceph", "-c", ceph.conf, "auth", "get-or-create", RGW_NAME, "mon", "allow rw", "osd",
                    "allow rwx", "mgr", "allow rw", "-o", keyring], check=True, capture_output=True, timeout=60)
    with SandboxProcess(str(tmp_path_factory.mktemp("swift-sandbox")), seed="base").start() as sandbox_process:
        sandbox = SandboxHandle(sandbox_process)
        port = free_port()
        rgw = SwiftRgwProcess(directory, _rgw_conf(ceph, directory, port, keyring, sandbox), port)
        _register_object_store(sandbox, rgw.url)
        with rgw.start():
            yield SwiftService(sandbox, rgw)
