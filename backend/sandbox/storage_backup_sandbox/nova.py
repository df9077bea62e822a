# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Nova v2.1 of the embedded cloud (microversions 2.1-2.96).

This module holds the service, the version documents and the seed; the API is split by subject:
``nova_servers`` (servers, metadata, tags, build and delete), ``nova_volumes`` (volume attachments and block
device mappings), ``nova_actions`` (server actions incl. ``createImage``, instance actions, interfaces, consoles)
and ``nova_resources`` (flavors, keypairs, availability zones, limits, quotas, usage, services, hypervisors,
server groups). ``nova_common`` has what they share.
"""
from __future__ import annotations

from storage_backup_sandbox.http import Call, Microversions, Service
from storage_backup_sandbox.state import State

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)
compute = Service("compute", "/compute",
                  microversions=Microversions("compute", MIN_VERSION, MAX_VERSION, "X-OpenStack-Nova-API-Version"))


def _version(call: Call, ident: str, status: str, version: str, min_version: str) -> dict:
    path = "v2" if ident == "v2.0" else ident  # Nova's legacy v2.0 API lives at /v2/
    return {"id": ident, "status": status, "version": version, "min_version": min_version,
            "updated": "2011-01-21T11:33:21Z" if ident == "v2.0" else "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": call.url(f"/compute/{path}/")}]}


@compute.route("/", public=True)
def versions(call: Call):
    return 200, {"versions": [_version(call, "v2.0", "SUPPORTED", "", ""),
                              _version(call, "v2.1", "CURRENT", "2.96", "2.1")]}


@compute.route("/v2.1/", public=True)
def version_v21(call: Call):
    body = _version(call, "v2.1", "CURRENT", "2.96", "2.1")
    body["media-types"] = [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}]
    return 200, {"version": body}


def seed_base(state: State) -> None:
    """Idempotent: the flavors every sandbox has (availability zones are the compute hosts, see nova_common) and
    Placement's catalog entry."""
    with state.lock:
        nova_resources.seed_flavors(state)
        nova_placement.register_catalog(state)
        state.touch()


# The API (routes and transitions register on import). Kept last: those modules import ``compute`` from here.
from storage_backup_sandbox import (  # noqa: E402,F401
    nova_actions,
    nova_placement,
    nova_resources,
    nova_servers,
    nova_volumes,
)
