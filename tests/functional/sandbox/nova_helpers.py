# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Helpers for the Nova and Neutron tests: raw API calls at a microversion, a small real image, polling."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable

from tests.conftest import SandboxHandle


class Response(dict):
    """The shape tempest's ``RestClient.validate_response`` expects: a header dict with ``status``."""

    def __init__(self, raw):
        super().__init__({k.lower(): v for k, v in raw.headers.items()})
        self.status = raw.status_code


class ComputeApi:
    """Raw Nova requests as one user at one microversion (keystoneauth1 session, real HTTP)."""

    def __init__(self, sandbox: SandboxHandle, user: str = "demo-member", microversion: str = "2.96"):
        self.sandbox = sandbox
        self.session = sandbox.session(user)
        self.microversion = microversion
        self.base = sandbox.url + "/compute/v2.1"

    @property
    def project_id(self) -> str:
        return self.session.get_project_id()

    def request(self, method: str, path: str, json=None, expect: int | tuple[int, ...] | None = None,
                microversion: str | None = None):
        headers = {"OpenStack-API-Version": f"compute {microversion or self.microversion}",
                   "Accept": "application/json"}
        url = path if path.startswith("http") else self.base + path
        response = self.session.request(url, method, json=json, raise_exc=False, headers=headers)
        if expect is not None:
            wanted = (expect,) if isinstance(expect, int) else expect
            assert response.status_code in wanted, (method, path, response.status_code, response.text[:500])
        return response

    def body(self, method: str, path: str, json=None, expect=None):
        response = self.request(method, path, json=json, expect=expect)
        return response.json() if response.content else None

    def server(self, server_id: str) -> dict:
        return self.body("GET", f"/servers/{server_id}", expect=200)["server"]

    def wait_server(self, server_id: str, status: str = "ACTIVE", timeout: float = 60) -> dict:
        return wait_until(lambda: self.server(server_id), lambda s: s["status"] == status, timeout,
                          fail=lambda s: s["status"] == "ERROR" and status != "ERROR")

    def wait_task_done(self, server_id: str, timeout: float = 60) -> dict:
        return wait_until(lambda: self.server(server_id), lambda s: s["OS-EXT-STS:task_state"] is None, timeout)

    def create_server(self, name: str, flavor: str = "1", image: str | None = None, networks="auto",
                      **extra) -> dict:
        body = {"name": name, "flavorRef": flavor, "networks": networks, **extra}
        if image:
            body["imageRef"] = image
        return self.body("POST", "/servers", json={"server": body}, expect=202)["server"]

    def delete_server(self, server_id: str, timeout: float = 60) -> None:
        self.request("DELETE", f"/servers/{server_id}", expect=(204, 404))
        wait_until(lambda: self.request("GET", f"/servers/{server_id}").status_code, lambda c: c == 404, timeout)


class VolumeApi:
    """Just enough raw Cinder for the Nova tests (volumes to attach, their status)."""

    def __init__(self, sandbox: SandboxHandle, user: str = "demo-member"):
        self.session = sandbox.session(user)
        self.base = sandbox.url + "/volume/v3/" + self.session.get_project_id()

    def create(self, size: int = 1, **extra) -> dict:
        response = self.session.post(self.base + "/volumes", json={"volume": {"size": size, **extra}},
                                     headers={"OpenStack-API-Version": "volume 3.71"})
        volume = response.json()["volume"]
        return self.wait(volume["id"], "available")

    def get(self, volume_id: str) -> dict | None:
        response = self.session.get(self.base + f"/volumes/{volume_id}", raise_exc=False,
                                    headers={"OpenStack-API-Version": "volume 3.71"})
        return None if response.status_code == 404 else response.json()["volume"]

    def wait(self, volume_id: str, status: str, timeout: float = 60) -> dict:
        return wait_until(lambda: self.get(volume_id), lambda v: v is not None and v["status"] == status, timeout,
                          fail=lambda v: v is not None and v["status"].startswith("error"))

    def delete(self, volume_id: str, timeout: float = 60) -> None:
        volume = self.get(volume_id)
        if volume is None:
            return
        if volume["status"] not in ("deleting",):
            self.session.delete(self.base + f"/volumes/{volume_id}", raise_exc=False)
        wait_until(lambda: self.get(volume_id), lambda v: v is None, timeout)


def wait_until(get: Callable[[], object], done: Callable[[object], bool], timeout: float = 60,
               fail: Callable[[object], bool] | None = None, interval: float = 0.05):
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = get()
        if done(value):
            return value
        if fail is not None and fail(value):
            raise AssertionError(f"failed while waiting: {value}")
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s; last value: {value}")


def make_ext4_image(size_mib: int = 16, files: dict[str, str] | None = None) -> bytes:
    """A raw disk image holding a real ext4 filesystem (``mkfs.ext4 -d``, no mount, no root)."""
    work = tempfile.mkdtemp(prefix="nova-test-image-")
    try:
        tree = os.path.join(work, "tree")
        for path, text in (files or {"/etc/hostname": "test-image\n",
                                     "/etc/os-release": 'NAME="Test Linux"\nID=debian\n'}).items():
            full = os.path.join(tree, path.lstrip("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as handle:
                handle.write(text)
        target = os.path.join(work, "disk.raw")
        with open(target, "wb") as handle:
            handle.truncate(size_mib * 1024 * 1024)
        mkfs = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"
        subprocess.run([mkfs, "-q", "-F", "-d", tree, target], check=True, capture_output=True)
        with open(target, "rb") as handle:
            return handle.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def upload_image(sandbox: SandboxHandle, data: bytes, user: str = "admin", visibility: str = "public",
                 name: str | None = None) -> str:
    """Create an active raw image through Glance's API; returns its ID."""
    session = sandbox.session(user)
    base = sandbox.url + "/image/v2"
    image = session.post(base + "/images", json={"name": name or f"test-image-{uuid.uuid4().hex[:8]}",
                                                 "disk_format": "raw", "container_format": "bare",
                                                 "visibility": visibility}).json()
    session.put(base + f"/images/{image['id']}/file", data=data,
                headers={"Content-Type": "application/octet-stream"})
    wait_until(lambda: session.get(base + f"/images/{image['id']}").json()["status"], lambda s: s == "active")
    return image["id"]


def delete_image(sandbox: SandboxHandle, image_id: str, user: str = "admin") -> None:
    sandbox.session(user).delete(sandbox.url + f"/image/v2/images/{image_id}", raise_exc=False)
