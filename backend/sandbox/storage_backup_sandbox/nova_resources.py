# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Nova's resources around servers: flavors, keypairs, availability zones, limits, quotas, usage, services,
hypervisors, server groups, aggregates and the extension list, with their microversion differences.
"""
from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid
from urllib.parse import urlencode

from storage_backup_sandbox.http import ApiError, Call, bool_arg
from storage_backup_sandbox.nova import compute
from storage_backup_sandbox.nova_common import (
    CONTROLLER_HOST,
    DEFAULT_QUOTAS,
    HOSTS,
    HYPERVISOR_DISK_GB,
    HYPERVISOR_RAM_MB,
    HYPERVISOR_VCPUS,
    QUOTAS_REMOVED_2_36,
    QUOTAS_REMOVED_2_57,
    live_servers,
    naive_time,
    parse_time,
    project_exists,
    quota_limits,
    quota_usage,
    require_admin,
    require_writer,
)
from storage_backup_sandbox.state import State

# ---------------------------------------------------------------------------------------------------------------
# seed: flavors

PROXY_FLAVOR_ID = "10"
FLAVORS = (
    # (id, name, vcpus, ram MiB, disk GiB, public)
    ("1", "m1.tiny", 1, 512, 1, True),
    ("2", "m1.small", 1, 2048, 2, True),
    ("3", "m1.medium", 2, 4096, 4, True),
    (PROXY_FLAVOR_ID, "backup.proxy", 2, 2048, 10, False),  # private: the backup service's proxy VMs
)


def create_flavor(state: State, *, flavor_id: str, name: str, vcpus: int, ram: int, disk: int, ephemeral: int = 0,
                  swap: int = 0, rxtx_factor: float = 1.0, is_public: bool = True,
                  description: str | None = None) -> dict:
    record = {"id": flavor_id, "name": name, "vcpus": vcpus, "ram": ram, "disk": disk, "ephemeral": ephemeral,
              "swap": swap, "rxtx_factor": rxtx_factor, "is_public": is_public, "disabled": False,
              "description": description, "extra_specs": {}, "access": [], "created_ts": time.time()}
    return state.put("flavors", record)


def seed_flavors(state: State) -> None:
    service = next((p["id"] for p in state.table("projects").values() if p["name"] == "service"), None)
    for flavor_id, name, vcpus, ram, disk, public in FLAVORS:
        if state.get("flavors", flavor_id) or any(f["name"] == name for f in state.table("flavors").values()):
            continue
        record = create_flavor(state, flavor_id=flavor_id, name=name, vcpus=vcpus, ram=ram, disk=disk,
                               is_public=public)
        if not public and service:
            record["access"].append(service)
            record["extra_specs"]["hw_rng:allowed"] = "True"


# ---------------------------------------------------------------------------------------------------------------
# flavors


def flavor_links(call: Call, flavor_id: str) -> list[dict]:
    return [{"rel": "self", "href": call.url(f"/compute/v2.1/flavors/{flavor_id}")},
            {"rel": "bookmark", "href": call.url(f"/compute/flavors/{flavor_id}")}]


def flavor_view(call: Call, flavor: dict, detail: bool = True) -> dict:
    view = {"id": flavor["id"], "name": flavor["name"], "links": flavor_links(call, flavor["id"])}
    if call.mv_at_least(2, 55):
        view["description"] = flavor.get("description")
    if not detail:
        return view
    view.update({
        "ram": flavor["ram"], "vcpus": flavor["vcpus"], "disk": flavor["disk"],
        # before 2.75 a flavor without swap answers "" (a quirk clients still parse)
        "swap": flavor["swap"] if flavor["swap"] or call.mv_at_least(2, 75) else "",
        "OS-FLV-EXT-DATA:ephemeral": flavor["ephemeral"], "OS-FLV-DISABLED:disabled": flavor["disabled"],
        "os-flavor-access:is_public": flavor["is_public"], "rxtx_factor": flavor["rxtx_factor"],
    })
    if call.mv_at_least(2, 61):
        view["extra_specs"] = dict(flavor["extra_specs"])
    return view


def flavor_visible(call: Call, flavor: dict) -> bool:
    return call.ctx.is_admin or flavor["is_public"] or call.ctx.project_id in flavor["access"]


def find_flavor(call: Call, flavor_ref: str) -> dict:
    """A flavor by id (or by its bookmark URL, which old clients send as ``flavorRef``)."""
    flavor_id = str(flavor_ref).rstrip("/").rsplit("/", 1)[-1]
    flavor = call.state.get("flavors", flavor_id)
    if flavor is None or not flavor_visible(call, flavor):
        raise ApiError(404, f"Flavor {flavor_id} could not be found.")
    return flavor


def _flavor_list(call: Call, detail: bool):
    flavors = list(call.state.table("flavors").values())
    is_public = call.args.get("is_public")
    if call.ctx.is_admin:
        if is_public is None or is_public.lower() in ("true", "1", "yes", "t"):
            flavors = [f for f in flavors if f["is_public"]]
        elif is_public.lower() in ("false", "0", "no", "f"):
            flavors = [f for f in flavors if not f["is_public"]]
        # "None" (Horizon's admin panel): every flavor
    else:
        flavors = [f for f in flavors if flavor_visible(call, f)]
    for arg, key in (("minDisk", "disk"), ("minRam", "ram")):
        if call.args.get(arg):
            try:
                minimum = int(call.args[arg])
            except ValueError:
                raise ApiError(400, f"Invalid input for query parameters {arg}.") from None
            flavors = [f for f in flavors if f[key] >= minimum]
    sort_key = call.args.get("sort_key", "flavorid")
    sort_dir = call.args.get("sort_dir", "asc")
    field = {"flavorid": "id", "memory_mb": "ram", "root_gb": "disk", "ephemeral_gb": "ephemeral"}.get(sort_key,
                                                                                                   sort_key)
    if field not in ("id", "name", "ram", "vcpus", "disk", "ephemeral", "swap", "rxtx_factor", "created_ts"):
        raise ApiError(400, f"Invalid input for query parameters sort_key. Value: {sort_key}.")
    flavors.sort(key=lambda f: (f[field] if field != "id" else (len(f["id"]), f["id"])), reverse=sort_dir == "desc")
    body: dict = {}
    flavors, links = nova_page(call, flavors, "flavors/detail" if detail else "flavors", key="id")
    body["flavors"] = [flavor_view(call, f, detail) for f in flavors]
    if links:
        body["flavors_links"] = links
    return 200, body


def nova_page(call: Call, items: list[dict], collection: str, key: str = "id") -> tuple[list[dict], list[dict]]:
    """Nova's marker/limit paging: the next link appears whenever a page is full (even if nothing follows)."""
    marker = call.args.get("marker")
    if marker:
        positions = [i for i, item in enumerate(items) if str(item.get(key)) == marker]
        if not positions:
            raise ApiError(400, f"marker [{marker}] not found")
        items = items[positions[0] + 1:]
    limit = 1000
    if call.args.get("limit") is not None:
        try:
            limit = int(call.args["limit"])
        except ValueError:
            raise ApiError(400, "limit param must be an integer") from None
        if limit < 0:
            raise ApiError(400, "limit param must be positive")
        limit = min(limit, 1000)
    items = items[:limit]
    links = []
    if items and len(items) == limit:
        query = [(k, v) for k, v in call.args.items(multi=True) if k != "marker"]
        query.append(("marker", str(items[-1][key])))
        links.append({"rel": "next", "href": call.url(f"/compute/v2.1/{collection}") + "?" + urlencode(query)})
    return items, links


@compute.route("/v2.1/flavors")
def list_flavors(call: Call):
    return _flavor_list(call, detail=False)


@compute.route("/v2.1/flavors/detail")
def list_flavors_detail(call: Call):
    return _flavor_list(call, detail=True)


@compute.route("/v2.1/flavors/<flavor_id>")
def show_flavor(call: Call, flavor_id: str):
    return 200, {"flavor": flavor_view(call, find_flavor(call, flavor_id))}


@compute.route("/v2.1/flavors", methods="POST")
def post_flavor(call: Call):
    require_admin(call, "os_compute_api:os-flavor-manage:create")
    body = call.body_object("flavor")
    name = str(body.get("name") or "").strip()
    if not name or len(name) > 255:
        raise ApiError(400, "Invalid input for field/attribute name.")
    flavor_id = body.get("id") or str(uuid.uuid4())
    flavor_id = str(flavor_id)
    if call.state.get("flavors", flavor_id):
        raise ApiError(409, f"Flavor with ID {flavor_id} already exists.")
    if any(f["name"] == name for f in call.state.table("flavors").values()):
        raise ApiError(409, f"Flavor with name {name} already exists.")
    try:
        values = {k: int(body.get(k, default)) for k, default in (("vcpus", None), ("ram", None), ("disk", None),
                                                                  ("OS-FLV-EXT-DATA:ephemeral", 0), ("swap", 0))}
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid input for field/attribute: vcpus, ram and disk must be integers.") from None
    if values["vcpus"] < 1 or values["ram"] < 1 or values["disk"] < 0:
        raise ApiError(400, "Invalid input for field/attribute: vcpus and ram must be >= 1, disk >= 0.")
    record = create_flavor(call.state, flavor_id=flavor_id, name=name, vcpus=values["vcpus"], ram=values["ram"],
                           disk=values["disk"], ephemeral=values["OS-FLV-EXT-DATA:ephemeral"],
                           swap=values["swap"], rxtx_factor=float(body.get("rxtx_factor", 1.0)),
                           is_public=bool_arg(body.get("os-flavor-access:is_public", True), "is_public"),
                           description=body.get("description") if call.mv_at_least(2, 55) else None)
    return 200, {"flavor": flavor_view(call, record)}


@compute.route("/v2.1/flavors/<flavor_id>", methods="PUT")
def put_flavor(call: Call, flavor_id: str):
    if not call.mv_at_least(2, 55):
        raise ApiError(405, "Method not allowed before microversion 2.55.")
    require_admin(call, "os_compute_api:os-flavor-manage:update")
    flavor = find_flavor(call, flavor_id)
    flavor["description"] = call.body_object("flavor").get("description")
    call.state.touch()
    return 200, {"flavor": flavor_view(call, flavor)}


@compute.route("/v2.1/flavors/<flavor_id>", methods="DELETE")
def delete_flavor(call: Call, flavor_id: str):
    require_admin(call, "os_compute_api:os-flavor-manage:delete")
    find_flavor(call, flavor_id)
    call.state.delete("flavors", flavor_id)
    return 202, None


@compute.route("/v2.1/flavors/<flavor_id>/os-extra_specs")
def list_extra_specs(call: Call, flavor_id: str):
    return 200, {"extra_specs": dict(find_flavor(call, flavor_id)["extra_specs"])}


@compute.route("/v2.1/flavors/<flavor_id>/os-extra_specs", methods="POST")
def post_extra_specs(call: Call, flavor_id: str):
    require_admin(call, "os_compute_api:os-flavor-extra-specs:create")
    flavor = find_flavor(call, flavor_id)
    specs = call.body_object("extra_specs")
    for key, value in specs.items():
        if not re.fullmatch(r"[\w.: -]{1,255}", key):
            raise ApiError(400, f"Invalid input for field/attribute extra_specs. Value: {key}")
        flavor["extra_specs"][key] = str(value)
    call.state.touch()
    return 200, {"extra_specs": {k: str(v) for k, v in specs.items()}}


@compute.route("/v2.1/flavors/<flavor_id>/os-extra_specs/<key>")
def show_extra_spec(call: Call, flavor_id: str, key: str):
    flavor = find_flavor(call, flavor_id)
    if key not in flavor["extra_specs"]:
        raise ApiError(404, f"Flavor {flavor_id} has no extra specs with key {key}.")
    return 200, {key: flavor["extra_specs"][key]}


@compute.route("/v2.1/flavors/<flavor_id>/os-extra_specs/<key>", methods="PUT")
def put_extra_spec(call: Call, flavor_id: str, key: str):
    require_admin(call, "os_compute_api:os-flavor-extra-specs:update")
    flavor = find_flavor(call, flavor_id)
    body = call.json()
    if not isinstance(body, dict) or list(body) != [key]:
        raise ApiError(400, "Request body and URI mismatch")
    flavor["extra_specs"][key] = str(body[key])
    call.state.touch()
    return 200, {key: flavor["extra_specs"][key]}


@compute.route("/v2.1/flavors/<flavor_id>/os-extra_specs/<key>", methods="DELETE")
def delete_extra_spec(call: Call, flavor_id: str, key: str):
    require_admin(call, "os_compute_api:os-flavor-extra-specs:delete")
    flavor = find_flavor(call, flavor_id)
    if flavor["extra_specs"].pop(key, None) is None:
        raise ApiError(404, f"Flavor {flavor_id} has no extra specs with key {key}.")
    call.state.touch()
    return 200, None


@compute.route("/v2.1/flavors/<flavor_id>/os-flavor-access")
def list_flavor_access(call: Call, flavor_id: str):
    flavor = find_flavor(call, flavor_id)
    if flavor["is_public"]:
        raise ApiError(404, "Access list not available for public flavors.")
    return 200, {"flavor_access": [{"flavor_id": flavor_id, "tenant_id": p} for p in flavor["access"]]}


@compute.route("/v2.1/flavors/<flavor_id>/action", methods="POST")
def flavor_action(call: Call, flavor_id: str):
    require_admin(call, "os_compute_api:os-flavor-access")
    flavor = find_flavor(call, flavor_id)
    body = call.json()
    if "addTenantAccess" in body:
        tenant = body["addTenantAccess"].get("tenant")
        if flavor["is_public"]:
            raise ApiError(409, "Can not add access to a public flavor.")
        if tenant in flavor["access"]:
            raise ApiError(409, f"Flavor access already exists for flavor {flavor_id} and project {tenant} "
                                "combination.")
        flavor["access"].append(tenant)
    elif "removeTenantAccess" in body:
        tenant = body["removeTenantAccess"].get("tenant")
        if tenant not in flavor["access"]:
            raise ApiError(404, f"Flavor access not found for {flavor_id} / {tenant} combination.")
        flavor["access"].remove(tenant)
    else:
        raise ApiError(400, "Invalid flavor action.")
    call.state.touch()
    return 200, {"flavor_access": [{"flavor_id": flavor_id, "tenant_id": p} for p in flavor["access"]]}


# ---------------------------------------------------------------------------------------------------------------
# keypairs (per user)

KEYPAIR_NAME = re.compile(r"^[a-zA-Z0-9 _-]+$")
KEYPAIR_NAME_292 = re.compile(r"^[a-zA-Z0-9 _.@-]+$")


def _fingerprint(public_key: str) -> str:
    parts = public_key.strip().split()
    if len(parts) < 2:
        raise ApiError(400, "Keypair data is invalid: failed to generate fingerprint")
    try:
        blob = base64.b64decode(parts[1].encode(), validate=True)
    except ValueError:
        raise ApiError(400, "Keypair data is invalid: failed to generate fingerprint") from None
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def _generate_keypair(name: str) -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, f"{public} Generated-by-Nova"


def _keypair_user(call: Call) -> str:
    user_id = call.args.get("user_id")
    if user_id and user_id != call.ctx.user_id:
        if not call.mv_at_least(2, 10):
            return call.ctx.user_id
        require_admin(call, "os_compute_api:os-keypairs:index")
        return user_id
    return call.ctx.user_id


def find_keypair(state: State, user_id: str, name: str) -> dict | None:
    return state.get("keypairs", f"{user_id}:{name}")


def _keypair_summary(call: Call, record: dict) -> dict:
    view = {"name": record["name"], "public_key": record["public_key"], "fingerprint": record["fingerprint"]}
    if call.mv_at_least(2, 2):
        view["type"] = record["type"]
    return view


@compute.route("/v2.1/os-keypairs")
def list_keypairs(call: Call):
    user_id = _keypair_user(call)
    records = sorted((k for k in call.state.table("keypairs").values() if k["user_id"] == user_id),
                     key=lambda k: k["name"])
    body: dict = {}
    if call.mv_at_least(2, 35):
        records, links = nova_page(call, records, "os-keypairs", key="name")
        if links:
            body["keypairs_links"] = links
    body["keypairs"] = [{"keypair": _keypair_summary(call, k)} for k in records]
    return 200, body


@compute.route("/v2.1/os-keypairs", methods="POST")
def post_keypair(call: Call):
    require_writer(call, "os_compute_api:os-keypairs:create")
    body = call.body_object("keypair")
    name = body.get("name")
    pattern = KEYPAIR_NAME_292 if call.mv_at_least(2, 92) else KEYPAIR_NAME
    if not isinstance(name, str) or not 1 <= len(name) <= 255 or not pattern.match(name):
        raise ApiError(400, "Invalid input for field/attribute name. Keypair data is invalid: Keypair name contains "
                            "unsafe characters")
    user_id = call.ctx.user_id
    if body.get("user_id") and call.mv_at_least(2, 10) and body["user_id"] != user_id:
        require_admin(call, "os_compute_api:os-keypairs:create")
        user_id = body["user_id"]
    key_type = body.get("type", "ssh") if call.mv_at_least(2, 2) else "ssh"
    if key_type not in ("ssh", "x509"):
        raise ApiError(400, f"Invalid input for field/attribute type. Value: {key_type}.")
    if find_keypair(call.state, user_id, name):
        raise ApiError(409, f"Key pair '{name}' already exists.")
    limit = quota_limits(call.state, call.ctx.project_id or "")["key_pairs"]
    owned = sum(1 for k in call.state.table("keypairs").values() if k["user_id"] == user_id)
    if 0 <= limit <= owned:
        raise ApiError(403, "Quota exceeded, too many key pairs.")
    private_key = None
    public_key = body.get("public_key")
    if not public_key:
        if call.mv_at_least(2, 92):
            raise ApiError(400, "Invalid input for field/attribute keypair. Value: public_key is a required property")
        private_key, public_key = _generate_keypair(name)
    fingerprint = _fingerprint(public_key) if key_type == "ssh" else hashlib.sha1(
        public_key.encode(), usedforsecurity=False).hexdigest()
    numeric = call.state.meta.get("nova_next_keypair_id", 1)
    call.state.meta["nova_next_keypair_id"] = numeric + 1
    record = {"id": f"{user_id}:{name}", "numeric_id": numeric, "name": name, "user_id": user_id,
              "public_key": public_key, "fingerprint": fingerprint, "type": key_type, "created_ts": time.time()}
    call.state.put("keypairs", record)
    view = {"name": name, "public_key": public_key, "fingerprint": fingerprint, "user_id": user_id}
    if private_key:
        view["private_key"] = private_key
    if call.mv_at_least(2, 2):
        view["type"] = key_type
    return (201 if call.mv_at_least(2, 2) else 200), {"keypair": view}


@compute.route("/v2.1/os-keypairs/<name>")
def show_keypair(call: Call, name: str):
    record = find_keypair(call.state, _keypair_user(call), name)
    if record is None:
        raise ApiError(404, f"Keypair {name} not found for user {call.ctx.user_id}")
    view = {"name": record["name"], "public_key": record["public_key"], "fingerprint": record["fingerprint"],
            "user_id": record["user_id"], "deleted": False, "created_at": naive_time(record["created_ts"]),
            "updated_at": None, "deleted_at": None, "id": record["numeric_id"]}
    if call.mv_at_least(2, 2):
        view["type"] = record["type"]
    return 200, {"keypair": view}


@compute.route("/v2.1/os-keypairs/<name>", methods="DELETE")
def delete_keypair(call: Call, name: str):
    require_writer(call, "os_compute_api:os-keypairs:delete")
    user_id = _keypair_user(call)
    if find_keypair(call.state, user_id, name) is None:
        raise ApiError(404, f"Keypair {name} not found for user {user_id}")
    call.state.delete("keypairs", f"{user_id}:{name}")
    return (204 if call.mv_at_least(2, 2) else 202), None


# ---------------------------------------------------------------------------------------------------------------
# availability zones, services, hypervisors, aggregates

BOOT_TS = time.time()


def _service_records(state: State) -> list[dict]:
    """nova-conductor and nova-scheduler on the controller, one nova-compute per AZ."""
    disabled = state.meta.get("nova_disabled_services", {})
    services = [("nova-conductor", CONTROLLER_HOST, "internal"), ("nova-scheduler", CONTROLLER_HOST, "internal")]
    services += [("nova-compute", host, zone) for zone, host in HOSTS.items()]
    records = []
    for index, (binary, host, zone) in enumerate(services, start=1):
        key = f"{binary}@{host}"
        state_info = disabled.get(key)
        records.append({"id": index, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-service-{key}")),
                        "binary": binary, "host": host, "zone": zone,
                        "status": "disabled" if state_info else "enabled",
                        "disabled_reason": (state_info or {}).get("reason"), "state": "up",
                        "forced_down": bool((state_info or {}).get("forced_down")), "key": key})
    return records


def _service_view(call: Call, record: dict) -> dict:
    view = {"id": record["uuid"] if call.mv_at_least(2, 53) else record["id"], "binary": record["binary"],
            "host": record["host"], "zone": record["zone"], "status": record["status"], "state": record["state"],
            "updated_at": naive_time(time.time() - 5), "disabled_reason": record["disabled_reason"]}
    if call.mv_at_least(2, 11):
        view["forced_down"] = record["forced_down"]
    return view


@compute.route("/v2.1/os-availability-zone")
def list_availability_zones(call: Call):
    zones = sorted(HOSTS)
    return 200, {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": None}
                                          for z in zones]}


@compute.route("/v2.1/os-availability-zone/detail")
def list_availability_zones_detail(call: Call):
    require_admin(call, "os_compute_api:os-availability-zone:detail")
    updated = naive_time(time.time() - 5)
    zones: dict[str, dict] = {}
    for record in _service_records(call.state):
        hosts = zones.setdefault(record["zone"], {})
        hosts.setdefault(record["host"], {})[record["binary"]] = {
            "available": record["status"] == "enabled", "active": True, "updated_at": updated}
    order = ["internal"] + sorted(HOSTS)
    return 200, {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": zones[z]}
                                          for z in order]}


@compute.route("/v2.1/os-services")
def list_services(call: Call):
    require_admin(call, "os_compute_api:os-services:list")
    records = _service_records(call.state)
    for key in ("host", "binary"):
        if call.args.get(key):
            records = [r for r in records if r[key] == call.args[key]]
    return 200, {"services": [_service_view(call, r) for r in records]}


def _set_service(call: Call, record: dict, changes: dict) -> dict:
    disabled = call.state.meta.setdefault("nova_disabled_services", {})
    entry = dict(disabled.get(record["key"]) or {})
    if changes.get("status") == "disabled":
        entry["reason"] = changes.get("disabled_reason")
        entry["disabled"] = True
    elif changes.get("status") == "enabled":
        entry.pop("disabled", None)
        entry["reason"] = None
    if "forced_down" in changes:
        entry["forced_down"] = bool(changes["forced_down"])
    if entry.get("disabled") or entry.get("forced_down"):
        disabled[record["key"]] = entry
    else:
        disabled.pop(record["key"], None)
    call.state.touch()
    return next(r for r in _service_records(call.state) if r["key"] == record["key"])


@compute.route("/v2.1/os-services/<service_ref>", methods="PUT")
def put_service(call: Call, service_ref: str):
    require_admin(call, "os_compute_api:os-services:update")
    body = call.json()
    records = _service_records(call.state)
    if call.mv_at_least(2, 53):
        record = next((r for r in records if r["uuid"] == service_ref), None)
        if record is None:
            raise ApiError(404, f"Service {service_ref} could not be found.")
        if record["binary"] != "nova-compute":
            raise ApiError(400, f"Updating a {record['binary']} service is not supported. Only nova-compute "
                                "services can be updated.")
        return 200, {"service": _service_view(call, _set_service(call, record, body))}
    # older microversions: PUT /os-services/{disable,enable,disable-log-reason,force-down} {"host", "binary"}
    record = next((r for r in records if r["host"] == body.get("host") and r["binary"] == body.get("binary")), None)
    if record is None:
        raise ApiError(404, f"Host {body.get('host')} could not be found.")
    action = {"disable": {"status": "disabled"}, "enable": {"status": "enabled"},
              "disable-log-reason": {"status": "disabled", "disabled_reason": body.get("disabled_reason")},
              "force-down": {"forced_down": body.get("forced_down")}}.get(service_ref)
    if action is None:
        raise ApiError(404, "Unknown action")
    updated = _set_service(call, record, action)
    view = {"host": updated["host"], "binary": updated["binary"]}
    if "status" in action:
        view["status"] = updated["status"]
    if service_ref == "disable-log-reason":
        view["disabled_reason"] = updated["disabled_reason"]
    if service_ref == "force-down":
        view["forced_down"] = updated["forced_down"]
    return 200, {"service": view}


def _hypervisor_records(state: State) -> list[dict]:
    records = []
    for index, (zone, host) in enumerate(sorted(HOSTS.items()), start=1):
        servers = [s for s in live_servers(state) if s.get("host") == host]
        vcpus_used = sum(s["flavor"]["vcpus"] for s in servers)
        ram_used = sum(s["flavor"]["ram"] for s in servers) + 512  # reserved_host_memory_mb
        disk_used = sum(s["flavor"]["disk"] for s in servers if s.get("image_ref"))
        records.append({"id": index, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-hypervisor-{host}")),
                        "hypervisor_hostname": host, "host": host, "zone": zone, "servers": servers,
                        "vcpus": HYPERVISOR_VCPUS, "vcpus_used": vcpus_used, "memory_mb": HYPERVISOR_RAM_MB,
                        "memory_mb_used": ram_used, "local_gb": HYPERVISOR_DISK_GB, "local_gb_used": disk_used,
                        "host_ip": f"192.0.2.{10 + index}"})
    return records


def _hypervisor_view(call: Call, record: dict, detail: bool) -> dict:
    uuids = call.mv_at_least(2, 53)
    service = next(s for s in _service_records(call.state) if s["host"] == record["host"])
    view = {"id": record["uuid"] if uuids else record["id"], "hypervisor_hostname": record["hypervisor_hostname"],
            "state": "up", "status": service["status"]}
    if detail:
        view.update({"hypervisor_type": "QEMU", "hypervisor_version": 8002002, "host_ip": record["host_ip"],
                     "service": {"id": service["uuid"] if uuids else service["id"], "host": record["host"],
                                 "disabled_reason": service["disabled_reason"]}})
        if not call.mv_at_least(2, 88):
            view.update({
                "vcpus": record["vcpus"], "memory_mb": record["memory_mb"], "local_gb": record["local_gb"],
                "vcpus_used": record["vcpus_used"], "memory_mb_used": record["memory_mb_used"],
                "local_gb_used": record["local_gb_used"],
                "free_ram_mb": record["memory_mb"] - record["memory_mb_used"],
                "free_disk_gb": record["local_gb"] - record["local_gb_used"], "current_workload": 0,
                "running_vms": len(record["servers"]), "disk_available_least": record["local_gb"] - 1,
            })
            cpu_info = {"arch": "x86_64", "model": "EPYC-Rome", "vendor": "AMD",
                        "topology": {"cells": 1, "sockets": 1, "cores": 32, "threads": 2},
                        "features": ["sse4.2", "avx2", "aes"]}
            if call.mv_at_least(2, 28):
                view["cpu_info"] = cpu_info
            else:
                import json

                view["cpu_info"] = json.dumps(cpu_info)
        else:
            view["uptime"] = (f" {time.strftime('%H:%M:%S')} up 42 days,  3:14,  0 users,  "
                              "load average: 0.08, 0.05, 0.01")
    with_servers = call.mv_at_least(2, 53) and bool_arg(call.args.get("with_servers", "false"), "with_servers")
    if record["servers"] and with_servers:
        view["servers"] = [{"name": s["instance_name"], "uuid": s["id"]} for s in record["servers"]]
    elif with_servers and call.mv_at_least(2, 75):
        view["servers"] = []
    return view


def _list_hypervisors(call: Call, detail: bool):
    require_admin(call, "os_compute_api:os-hypervisors:list")
    records = _hypervisor_records(call.state)
    if call.mv_at_least(2, 53) and call.args.get("hypervisor_hostname_pattern"):
        pattern = call.args["hypervisor_hostname_pattern"]
        records = [r for r in records if pattern in r["hypervisor_hostname"]]
    key = "uuid" if call.mv_at_least(2, 53) else "id"
    body: dict = {}
    if call.mv_at_least(2, 33):
        records, links = nova_page(call, records, "os-hypervisors/detail" if detail else "os-hypervisors", key=key)
        if links:
            body["hypervisors_links"] = links
    body["hypervisors"] = [_hypervisor_view(call, r, detail) for r in records]
    return 200, body


@compute.route("/v2.1/os-hypervisors")
def list_hypervisors(call: Call):
    return _list_hypervisors(call, detail=False)


@compute.route("/v2.1/os-hypervisors/detail")
def list_hypervisors_detail(call: Call):
    return _list_hypervisors(call, detail=True)


@compute.route("/v2.1/os-hypervisors/statistics")
def hypervisor_statistics(call: Call):
    require_admin(call, "os_compute_api:os-hypervisors:statistics")
    if call.mv_at_least(2, 88):
        raise ApiError(404, "The resource could not be found.")
    records = _hypervisor_records(call.state)
    totals = {k: sum(r[k] for r in records) for k in ("vcpus", "vcpus_used", "memory_mb", "memory_mb_used",
                                                      "local_gb", "local_gb_used")}
    totals.update({"count": len(records), "running_vms": sum(len(r["servers"]) for r in records),
                   "free_ram_mb": totals["memory_mb"] - totals["memory_mb_used"],
                   "free_disk_gb": totals["local_gb"] - totals["local_gb_used"], "current_workload": 0,
                   "disk_available_least": totals["local_gb"] - len(records)})
    return 200, {"hypervisor_statistics": totals}


@compute.route("/v2.1/os-hypervisors/<hypervisor_id>")
def show_hypervisor(call: Call, hypervisor_id: str):
    require_admin(call, "os_compute_api:os-hypervisors:show")
    key = "uuid" if call.mv_at_least(2, 53) else "id"
    for record in _hypervisor_records(call.state):
        if str(record[key]) == hypervisor_id:
            return 200, {"hypervisor": _hypervisor_view(call, record, detail=True)}
    raise ApiError(404, f"Hypervisor with ID '{hypervisor_id}' could not be found.")


@compute.route("/v2.1/os-hypervisors/<pattern>/search")
def search_hypervisors(call: Call, pattern: str):
    require_admin(call, "os_compute_api:os-hypervisors:search")
    if call.mv_at_least(2, 53):
        raise ApiError(404, "The resource could not be found.")
    found = [r for r in _hypervisor_records(call.state) if pattern in r["hypervisor_hostname"]]
    if not found:
        raise ApiError(404, f"No hypervisor matching '{pattern}' could be found.")
    return 200, {"hypervisors": [_hypervisor_view(call, r, detail=False) for r in found]}


@compute.route("/v2.1/os-hypervisors/<pattern>/servers")
def hypervisor_servers(call: Call, pattern: str):
    require_admin(call, "os_compute_api:os-hypervisors:servers")
    if call.mv_at_least(2, 53):
        raise ApiError(404, "The resource could not be found.")
    found = [r for r in _hypervisor_records(call.state) if pattern in r["hypervisor_hostname"]]
    if not found:
        raise ApiError(404, f"No hypervisor matching '{pattern}' could be found.")
    views = []
    for record in found:
        view = _hypervisor_view(call, record, detail=False)
        if record["servers"]:
            view["servers"] = [{"name": s["instance_name"], "uuid": s["id"]} for s in record["servers"]]
        views.append(view)
    return 200, {"hypervisors": views}


def _aggregates(call: Call) -> list[dict]:
    created = naive_time(BOOT_TS)
    aggregates = []
    for index, (zone, host) in enumerate(sorted(HOSTS.items()), start=1):
        if zone == "nova":
            continue  # the default zone needs no aggregate
        view = {"id": index, "name": zone, "availability_zone": zone, "hosts": [host],
                "metadata": {"availability_zone": zone}, "created_at": created, "updated_at": None,
                "deleted": False, "deleted_at": None}
        if call.mv_at_least(2, 41):
            view["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-aggregate-{zone}"))
        aggregates.append(view)
    return aggregates


@compute.route("/v2.1/os-aggregates")
def list_aggregates(call: Call):
    require_admin(call, "os_compute_api:os-aggregates:index")
    return 200, {"aggregates": _aggregates(call)}


@compute.route("/v2.1/os-aggregates/<aggregate_id>")
def show_aggregate(call: Call, aggregate_id: str):
    require_admin(call, "os_compute_api:os-aggregates:show")
    for aggregate in _aggregates(call):
        if str(aggregate["id"]) == aggregate_id:
            return 200, {"aggregate": aggregate}
    raise ApiError(404, f"Aggregate {aggregate_id} could not be found.")


@compute.route("/v2.1/os-migrations")
def list_migrations(call: Call):
    require_admin(call, "os_compute_api:os-migrations:index")
    return 200, {"migrations": []}


# ---------------------------------------------------------------------------------------------------------------
# limits and quotas


def _filtered_quota_names(call: Call) -> list[str]:
    removed: tuple[str, ...] = ()
    if call.mv_at_least(2, 57):
        removed = QUOTAS_REMOVED_2_57
    elif call.mv_at_least(2, 36):
        removed = QUOTAS_REMOVED_2_36
    return [name for name in DEFAULT_QUOTAS if name not in removed]


@compute.route("/v2.1/limits")
def show_limits(call: Call):
    project_id = call.ctx.project_id
    if call.args.get("tenant_id") and call.args["tenant_id"] != project_id:
        require_admin(call, "os_compute_api:limits:other_project")
        project_id = call.args["tenant_id"]
    limits = quota_limits(call.state, project_id)
    usage = quota_usage(call.state, project_id)
    names = {"ram": ["maxTotalRAMSize"], "instances": ["maxTotalInstances"], "cores": ["maxTotalCores"],
             "key_pairs": ["maxTotalKeypairs"], "floating_ips": ["maxTotalFloatingIps"],
             "metadata_items": ["maxServerMeta", "maxImageMeta"], "injected_files": ["maxPersonality"],
             "injected_file_content_bytes": ["maxPersonalitySize"], "security_groups": ["maxSecurityGroups"],
             "security_group_rules": ["maxSecurityGroupRules"], "server_groups": ["maxServerGroups"],
             "server_group_members": ["maxServerGroupMembers"]}
    filtered: tuple[str, ...] = ()
    if call.mv_at_least(2, 57):
        filtered = ("floating_ips", "security_groups", "security_group_rules", "injected_files",
                    "injected_file_content_bytes")
    elif call.mv_at_least(2, 36):
        filtered = ("floating_ips", "security_groups", "security_group_rules")
    absolute = {}
    for quota, limit_names in names.items():
        if quota in filtered:
            continue
        for limit_name in limit_names:
            if limit_name == "maxImageMeta" and call.mv_at_least(2, 39):
                continue
            absolute[limit_name] = limits[quota]
    used = {"totalRAMUsed": "ram", "totalCoresUsed": "cores", "totalInstancesUsed": "instances",
            "totalFloatingIpsUsed": "floating_ips", "totalSecurityGroupsUsed": "security_groups",
            "totalServerGroupsUsed": "server_groups"}
    for name, quota in used.items():
        if quota not in filtered:
            absolute[name] = usage[quota]
    return 200, {"limits": {"rate": [], "absolute": absolute}}


def _quota_project(call: Call, project_id: str, rule: str, admin_only: bool = False) -> None:
    if admin_only or project_id != call.ctx.project_id:
        require_admin(call, f"os_compute_api:os-quota-sets:{rule}")
    if not project_exists(call.state, project_id):
        raise ApiError(400, f"Project ID {project_id} is not a valid project.")


@compute.route("/v2.1/os-quota-sets/<project_id>")
def show_quota_set(call: Call, project_id: str):
    _quota_project(call, project_id, "show")
    limits = quota_limits(call.state, project_id)
    body = {"id": project_id}
    body.update({name: limits[name] for name in _filtered_quota_names(call)})
    return 200, {"quota_set": body}


@compute.route("/v2.1/os-quota-sets/<project_id>/defaults")
def show_quota_defaults(call: Call, project_id: str):
    if not project_exists(call.state, project_id):
        raise ApiError(400, f"Project ID {project_id} is not a valid project.")
    defaults = dict(DEFAULT_QUOTAS)
    defaults.update(call.state.meta.get("nova_quota_class_default", {}))
    body = {"id": project_id}
    body.update({name: defaults[name] for name in _filtered_quota_names(call)})
    return 200, {"quota_set": body}


@compute.route("/v2.1/os-quota-sets/<project_id>/detail")
def show_quota_detail(call: Call, project_id: str):
    _quota_project(call, project_id, "detail")
    limits = quota_limits(call.state, project_id)
    usage = quota_usage(call.state, project_id)
    body: dict = {"id": project_id}
    body.update({name: {"limit": limits[name], "in_use": usage[name], "reserved": 0}
                 for name in _filtered_quota_names(call)})
    return 200, {"quota_set": body}


@compute.route("/v2.1/os-quota-sets/<project_id>", methods="PUT")
def put_quota_set(call: Call, project_id: str):
    _quota_project(call, project_id, "update", admin_only=True)
    changes = call.body_object("quota_set")
    allowed = set(_filtered_quota_names(call))
    force = bool_arg(changes.get("force", False), "force")
    usage = quota_usage(call.state, project_id)
    entry = call.state.table("nova_quotas").setdefault(project_id, {"limits": {}})
    for name, value in changes.items():
        if name == "force":
            continue
        if name not in allowed:
            raise ApiError(400, f"Invalid input for field/attribute quota_set. Additional properties are not allowed "
                                f"('{name}' was unexpected)")
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Invalid input for field/attribute {name}. Value: {value}.") from None
        if value < -1:
            raise ApiError(400, f"Invalid input for field/attribute {name}. Value: {value}. {value} is less than "
                                "the minimum of -1")
        if not force and value != -1 and value < usage[name]:
            raise ApiError(400, f"Quota limit {value} for {name} must be greater than or equal to already used and "
                                f"reserved {usage[name]}.")
        entry["limits"][name] = value
    call.state.touch()
    limits = quota_limits(call.state, project_id)
    return 200, {"quota_set": {name: limits[name] for name in _filtered_quota_names(call)}}


@compute.route("/v2.1/os-quota-sets/<project_id>", methods="DELETE")
def delete_quota_set(call: Call, project_id: str):
    require_admin(call, "os_compute_api:os-quota-sets:delete")
    call.state.table("nova_quotas").pop(project_id, None)
    call.state.touch()
    return 202, None


def _quota_class_names(call: Call) -> list[str]:
    if call.mv_at_least(2, 57):
        removed = QUOTAS_REMOVED_2_57
    elif call.mv_at_least(2, 50):
        removed = QUOTAS_REMOVED_2_36
    else:  # before 2.50 the class API shows the network quotas but not the server group ones
        removed = ("server_groups", "server_group_members")
    return [name for name in DEFAULT_QUOTAS if name not in removed]


@compute.route("/v2.1/os-quota-class-sets/<class_name>")
def show_quota_class(call: Call, class_name: str):
    require_admin(call, "os_compute_api:os-quota-class-sets:show")
    defaults = dict(DEFAULT_QUOTAS)
    if class_name == "default":
        defaults.update(call.state.meta.get("nova_quota_class_default", {}))
    body = {"id": class_name}
    body.update({name: defaults[name] for name in _quota_class_names(call)})
    return 200, {"quota_class_set": body}


@compute.route("/v2.1/os-quota-class-sets/<class_name>", methods="PUT")
def put_quota_class(call: Call, class_name: str):
    require_admin(call, "os_compute_api:os-quota-class-sets:update")
    changes = call.body_object("quota_class_set")
    allowed = set(_quota_class_names(call))
    stored = call.state.meta.setdefault("nova_quota_class_default", {}) if class_name == "default" else {}
    for name, value in changes.items():
        if name not in allowed:
            raise ApiError(400, f"Invalid input for field/attribute quota_class_set. Additional properties are not "
                                f"allowed ('{name}' was unexpected)")
        stored[name] = int(value)
    call.state.touch()
    defaults = dict(DEFAULT_QUOTAS)
    defaults.update(stored)
    return 200, {"quota_class_set": {name: defaults[name] for name in _quota_class_names(call)}}


# ---------------------------------------------------------------------------------------------------------------
# simple tenant usage


def _usage_period(call: Call) -> tuple[float, float]:
    now = time.time()
    start = parse_time(call.args["start"]) if call.args.get("start") else now
    stop = parse_time(call.args["end"]) if call.args.get("end") else now + 1e-6
    if not start < stop:
        raise ApiError(400, "Invalid start time. The start time cannot occur after the end time.")
    return start, stop


def _server_usage(server: dict, start: float, stop: float) -> dict | None:
    launched = server.get("launched_ts") or server["created_ts"]
    terminated = server.get("terminated_ts")
    if launched > stop or (terminated is not None and terminated < start):
        return None
    begin, end = max(launched, start), min(terminated or stop, stop)
    hours = max(end - begin, 0) / 3600.0
    flavor = server["flavor"]
    uptime_end = terminated if terminated is not None else time.time()
    return {"instance_id": server["id"], "name": server["name"], "hours": hours, "memory_mb": flavor["ram"],
            "local_gb": flavor["disk"], "vcpus": flavor["vcpus"], "tenant_id": server["project_id"],
            "flavor": flavor["name"], "started_at": naive_time(launched), "ended_at": naive_time(terminated),
            "state": "terminated" if server.get("deleted") else server["vm_state"],
            "uptime": int(uptime_end - launched)}


def _tenant_usages(call: Call, project_ids: set[str] | None, detailed: bool,
                   collection: str) -> tuple[list[dict], list[dict]]:
    """Usage per project over the period; from 2.40 the *instances* are paged (marker/limit) and the totals are
    those of the page's instances, which clients (Horizon's ``usage_get``) add up page by page."""
    start, stop = _usage_period(call)
    servers = sorted(call.state.table("servers").values(), key=lambda s: (s["created_ts"], s["id"]))
    entries = []
    for server in servers:
        if project_ids is not None and server["project_id"] not in project_ids:
            continue
        usage = _server_usage(server, start, stop)
        if usage is not None:
            entries.append(usage)
    links: list[dict] = []
    if call.mv_at_least(2, 40):
        entries, links = nova_page(call, entries, collection, key="instance_id")
    per_project: dict[str, dict] = {}
    for usage in entries:
        totals = per_project.setdefault(usage["tenant_id"], {
            "tenant_id": usage["tenant_id"], "start": naive_time(start), "stop": naive_time(stop),
            "total_hours": 0.0, "total_local_gb_usage": 0.0, "total_memory_mb_usage": 0.0,
            "total_vcpus_usage": 0.0, "server_usages": []})
        totals["total_hours"] += usage["hours"]
        totals["total_local_gb_usage"] += usage["local_gb"] * usage["hours"]
        totals["total_memory_mb_usage"] += usage["memory_mb"] * usage["hours"]
        totals["total_vcpus_usage"] += usage["vcpus"] * usage["hours"]
        totals["server_usages"].append(usage)
    results = list(per_project.values())
    if not detailed:
        for entry in results:
            entry.pop("server_usages")
    return results, links


@compute.route("/v2.1/os-simple-tenant-usage")
def list_tenant_usage(call: Call):
    require_admin(call, "os_compute_api:os-simple-tenant-usage:list")
    detailed = bool_arg(call.args.get("detailed", "0"), "detailed")
    usages, links = _tenant_usages(call, None, detailed, "os-simple-tenant-usage")
    body: dict = {"tenant_usages": usages}
    if links:
        body["tenant_usages_links"] = links
    return 200, body


@compute.route("/v2.1/os-simple-tenant-usage/<project_id>")
def show_tenant_usage(call: Call, project_id: str):
    if project_id != call.ctx.project_id:
        require_admin(call, "os_compute_api:os-simple-tenant-usage:show")
    usages, links = _tenant_usages(call, {project_id}, True, f"os-simple-tenant-usage/{project_id}")
    body: dict = {"tenant_usage": usages[0] if usages else {}}
    if links:
        body["tenant_usage_links"] = links
    return 200, body


# ---------------------------------------------------------------------------------------------------------------
# server groups


def _server_group_view(call: Call, group: dict) -> dict:
    members = [m for m in group["members"] if (call.state.get("servers", m) or {}).get("deleted") is False]
    view = {"id": group["id"], "name": group["name"], "members": members}
    if call.mv_at_least(2, 64):
        view["policy"] = group["policy"]
        view["rules"] = dict(group.get("rules") or {})
    else:
        view["policies"] = [group["policy"]]
        view["metadata"] = {}
    if call.mv_at_least(2, 13):
        view["project_id"] = group["project_id"]
        view["user_id"] = group["user_id"]
    return view


@compute.route("/v2.1/os-server-groups")
def list_server_groups(call: Call):
    groups = list(call.state.table("server_groups").values())
    if not (call.ctx.is_admin and bool_arg(call.args.get("all_projects", "false"), "all_projects")):
        groups = [g for g in groups if g["project_id"] == call.ctx.project_id]
    groups.sort(key=lambda g: g["created_ts"])
    offset = int(call.args.get("offset", 0) or 0)
    if call.args.get("limit"):
        groups = groups[offset:offset + int(call.args["limit"])]
    return 200, {"server_groups": [_server_group_view(call, g) for g in groups]}


@compute.route("/v2.1/os-server-groups", methods="POST")
def post_server_group(call: Call):
    require_writer(call, "os_compute_api:os-server-groups:create")
    body = call.body_object("server_group")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Invalid input for field/attribute name.")
    if call.mv_at_least(2, 64):
        policy = body.get("policy")
    else:
        policies = body.get("policies") or []
        policy = policies[0] if len(policies) == 1 else None
    valid = ("anti-affinity", "affinity") + (("soft-anti-affinity", "soft-affinity") if call.mv_at_least(2, 15)
                                             else ())
    if policy not in valid:
        raise ApiError(400, f"Invalid input for field/attribute policy. Value: {policy}.")
    limit = quota_limits(call.state, call.ctx.project_id)["server_groups"]
    if 0 <= limit <= quota_usage(call.state, call.ctx.project_id)["server_groups"]:
        raise ApiError(403, "Quota exceeded, too many server groups.")
    group = {"id": str(uuid.uuid4()), "name": name, "policy": policy, "rules": body.get("rules") or {},
             "members": [], "project_id": call.ctx.project_id, "user_id": call.ctx.user_id,
             "created_ts": time.time()}
    call.state.put("server_groups", group)
    return 200, {"server_group": _server_group_view(call, group)}


def _get_server_group(call: Call, group_id: str) -> dict:
    group = call.state.get("server_groups", group_id)
    if group is None or (not call.ctx.is_admin and group["project_id"] != call.ctx.project_id):
        raise ApiError(404, f"Instance group {group_id} could not be found.")
    return group


@compute.route("/v2.1/os-server-groups/<group_id>")
def show_server_group(call: Call, group_id: str):
    return 200, {"server_group": _server_group_view(call, _get_server_group(call, group_id))}


@compute.route("/v2.1/os-server-groups/<group_id>", methods="DELETE")
def delete_server_group(call: Call, group_id: str):
    require_writer(call, "os_compute_api:os-server-groups:delete")
    _get_server_group(call, group_id)
    call.state.delete("server_groups", group_id)
    return 204, None


# ---------------------------------------------------------------------------------------------------------------
# extensions (Nova v2.1 still lists its historical extensions; Horizon looks some up by alias)

EXTENSIONS = (
    ("NMN", "Multinic", "Multiple network support."),
    ("OS-DCF", "DiskConfig", "Disk Management Extension."),
    ("OS-EXT-AZ", "ExtendedAvailabilityZone", "Extended Availability Zone support."),
    ("OS-EXT-IMG-SIZE", "ImageSize", "Adds image size to image listings."),
    ("OS-EXT-IPS", "ExtendedIps", "Adds type parameter to the ip list."),
    ("OS-EXT-IPS-MAC", "ExtendedIpsMac", "Adds mac address parameter to the ip list."),
    ("OS-EXT-SRV-ATTR", "ExtendedServerAttributes", "Extended Server Attributes support."),
    ("OS-EXT-STS", "ExtendedStatus", "Extended Status support."),
    ("OS-FLV-DISABLED", "FlavorDisabled", "Support to show the disabled status of a flavor."),
    ("OS-FLV-EXT-DATA", "FlavorExtraData", "Provide additional data for flavors."),
    ("OS-SCH-HNT", "SchedulerHints", "Pass arbitrary key/value pairs to the scheduler."),
    ("OS-SRV-USG", "ServerUsage", "Adds launched_at and terminated_at on Servers."),
    ("os-access-ips", "AccessIPs", "Access IPs support."),
    ("os-admin-actions", "AdminActions", "Enable admin-only server actions\n\n    Actions include: resetNetwork, "
                                         "injectNetworkInfo, os-resetState\n    "),
    ("os-admin-password", "AdminPassword", "Admin password management support."),
    ("os-aggregates", "Aggregates", "Admin-only aggregate administration."),
    ("os-assisted-volume-snapshots", "AssistedVolumeSnapshots", "Assisted volume snapshots."),
    ("os-attach-interfaces", "AttachInterfaces", "Attach interface support."),
    ("os-availability-zone", "AvailabilityZone", "1. Add availability_zone to the Create Server API.\n       2. Add "
                                                 "availability zones describing.\n    "),
    ("os-block-device-mapping", "BlockDeviceMapping", "Block device mapping boot support."),
    ("os-config-drive", "ConfigDrive", "Config Drive Extension."),
    ("os-console-output", "ConsoleOutput", "Console log output support, with tailing ability."),
    ("os-consoles", "Consoles", "Interactive Console support."),
    ("os-create-backup", "CreateBackup", "Create a backup of a server."),
    ("os-deferred-delete", "DeferredDelete", "Instance deferred delete."),
    ("os-evacuate", "Evacuate", "Enables server evacuation."),
    ("os-extended-volumes", "ExtendedVolumes", "Extended Volumes support."),
    ("os-flavor-access", "FlavorAccess", "Flavor access support."),
    ("os-flavor-extra-specs", "FlavorExtraSpecs", "Flavors extra specs support."),
    ("os-flavor-manage", "FlavorManage", "Flavor create/delete API support."),
    ("os-flavor-rxtx", "FlavorRxtx", "Support to show the rxtx status of a flavor."),
    ("os-hypervisors", "Hypervisors", "Admin-only hypervisor administration."),
    ("os-instance-actions", "InstanceActions", "View a log of actions and events taken on an instance."),
    ("os-keypairs", "Keypairs", "Keypair Support."),
    ("os-lock-server", "LockServer", "Enable lock/unlock server actions."),
    ("os-migrate-server", "MigrateServer", "Enable migrate and live-migrate server actions."),
    ("os-migrations", "Migrations", "Provide data on migrations."),
    ("os-multiple-create", "MultipleCreate", "Allow multiple create in the Create Server v2.1 API."),
    ("os-pause-server", "PauseServer", "Enable pause/unpause server actions."),
    ("os-quota-class-sets", "QuotaClasses", "Quota classes management support."),
    ("os-quota-sets", "Quotas", "Quotas management support."),
    ("os-rescue", "Rescue", "Instance rescue mode."),
    ("os-security-groups", "SecurityGroups", "Security group support."),
    ("os-server-diagnostics", "ServerDiagnostics", "Allow Admins to view server diagnostics through server id."),
    ("os-server-external-events", "ServerExternalEvents", "Server External Event Triggers."),
    ("os-server-group-quotas", "ServerGroupQuotas", "Adds quota support to server groups."),
    ("os-server-groups", "ServerGroups", "Server group support."),
    ("os-server-list-multi-status", "ServerListMultiStatus", "Allow to filter the servers by a set of status "
                                                             "values."),
    ("os-server-password", "ServerPassword", "Server password support."),
    ("os-server-sort-keys", "ServerSortKeys", "Add sorting support in get Server v2 API."),
    ("os-server-start-stop", "ServerStartStop", "Start/Stop instance compute API support."),
    ("os-services", "Services", "Services support."),
    ("os-shelve", "Shelve", "Instance shelve mode."),
    ("os-simple-tenant-usage", "SimpleTenantUsage", "Simple tenant usage extension."),
    ("os-suspend-server", "SuspendServer", "Enable suspend/resume server actions."),
    ("os-used-limits", "UsedLimits", "Provide data on limited resources that are being used."),
    ("os-user-data", "UserData", "Add user_data to the Create Server API."),
    ("os-volume-attachment-update", "VolumeAttachmentUpdate", "Support for updating a volume attachment."),
    ("os-volumes", "Volumes", "Volumes support."),
)


def _extension_view(alias: str, name: str, description: str) -> dict:
    return {"alias": alias, "name": name, "description": description, "links": [],
            "namespace": "http://docs.openstack.org/compute/ext/fake_xml", "updated": "2014-12-03T00:00:00Z"}


@compute.route("/v2.1/extensions")
def list_extensions(call: Call):
    return 200, {"extensions": [_extension_view(*entry) for entry in EXTENSIONS]}


@compute.route("/v2.1/extensions/<alias>")
def show_extension(call: Call, alias: str):
    for entry in EXTENSIONS:
        if entry[0] == alias:
            return 200, {"extension": _extension_view(*entry)}
    raise ApiError(404, "The resource could not be found.")


@compute.route("/v2.1/os-hosts")
def list_hosts(call: Call):
    """The deprecated hosts API (gone from 2.43, as in Nova)."""
    if call.mv_at_least(2, 43):
        raise ApiError(404, "The resource could not be found.")
    require_admin(call, "os_compute_api:os-hosts:list")
    hosts = [{"host_name": r["host"], "service": r["binary"].replace("nova-", ""), "zone": r["zone"]}
             for r in _service_records(call.state)]
    if call.args.get("zone"):
        hosts = [h for h in hosts if h["zone"] == call.args["zone"]]
    return 200, {"hosts": hosts}
