# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Instances in the embedded cloud for the control plane's tests, created through the real APIs as a tenant."""
from __future__ import annotations

import time
import uuid

COMPUTE = {"service_type": "compute", "interface": "public"}
VOLUME = {"service_type": "volumev3", "interface": "public"}
NETWORK = {"service_type": "network", "interface": "public"}
MICROVERSION = {"OpenStack-API-Version": "compute 2.79", "X-OpenStack-Nova-API-Version": "2.79"}


def wait_for_state(fetch, done, what: str, timeout: float = 60):
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not ready after {timeout} s: {value}")


def create_volume(session, name: str, size: int = 1, availability_zone: str = "nova", metadata=None) -> dict:
    body = {"volume": {"size": size, "name": name, "availability_zone": availability_zone,
                       "metadata": metadata or {}}}
    volume = session.post("/volumes", endpoint_filter=VOLUME, json=body).json()["volume"]
    return wait_for_state(lambda: session.get(f"/volumes/{volume['id']}", endpoint_filter=VOLUME).json()["volume"],
                 lambda v: v["status"] in ("available", "error"), f"volume {volume['id']}")


def smallest_flavor(session) -> str:
    flavors = session.get("/flavors/detail", endpoint_filter=COMPUTE, headers=MICROVERSION).json()["flavors"]
    return min(flavors, key=lambda f: (f["ram"], f["vcpus"], f["disk"]))["id"]


def create_instance(session, name: str | None = None, availability_zone: str = "nova", tags=None, metadata=None,
                    networks="none") -> dict:
    """A boot-from-volume server (1 GiB blank root volume), ACTIVE; ``networks``: "none" or a list of
    ``{"uuid"|"port": ...}``."""
    name = name or f"cp-{uuid.uuid4().hex[:8]}"
    root = create_volume(session, f"{name}-root", availability_zone=availability_zone)
    session.post(f"/volumes/{root['id']}/action", endpoint_filter=VOLUME,
                 json={"os-set_bootable": {"bootable": True}})
    body = {"server": {
        "name": name, "flavorRef": smallest_flavor(session), "availability_zone": availability_zone,
        "networks": networks, "metadata": metadata or {}, "tags": tags or [],
        "block_device_mapping_v2": [{"boot_index": 0, "uuid": root["id"], "source_type": "volume",
                                     "destination_type": "volume", "delete_on_termination": True}],
    }}
    response = session.post("/servers", endpoint_filter=COMPUTE, json=body, headers=MICROVERSION)
    server_id = response.json()["server"]["id"]
    return wait_for_state(lambda: session.get(f"/servers/{server_id}", endpoint_filter=COMPUTE,
                                     headers=MICROVERSION).json()["server"],
                 lambda s: s["status"] in ("ACTIVE", "ERROR"), f"server {server_id}")


def delete_instance(session, server_id: str) -> None:
    session.delete(f"/servers/{server_id}", endpoint_filter=COMPUTE, headers=MICROVERSION, raise_exc=False)


def raise_volume_quota(admin_session, project_id: str, volumes: int = 200) -> None:
    """Room for the many small volumes the control plane's tests create in one project."""
    admin_session.put(f"/os-quota-sets/{project_id}", endpoint_filter=VOLUME,
                      json={"quota_set": {"volumes": volumes, "gigabytes": volumes * 2, "snapshots": volumes}})
    admin_session.put(f"/os-quota-sets/{project_id}", endpoint_filter=COMPUTE, headers=MICROVERSION,
                      json={"quota_set": {"instances": volumes, "cores": volumes * 4, "ram": volumes * 4096}})
