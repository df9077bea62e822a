# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ``openstack`` CLI against the whole product (``tests.functional.e2e.support.Stack``), with the REST API in
the embedded Keystone's catalog as ``data-protection``, where the plugin looks for it."""
from __future__ import annotations

import pytest

from tests.functional.e2e.support import Stack

SERVICE_TYPE = "data-protection"


def register_in_catalog(stack: Stack) -> str:
    """The REST API as an operator registers it: a ``data-protection`` service, its endpoints at ``…/v1``, through
    Keystone's own API with the admin's token."""
    session = stack.handle.session("admin")
    identity = stack.handle.auth_url.rstrip("/")
    service = session.post(identity + "/services", json={"service": {
        "type": SERVICE_TYPE, "name": "storage-backup", "description": "Agentless backup and restore"}}).json()
    url = stack.api.url + "/v1"
    for interface in ("public", "internal", "admin"):
        session.post(identity + "/endpoints", json={"endpoint": {
            "service_id": service["service"]["id"], "interface": interface, "url": url, "region_id": "RegionOne"}})
    return url


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("cli")))
    try:
        stack.start()
        register_in_catalog(stack)
        yield stack
    finally:
        stack.stop()
