# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Placement of the embedded cloud: one resource provider per compute host, what Horizon's Hypervisors panel reads.

Read-only and small: the version document, resource providers (a provider's UUID is its compute node's, as in
Nova), their inventories (VCPU, MEMORY_MB, DISK_GB with Nova's default allocation ratios), usages summed from the
servers on the host, aggregates and traits, and usages per project. The catalog entry (type ``placement``) is
registered by ``nova.seed_base``.
"""
from __future__ import annotations

import uuid

from storage_backup_sandbox.http import ApiError, Call, Microversions, Service, json_response
from storage_backup_sandbox.nova_common import (
    HOSTS,
    HYPERVISOR_DISK_GB,
    HYPERVISOR_RAM_MB,
    HYPERVISOR_VCPUS,
    live_servers,
)
from storage_backup_sandbox.state import State

MIN_VERSION = (1, 0)
MAX_VERSION = (1, 39)  # 2024.1


def _error_body(error: ApiError) -> dict:
    titles = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 406: "Not Acceptable",
              409: "Conflict"}
    return {"errors": [{"status": error.status, "title": titles.get(error.status, "Error"), "detail": error.message,
                        "request_id": "req-" + str(uuid.uuid4())}]}


placement = Service("placement", "/placement", error_body=_error_body,
                    microversions=Microversions("placement", MIN_VERSION, MAX_VERSION))
RESERVED_RAM_MB = 512
ALLOCATION_RATIOS = {"VCPU": 4.0, "PCPU": 1.0, "MEMORY_MB": 1.0, "DISK_GB": 1.0}  # Nova's initial ratios
DEDICATED_PCPUS = 16


def provider_uuid(host: str) -> str:
    """The compute node's UUID (the same the hypervisor API shows from 2.53)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-hypervisor-{host}"))


def _providers() -> list[dict]:
    return [{"uuid": provider_uuid(host), "name": host, "zone": zone} for zone, host in sorted(HOSTS.items())]


def _provider(call: Call, provider_id: str) -> dict:
    for provider in _providers():
        if provider["uuid"] == provider_id:
            return provider
    raise ApiError(404, f"No resource provider with uuid {provider_id} found")


def _usages(state: State, servers: list[dict]) -> dict[str, int]:
    return {"VCPU": sum(s["flavor"]["vcpus"] for s in servers), "PCPU": 0,
            "MEMORY_MB": sum(s["flavor"]["ram"] for s in servers),
            "DISK_GB": sum(s["flavor"]["disk"] for s in servers if s.get("image_ref"))}


def _generation(state: State, host: str) -> int:
    return sum(1 for s in state.table("servers").values() if s.get("host") == host or s.get("node") == host)


def _provider_view(call: Call, provider: dict) -> dict:
    base = f"/placement/resource_providers/{provider['uuid']}"
    view = {"uuid": provider["uuid"], "name": provider["name"],
            "generation": _generation(call.state, provider["name"]),
            "links": [{"rel": "self", "href": base}, {"rel": "inventories", "href": base + "/inventories"},
                      {"rel": "usages", "href": base + "/usages"}]}
    if call.mv_at_least(1, 14):
        view.update({"parent_provider_uuid": None, "root_provider_uuid": provider["uuid"]})
    if call.mv_at_least(1, 1):
        view["links"] += [{"rel": "aggregates", "href": base + "/aggregates"}]
    if call.mv_at_least(1, 6):
        view["links"] += [{"rel": "traits", "href": base + "/traits"}]
    if call.mv_at_least(1, 11):
        view["links"] += [{"rel": "allocations", "href": base + "/allocations"}]
    return view


@placement.route("/", public=True)
def versions(call: Call):
    body = {"versions": [{"id": "v1.0", "max_version": f"{MAX_VERSION[0]}.{MAX_VERSION[1]}",
                          "min_version": f"{MIN_VERSION[0]}.{MIN_VERSION[1]}", "status": "CURRENT",
                          "links": [{"rel": "self", "href": ""}]}]}
    return json_response(200, body)


@placement.route("/resource_providers")
def list_providers(call: Call):
    _require_admin(call)
    providers = _providers()
    if call.args.get("name"):
        providers = [p for p in providers if p["name"] == call.args["name"]]
    if call.args.get("uuid"):
        providers = [p for p in providers if p["uuid"] == call.args["uuid"]]
    return 200, {"resource_providers": [_provider_view(call, p) for p in providers]}


@placement.route("/resource_providers/<provider_id>")
def show_provider(call: Call, provider_id: str):
    _require_admin(call)
    return 200, _provider_view(call, _provider(call, provider_id))


@placement.route("/resource_providers/<provider_id>/inventories")
def list_inventories(call: Call, provider_id: str):
    _require_admin(call)
    provider = _provider(call, provider_id)
    # cpu_shared_set and cpu_dedicated_set both configured: shared vCPUs and a few dedicated pCPUs
    totals = {"VCPU": HYPERVISOR_VCPUS - DEDICATED_PCPUS, "PCPU": DEDICATED_PCPUS, "MEMORY_MB": HYPERVISOR_RAM_MB,
              "DISK_GB": HYPERVISOR_DISK_GB}
    reserved = {"VCPU": 0, "PCPU": 0, "MEMORY_MB": RESERVED_RAM_MB, "DISK_GB": 0}
    inventories = {name: {"total": total, "reserved": reserved[name], "min_unit": 1, "max_unit": total,
                          "step_size": 1, "allocation_ratio": ALLOCATION_RATIOS[name]}
                   for name, total in totals.items()}
    return 200, {"resource_provider_generation": _generation(call.state, provider["name"]),
                 "inventories": inventories}


@placement.route("/resource_providers/<provider_id>/usages")
def list_provider_usages(call: Call, provider_id: str):
    _require_admin(call)
    provider = _provider(call, provider_id)
    servers = [s for s in live_servers(call.state) if s.get("host") == provider["name"]]
    return 200, {"resource_provider_generation": _generation(call.state, provider["name"]),
                 "usages": _usages(call.state, servers)}


@placement.route("/resource_providers/<provider_id>/aggregates")
def list_provider_aggregates(call: Call, provider_id: str):
    _require_admin(call)
    provider = _provider(call, provider_id)
    aggregates = [] if provider["zone"] == "nova" else [
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-aggregate-{provider['zone']}"))]
    body = {"aggregates": aggregates}
    if call.mv_at_least(1, 19):
        body["resource_provider_generation"] = _generation(call.state, provider["name"])
    return 200, body


@placement.route("/resource_providers/<provider_id>/traits")
def list_provider_traits(call: Call, provider_id: str):
    _require_admin(call)
    provider = _provider(call, provider_id)
    traits = ["COMPUTE_NODE", "COMPUTE_VOLUME_ATTACH_WITH_TAG", "COMPUTE_VOLUME_EXTEND", "COMPUTE_NET_ATTACH_"
              "INTERFACE", "COMPUTE_IMAGE_TYPE_RAW", "COMPUTE_STORAGE_BUS_VIRTIO", "HW_CPU_X86_AVX2"]
    return 200, {"traits": traits, "resource_provider_generation": _generation(call.state, provider["name"])}


@placement.route("/usages")
def list_project_usages(call: Call):
    project_id = call.args.get("project_id")
    if not project_id:
        raise ApiError(400, "Invalid query string parameters: 'project_id' is a required property")
    if project_id != call.ctx.project_id:
        _require_admin(call)
    servers = [s for s in live_servers(call.state, project_id)
               if not call.args.get("user_id") or s["user_id"] == call.args["user_id"]]
    usages = _usages(call.state, servers)
    if call.mv_at_least(1, 38):
        usages = {"INSTANCE": len(servers), **usages}
        return 200, {"usages": {"all": usages}}
    return 200, {"usages": usages}


def _require_admin(call: Call) -> None:
    if not call.ctx.is_admin:
        raise ApiError(403, "Access was denied to this resource.")


def register_catalog(state: State) -> None:
    """The ``placement`` catalog entry (idempotent: kept as it is when present)."""
    from storage_backup_sandbox import keystone

    if not any(service["type"] == "placement" for service in state.table("services").values()):
        keystone.register_service(state, "placement", "placement", "/placement")
