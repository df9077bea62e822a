# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Nova servers: create (image or volume boot), build, list/show per microversion, update, delete, metadata, tags.

A create answers 202 with the server in ``BUILD``; the ``nova.server_build`` transition then does what
nova-compute does: creates the volumes of ``block_device_mapping_v2`` through Cinder and waits for them, copies
the Glance image to the root disk (``state.blocks.root_disk_path``, grown to the flavor's disk, seen by the guest
as ``dev/vda``), attaches the volumes, binds the Neutron ports and makes the server ``ACTIVE``. A delete runs the
reverse in ``nova.server_delete``: detach, delete the ports Nova made, remove the root disk, then delete the
``delete_on_termination`` volumes once Cinder has let them go.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import secrets
import string
import time
import uuid

from werkzeug.wrappers import Response

from storage_backup_sandbox import cinder, faults, glance, neutron
from storage_backup_sandbox.blockdev import GIB
from storage_backup_sandbox.http import ApiError, Call, json_response
from storage_backup_sandbox.nova import compute
from storage_backup_sandbox.nova_common import (
    DEFAULT_AZ,
    HOSTS,
    POWER_NOSTATE,
    POWER_RUNNING,
    access_ipv4,
    check_not_locked,
    check_server_quota,
    finish_action,
    get_server,
    host_id,
    isotime,
    loopback_address,
    naive_time,
    parse_time,
    quota_limits,
    record_action,
    server_status,
    writable_server,
)
from storage_backup_sandbox.nova_resources import find_flavor, find_keypair, nova_page
from storage_backup_sandbox.state import State, transition

LOG = logging.getLogger(__name__)

BUILD_WAIT_ATTEMPTS = 600  # polls of a volume still being created (Nova's block_device_allocate_retries)
REAP_ATTEMPTS = 300


# ---------------------------------------------------------------------------------------------------------------
# views


def server_links(call: Call, server_id: str) -> list[dict]:
    return [{"rel": "self", "href": call.url(f"/compute/v2.1/servers/{server_id}")},
            {"rel": "bookmark", "href": call.url(f"/compute/servers/{server_id}")}]


def _image_view(call: Call, server: dict):
    if not server.get("image_ref"):
        return ""
    return {"id": server["image_ref"],
            "links": [{"rel": "bookmark", "href": call.url(f"/compute/images/{server['image_ref']}")}]}


def _flavor_view(call: Call, server: dict) -> dict:
    flavor = server["flavor"]
    if call.mv_at_least(2, 47):
        return {"vcpus": flavor["vcpus"], "ram": flavor["ram"], "disk": flavor["disk"],
                "ephemeral": flavor["ephemeral"], "swap": flavor["swap"], "original_name": flavor["name"],
                "extra_specs": dict(flavor.get("extra_specs") or {})}
    return {"id": flavor["id"],
            "links": [{"rel": "bookmark", "href": call.url(f"/compute/flavors/{flavor['id']}")}]}


def _fault_view(call: Call, server: dict) -> dict | None:
    fault = server.get("fault")
    if not fault:
        return None
    view = {"code": fault["code"], "created": isotime(fault["created_ts"]), "message": fault["message"]}
    if fault.get("details") and (call.ctx.is_admin or fault["code"] != 500):
        view["details"] = fault["details"]
    return view


def _host_status(state: State, server: dict) -> str:
    if not server.get("host"):
        return ""
    disabled = state.meta.get("nova_disabled_services", {}).get(f"nova-compute@{server['host']}")
    if disabled and disabled.get("forced_down"):
        return "DOWN"
    if disabled:
        return "MAINTENANCE"
    return "UP"


def server_view(call: Call, server: dict, *, update: bool = False, show_server_groups: bool = False) -> dict:
    """Nova's detailed server view for the microversion of ``call`` (``update``: the PUT answer)."""
    from storage_backup_sandbox.nova_volumes import sync_bdms

    state = call.state
    sync_bdms(state, server)
    full = not update or call.mv_at_least(2, 75)
    status = server_status(server)
    building = server["vm_state"] == "building"
    view = {
        "id": server["id"], "name": server["name"], "status": status, "tenant_id": server["project_id"],
        "user_id": server["user_id"], "metadata": dict(server["metadata"]), "hostId": host_id(server),
        "image": _image_view(call, server), "flavor": _flavor_view(call, server),
        "created": isotime(server["created_ts"]), "updated": isotime(server["updated_ts"]),
        "addresses": {} if building else neutron.server_addresses(state, server["id"], extended=full),
        "accessIPv4": access_ipv4(server), "accessIPv6": server.get("access_ipv6") or "",
        "links": server_links(call, server["id"]),
        "OS-DCF:diskConfig": "AUTO" if server.get("auto_disk_config") else "MANUAL",
    }
    if status in ("ERROR", "DELETED"):
        fault = _fault_view(call, server)
        if fault:
            view["fault"] = fault
    if status in ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"):
        view["progress"] = server.get("progress", 0)
    admin = call.ctx.is_admin
    if full:
        view["OS-EXT-AZ:availability_zone"] = server.get("availability_zone") or ""
        if call.mv_at_least(2, 96):
            view["pinned_availability_zone"] = server.get("pinned_az")
        view["config_drive"] = server.get("config_drive") or ""
        view["key_name"] = server.get("key_name")
        view["OS-SRV-USG:launched_at"] = naive_time(server.get("launched_ts"))
        view["OS-SRV-USG:terminated_at"] = naive_time(server.get("terminated_ts"))
        groups = neutron.security_group_names_of_device(state, server["id"])
        if groups:
            view["security_groups"] = [{"name": name} for name in groups]
        if admin:
            view["OS-EXT-SRV-ATTR:host"] = server.get("host")
            view["OS-EXT-SRV-ATTR:instance_name"] = server["instance_name"]
            view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = server.get("node")
            if call.mv_at_least(2, 3):
                view.update({
                    "OS-EXT-SRV-ATTR:reservation_id": server["reservation_id"],
                    "OS-EXT-SRV-ATTR:launch_index": server.get("launch_index", 0),
                    "OS-EXT-SRV-ATTR:hostname": server["hostname"],
                    "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                    "OS-EXT-SRV-ATTR:root_device_name": server.get("root_device_name"),
                    "OS-EXT-SRV-ATTR:user_data": server.get("user_data"),
                })
        view["OS-EXT-STS:task_state"] = server.get("task_state")
        view["OS-EXT-STS:vm_state"] = server["vm_state"]
        view["OS-EXT-STS:power_state"] = server["power_state"]
        volumes = []
        for bdm in server["bdms"]:
            if bdm.get("volume_id"):
                entry = {"id": bdm["volume_id"]}
                if call.mv_at_least(2, 3):
                    entry["delete_on_termination"] = bool(bdm.get("delete_on_termination"))
                volumes.append(entry)
        view["os-extended-volumes:volumes_attached"] = volumes
        if call.mv_at_least(2, 16) and admin:
            view["host_status"] = _host_status(state, server)
    if call.mv_at_least(2, 9):
        view["locked"] = bool(server.get("locked"))
    if call.mv_at_least(2, 73):
        view["locked_reason"] = server.get("locked_reason")
    if call.mv_at_least(2, 19):
        view["description"] = server.get("description")
    if call.mv_at_least(2, 26):
        view["tags"] = list(server.get("tags") or [])
    if call.mv_at_least(2, 63):
        view["trusted_image_certificates"] = None
    if call.mv_at_least(2, 90) and not (full and admin):
        view["OS-EXT-SRV-ATTR:hostname"] = server["hostname"]
    if show_server_groups:
        view["server_groups"] = [server["server_group_id"]] if server.get("server_group_id") else []
    return view


# ---------------------------------------------------------------------------------------------------------------
# list and show

SORT_KEYS = {"created_at": "created_ts", "updated_at": "updated_ts", "display_name": "name", "uuid": "id",
             "launched_at": "launched_ts", "terminated_at": "terminated_ts", "vm_state": "vm_state",
             "task_state": "task_state", "power_state": "power_state", "availability_zone": "availability_zone",
             "project_id": "project_id", "user_id": "user_id", "key_name": "key_name", "hostname": "hostname",
             "display_description": "description", "locked": "locked", "config_drive": "config_drive",
             "image_ref": "image_ref", "instance_type_id": "flavor_id", "host": "host", "node": "node",
             "progress": "progress", "id": "numeric_id", "reservation_id": "reservation_id",
             "launch_index": "launch_index", "root_device_name": "root_device_name", "kernel_id": "kernel_id",
             "ramdisk_id": "ramdisk_id", "access_ip_v4": "access_ipv4", "access_ip_v6": "access_ipv6",
             "auto_disk_config": "auto_disk_config", "architecture": "architecture", "os_type": "os_type",
             "vm_mode": "vm_mode", "deleted": "deleted"}
STATUS_TO_STATES = {
    "ACTIVE": ("active", None), "BUILD": ("building", None), "SHUTOFF": ("stopped", None),
    "ERROR": ("error", None), "DELETED": ("deleted", None), "PAUSED": ("paused", None),
    "SUSPENDED": ("suspended", None), "RESCUE": ("rescued", None), "SHELVED": ("shelved", None),
    "SHELVED_OFFLOADED": ("shelved_offloaded", None), "VERIFY_RESIZE": ("resized", None),
    "SOFT_DELETED": ("soft-delete", None), "REBOOT": ("active", "rebooting"),
    "HARD_REBOOT": ("active", "rebooting_hard"), "REBUILD": ("active", "rebuilding"),
    "MIGRATING": ("active", "migrating"), "RESIZE": ("active", "resize_prep"),
}


def _truthy(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on", "t", "y")


def _filters_allowed(call: Call) -> set[str]:
    allowed = {"reservation_id", "name", "status", "image", "flavor", "ip", "changes-since", "all_tenants"}
    if call.mv_at_least(2, 5):
        allowed.add("ip6")
    if call.mv_at_least(2, 26):
        allowed |= {"tags", "tags-any", "not-tags", "not-tags-any"}
    if call.mv_at_least(2, 66):
        allowed.add("changes-before")
    if call.mv_at_least(2, 73):
        allowed.add("locked")
    if call.mv_at_least(2, 83):
        allowed |= {"availability_zone", "config_drive", "key_name", "created_at", "launched_at",
                    "terminated_at", "power_state", "task_state", "vm_state", "progress", "user_id"}
    return allowed


def _select_servers(call: Call) -> list[dict]:
    args = call.args
    ctx = call.ctx
    admin = ctx.is_admin
    allowed = _filters_allowed(call)
    present = set(args.keys()) - {"limit", "marker", "sort_key", "sort_dir"}
    filters = present if admin else present & allowed
    all_tenants_value = args.get("all_tenants")
    all_tenants = all_tenants_value is not None and (all_tenants_value == "" or _truthy(all_tenants_value))
    if all_tenants and not admin:
        raise ApiError(403, "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.")
    servers = list(call.state.table("servers").values())
    changes_since = parse_time(args["changes-since"]) if "changes-since" in filters else None
    changes_before = parse_time(args["changes-before"]) if "changes-before" in filters else None
    if changes_since and changes_before and changes_before < changes_since:
        raise ApiError(400, "The value of changes-since must be less than or equal to changes-before.")
    if "deleted" in filters and admin:
        want_deleted = _truthy(args["deleted"])
        servers = [s for s in servers if bool(s.get("deleted")) == want_deleted]
    elif changes_since is None and changes_before is None:
        servers = [s for s in servers if not s.get("deleted")]
    if all_tenants:
        for key in ("project_id", "tenant_id"):
            if args.get(key):
                servers = [s for s in servers if s["project_id"] == args[key]]
    else:
        servers = [s for s in servers if s["project_id"] == ctx.project_id]
    if changes_since is not None:
        servers = [s for s in servers if s["updated_ts"] >= changes_since]
    if changes_before is not None:
        servers = [s for s in servers if s["updated_ts"] <= changes_before]
    if "status" in filters:
        wanted = args.getlist("status")
        states = [STATUS_TO_STATES.get(w.upper()) for w in wanted]
        if any(s is None for s in states):
            if call.mv_at_least(2, 38):
                raise ApiError(400, "Invalid status value")
            return []
        servers = [s for s in servers if any(
            s["vm_state"] == vm and (task is None or s.get("task_state") == task) for vm, task in states)]
    if "name" in filters:
        try:
            pattern = re.compile(args["name"], re.IGNORECASE)
        except re.error:
            raise ApiError(400, f"Invalid filter field: name. '{args['name']}' is not a valid regular expression.") \
                from None
        servers = [s for s in servers if pattern.search(s["name"])]
    if "ip" in filters or "ip6" in filters:
        for key, version in (("ip", 4), ("ip6", 6)):
            if key not in filters:
                continue
            pattern = re.compile(args[key])
            servers = [s for s in servers if any(
                pattern.search(entry["addr"]) for entries in neutron.server_addresses(call.state, s["id"]).values()
                for entry in entries if entry["version"] == version)]
    simple = {"image": "image_ref", "flavor": ("flavor", "id"), "reservation_id": "reservation_id",
              "availability_zone": "availability_zone", "key_name": "key_name", "user_id": "user_id",
              "vm_state": "vm_state", "task_state": "task_state", "host": "host", "node": "node",
              "uuid": "id", "instance_name": "instance_name", "config_drive": "config_drive",
              "hostname": "hostname", "description": "description"}
    for key, field in simple.items():
        if key not in filters:
            continue
        wanted = args.getlist(key)
        if key == "image":
            wanted = [w.rstrip("/").rsplit("/", 1)[-1] for w in wanted]
        if isinstance(field, tuple):
            servers = [s for s in servers if str(s[field[0]][field[1]]) in wanted]
        else:
            servers = [s for s in servers if str(s.get(field) or "") in wanted]
    if "power_state" in filters:
        servers = [s for s in servers if str(s["power_state"]) in args.getlist("power_state")]
    if "locked" in filters:
        servers = [s for s in servers if bool(s.get("locked")) == _truthy(args["locked"])]
    tag_filters = (("tags", all, True), ("tags-any", any, True), ("not-tags", all, False),
                   ("not-tags-any", any, False))
    for key, mode, keep in tag_filters:
        if key in filters:
            tags = args[key].split(",")
            servers = [s for s in servers if mode(t in s.get("tags", []) for t in tags) == keep]
    return servers


def _sort_servers(call: Call, servers: list[dict]) -> list[dict]:
    # nova.db.utils.process_sort_params: created_at and id are always the last keys; a missing direction is
    # the first one given (default desc)
    keys = call.args.getlist("sort_key") or ["created_at"]
    dirs = call.args.getlist("sort_dir") or ["desc"]
    keys = keys + [k for k in ("created_at", "id") if k not in keys]
    dirs = dirs + [dirs[0]] * (len(keys) - len(dirs))
    result = list(servers)
    for index in range(len(keys) - 1, -1, -1):
        key = keys[index]
        if key in ("host", "node") and not call.ctx.is_admin:
            continue
        field = SORT_KEYS.get(key)
        if field is None:
            raise ApiError(400, f"Invalid input for query parameters sort_key. Value: {key}.")
        direction = dirs[index]
        if direction not in ("asc", "desc"):
            raise ApiError(400, f"Invalid input for query parameters sort_dir. Value: {direction}.")
        result.sort(key=lambda s, f=field: (s.get(f) is None, s.get(f) if not isinstance(s.get(f), str)
                                            else s.get(f).lower()) if f != "flavor_id" else s["flavor"]["id"],
                    reverse=direction == "desc")
    return result


def _list(call: Call, detail: bool):
    servers = _sort_servers(call, _select_servers(call))
    servers, links = nova_page(call, servers, "servers/detail" if detail else "servers")
    if detail:
        items = [server_view(call, s) for s in servers]
    else:
        items = [{"id": s["id"], "name": s["name"], "links": server_links(call, s["id"])} for s in servers]
    body: dict = {"servers": items}
    if links:
        body["servers_links"] = links
    return 200, body


@compute.route("/v2.1/servers")
def list_servers(call: Call):
    return _list(call, detail=False)


@compute.route("/v2.1/servers/detail")
def list_servers_detail(call: Call):
    return _list(call, detail=True)


@compute.route("/v2.1/servers/<server_id>")
def show_server(call: Call, server_id: str):
    server = get_server(call, server_id)
    return 200, {"server": server_view(call, server, show_server_groups=call.mv_at_least(2, 71))}


# ---------------------------------------------------------------------------------------------------------------
# create


def _hostname(name: str) -> str:
    text = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")
    return text[:63] or "server"


def _check_metadata(metadata, limit: int) -> dict:
    if not isinstance(metadata, dict):
        raise ApiError(400, "Invalid input for field/attribute metadata. Value: must be an object.")
    for key, value in metadata.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 255:
            raise ApiError(400, "Invalid input for field/attribute metadata. Metadata property key must be a string "
                                "of 1 to 255 characters.")
        if not isinstance(value, str) or len(value) > 255:
            raise ApiError(400, f"Invalid input for field/attribute {key}. Value: {value}. Metadata property value "
                                "must be a string of at most 255 characters.")
    if 0 <= limit < len(metadata):
        raise ApiError(403, "Quota exceeded for metadata_items: Requested "
                            f"{len(metadata)}, but already used 0 of {limit} metadata_items")
    return {str(k): str(v) for k, v in metadata.items()}


def _check_tags(tags) -> list[str]:
    if not isinstance(tags, list) or len(tags) > 50:
        raise ApiError(400, "Invalid input for field/attribute tags. A server has at most 50 tags.")
    for tag in tags:
        if not isinstance(tag, str) or not 1 <= len(tag) <= 60 or "," in tag or "/" in tag:
            raise ApiError(400, f"Invalid input for field/attribute tags. Value: {tag}.")
    return list(dict.fromkeys(tags))


def _parse_bdms(call: Call, body: dict) -> list[dict]:
    """``block_device_mapping_v2`` (or legacy ``block_device_mapping``) as Nova's internal BDM dicts."""
    legacy = body.get("block_device_mapping")
    v2 = body.get("block_device_mapping_v2")
    if legacy and v2:
        raise ApiError(400, "Using different block_device_mapping syntaxes is not allowed in the same request.")
    bdms = []
    for entry in v2 or []:
        if not isinstance(entry, dict):
            raise ApiError(400, "Invalid input for field/attribute block_device_mapping_v2.")
        source = entry.get("source_type")
        destination = entry.get("destination_type") or ("volume" if source in ("volume", "snapshot") else "local")
        if source not in ("image", "volume", "snapshot", "blank"):
            raise ApiError(400, "Block Device Mapping is Invalid: Some required fields are missing")
        boot_index = entry.get("boot_index")
        try:
            boot_index = int(boot_index) if boot_index not in (None, "") else None
        except (TypeError, ValueError):
            raise ApiError(400, f"Invalid input for field/attribute boot_index. Value: {boot_index}.") from None
        size = entry.get("volume_size")
        try:
            size = int(size) if size not in (None, "") else None
        except (TypeError, ValueError):
            raise ApiError(400, f"Invalid input for field/attribute volume_size. Value: {size}.") from None
        bdm = {"uuid": str(uuid.uuid4()), "source_type": source, "destination_type": destination,
               "boot_index": boot_index, "device_name": entry.get("device_name"),
               "delete_on_termination": _bool_value(entry.get("delete_on_termination", False)),
               "volume_size": size, "tag": entry.get("tag"), "volume_type": entry.get("volume_type"),
               "disk_bus": entry.get("disk_bus") or "virtio", "device_type": entry.get("device_type") or "disk",
               "guest_format": entry.get("guest_format"), "volume_id": None, "snapshot_id": None,
               "image_id": None, "attachment_id": None, "state": "pending"}
        ident = entry.get("uuid")
        if source == "volume":
            bdm["volume_id"] = ident
        elif source == "snapshot":
            bdm["snapshot_id"] = ident
        elif source == "image":
            bdm["image_id"] = ident
        if source in ("volume", "snapshot", "image") and not ident:
            raise ApiError(400, "Block Device Mapping is Invalid: Missing device UUID.")
        bdms.append(bdm)
    for entry in legacy or []:
        if not isinstance(entry, dict):
            raise ApiError(400, "Invalid input for field/attribute block_device_mapping.")
        device = entry.get("device_name")
        bdm = {"uuid": str(uuid.uuid4()), "destination_type": "volume", "device_name": device,
               "delete_on_termination": _bool_value(entry.get("delete_on_termination", False)),
               "volume_size": int(entry["volume_size"]) if entry.get("volume_size") else None, "tag": None,
               "volume_type": None, "disk_bus": "virtio", "device_type": "disk", "guest_format": None,
               "volume_id": entry.get("volume_id"), "snapshot_id": entry.get("snapshot_id"), "image_id": None,
               "attachment_id": None, "state": "pending",
               "source_type": "snapshot" if entry.get("snapshot_id") else "volume",
               # legacy mappings have no boot index: the root device is the one named vda
               "boot_index": 0 if (device or "").rsplit("/", 1)[-1] in ("vda", "sda", "xvda") else None}
        bdms.append(bdm)
    return bdms


def _bool_value(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on", "t", "y")
    return bool(value)


def _image_bdms(image: dict) -> list[dict]:
    """The mappings a volume-backed snapshot image carries (``bdm_v2`` + ``block_device_mapping`` properties)."""
    properties = image.get("properties") or {}
    if str(properties.get("bdm_v2", "")).lower() != "true" or not properties.get("block_device_mapping"):
        return []
    raw = properties["block_device_mapping"]
    try:
        mappings = json.loads(raw) if isinstance(raw, str) else list(raw)
    except ValueError:
        return []
    bdms = []
    for entry in mappings:
        bdms.append({"uuid": str(uuid.uuid4()), "source_type": entry.get("source_type"),
                     "destination_type": entry.get("destination_type") or "volume",
                     "boot_index": entry.get("boot_index"), "device_name": entry.get("device_name"),
                     "delete_on_termination": bool(entry.get("delete_on_termination")),
                     "volume_size": entry.get("volume_size"), "tag": entry.get("tag"),
                     "volume_type": entry.get("volume_type"), "disk_bus": entry.get("disk_bus") or "virtio",
                     "device_type": entry.get("device_type") or "disk", "guest_format": entry.get("guest_format"),
                     "volume_id": entry.get("volume_id"), "snapshot_id": entry.get("snapshot_id"),
                     "image_id": entry.get("image_id"), "attachment_id": None, "state": "pending"})
    return bdms


def _assign_devices(bdms: list[dict], image_booted: bool) -> None:
    """Device names as the libvirt driver gives them: root vda, then vdb, vdc... in boot order."""
    taken = {"vda"} if image_booted else set()
    ordered = sorted(bdms, key=lambda b: (b["boot_index"] is None or b["boot_index"] < 0,
                                          b["boot_index"] if b["boot_index"] is not None else 0))
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    for bdm in ordered:
        if bdm["destination_type"] != "volume":
            continue
        if bdm.get("boot_index") == 0 and not image_booted:
            bdm["device_name"] = "/dev/vda"
            taken.add("vda")
            continue
        for letter in letters:
            name = f"vd{letter}"
            if name not in taken:
                bdm["device_name"] = f"/dev/{name}"
                taken.add(name)
                break


def _resolve_networks(call: Call, body: dict, project_id: str) -> list[dict]:
    """What to plug the server into: ``[{"network_id"} | {"port_id"}, ...]`` (Nova's requested networks)."""
    state = call.state
    requested = body.get("networks")
    if requested is None:
        if call.mv_at_least(2, 37):
            raise ApiError(400, "Invalid input for field/attribute server. Value: ... 'networks' is a required "
                                "property")
        requested = "auto"
    if requested == "none":
        return []
    if requested == "auto":
        # the project's own networks first (the shared public network is external: a tenant cannot plug into
        # it, an admin can -- Nova's network:attach_external_network policy)
        available = neutron.networks_available_to(state, project_id)
        candidates = [n for n in available if n["project_id"] == project_id and not n["router:external"]]
        if not candidates:
            candidates = [n for n in available if call.ctx.is_admin or not n["router:external"]]
        if not candidates:
            raise ApiError(400, f"Unable to automatically allocate a network for project {project_id}")
        if len(candidates) > 1:
            raise ApiError(409, "Multiple possible networks found, use a Network ID to be more specific.")
        return [{"network_id": candidates[0]["id"]}]
    if isinstance(requested, str):
        raise ApiError(400, f"Invalid input for field/attribute networks. Value: {requested}.")
    result = []
    seen_ports = set()
    for entry in requested:
        if not isinstance(entry, dict):
            raise ApiError(400, "Bad networks format")
        port_id = entry.get("port")
        if port_id:
            if port_id in seen_ports:
                raise ApiError(400, f"Port ID '{port_id}' was specified twice: you cannot attach a port multiple "
                                    "times.")
            if entry.get("fixed_ip"):
                raise ApiError(400, f"Specified Fixed IP '{entry['fixed_ip']}' cannot be used with port "
                                    f"'{port_id}': the two cannot be specified together.")
            port = state.get("ports", port_id)
            if port is None or (port["project_id"] != project_id and not call.ctx.is_admin):
                raise ApiError(400, f"Port id {port_id} could not be found.")
            if port["device_id"]:
                raise ApiError(409, f"Port {port_id} is still in use.")
            seen_ports.add(port_id)
            result.append({"port_id": port_id, "tag": entry.get("tag")})
            continue
        network_id = entry.get("uuid")
        if not network_id:
            raise ApiError(400, "Bad network format: missing 'uuid'")
        net = state.get("networks", network_id)
        if net is None or not (net["project_id"] == project_id or net["shared"] or call.ctx.is_admin):
            raise ApiError(400, f"Network {network_id} could not be found.")
        if net["router:external"] and not net["shared"] and not call.ctx.is_admin:
            raise ApiError(403, f"It is not allowed to create an interface on external network {network_id}")
        if not net["subnets"]:
            raise ApiError(400, f"Network {network_id} requires a subnet in order to boot instances on.")
        result.append({"network_id": network_id, "fixed_ip": entry.get("fixed_ip"), "tag": entry.get("tag")})
    return result


def _security_group_ids(call: Call, body: dict, project_id: str) -> list[str]:
    names = [g.get("name") for g in body.get("security_groups") or [] if isinstance(g, dict) and g.get("name")]
    ids = []
    for name in dict.fromkeys(names or ["default"]):
        group = neutron.find_security_group(call.state, project_id, name)
        if group is None:
            raise ApiError(400, f"Security group {name} not found for project {project_id}.")
        ids.append(group["id"])
    return ids


def _system_metadata(call: Call, image: dict | None, flavor: dict) -> dict:
    """What Nova keeps of the boot image (``image_*``) and of the booting user, for later snapshots."""
    meta = {"owner_user_name": call.ctx.user_name, "owner_project_name": call.ctx.project_name or "",
            "boot_roles": ",".join(call.ctx.roles)}
    if image is None:
        return meta
    for key, value in (image.get("properties") or {}).items():
        if key not in ("block_device_mapping", "mappings", "img_block_device_mapping", "img_mappings"):
            meta[f"image_{key}"] = str(value)[:255]
    meta["image_min_disk"] = str(max(image.get("min_disk") or 0, flavor["disk"]))
    meta["image_min_ram"] = str(image.get("min_ram") or 0)
    for key in ("disk_format", "container_format"):
        if image.get(key):
            meta[f"image_{key}"] = image[key]
    meta["image_base_image_ref"] = image["id"]
    return meta


def _volume_image_metadata(state: State, bdms: list[dict]) -> dict | None:
    """The Glance image behind a boot volume (Cinder's ``volume_image_metadata``), for a volume-booted server."""
    for bdm in bdms:
        if bdm.get("boot_index") != 0:
            continue
        if bdm["source_type"] == "image" and bdm.get("image_id"):
            return state.get("images", bdm["image_id"])
        if bdm["source_type"] == "volume" and bdm.get("volume_id"):
            meta = (state.get("volumes", bdm["volume_id"]) or {}).get("image_metadata") or {}
            if meta.get("image_id"):
                return {"id": "", "properties": {k: v for k, v in meta.items() if k not in (
                    "image_id", "image_name", "checksum", "size", "container_format", "disk_format", "min_disk",
                    "min_ram")}, "min_disk": int(meta.get("min_disk") or 0), "min_ram": int(meta.get("min_ram") or 0)}
    return None


def _new_instance_number(state: State) -> int:
    number = state.meta.get("nova_next_instance_number", 1)
    state.meta["nova_next_instance_number"] = number + 1
    return number


def create_server(call: Call, body: dict) -> list[dict]:
    """Validate a ``POST /servers`` body as Nova does and create the server record(s) in BUILD."""
    state = call.state
    ctx = call.ctx
    project_id = ctx.project_id
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise ApiError(400, "Invalid input for field/attribute name. Value: None. None is not of type 'string'"
                       if name is None else f"Invalid input for field/attribute name. Value: {name}.")
    name = name.strip()
    for key, minimum in (("description", (2, 19)), ("tags", (2, 52)), ("hostname", (2, 90)),
                         ("trusted_image_certificates", (2, 63)), ("host", (2, 74)),
                         ("hypervisor_hostname", (2, 74))):
        if key in body and not call.mv_at_least(*minimum):
            raise ApiError(400, "Invalid input for field/attribute server. Value: ... Additional properties are not "
                                f"allowed ('{key}' was unexpected)")
    if not body.get("flavorRef"):
        raise ApiError(400, "Invalid input for field/attribute server. Value: ... 'flavorRef' is a required property")
    try:
        flavor = find_flavor(call, body["flavorRef"])
    except ApiError:
        raise ApiError(400, f"Flavor {body['flavorRef']} could not be found.") from None
    limits = quota_limits(state, project_id)
    metadata = _check_metadata(body.get("metadata") or {}, limits["metadata_items"])
    tags = _check_tags(body.get("tags") or [])
    description = body.get("description") if call.mv_at_least(2, 19) else name
    if description is not None and (not isinstance(description, str) or len(description) > 255):
        raise ApiError(400, "Invalid input for field/attribute description.")
    user_data = body.get("user_data")
    if user_data is not None:
        try:
            base64.b64decode(user_data, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise ApiError(400, "User data needs to be valid base 64.") from None
        if len(user_data) > 65535:
            raise ApiError(400, "Invalid input for field/attribute user_data. Value is too long.")
    key_name = body.get("key_name")
    key_data = None
    if key_name:
        keypair = find_keypair(state, ctx.user_id, key_name)
        if keypair is None:
            raise ApiError(400, "Invalid key_name provided.")
        key_data = keypair["public_key"]
    # availability zone ("zone", or admin's "zone:host")
    requested_az = body.get("availability_zone") or None
    if requested_az:
        zone = requested_az.split(":", 1)[0] or None
        if ":" in requested_az and not ctx.is_admin:
            raise ApiError(403, "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.")
        if zone and zone not in HOSTS:
            raise ApiError(400, f"The requested availability zone is not available (zone {zone}).")
        requested_az = zone
    # image and block devices
    image = None
    image_ref = body.get("imageRef") or ""
    bdms = _parse_bdms(call, body)
    if image_ref:
        image_id = str(image_ref).rstrip("/").rsplit("/", 1)[-1]
        image = glance.visible_image(state, image_id, project_id, ctx.is_admin)
        if image is None:
            raise ApiError(400, f"Image {image_id} could not be found.")
        if image["status"] != "active":
            raise ApiError(400, f"Image {image_id} is not active.")
        image_ref = image["id"]
        image_bdms = _image_bdms(image)
        if image_bdms and not any(b.get("boot_index") == 0 for b in bdms):
            bdms = image_bdms + bdms
            image_ref = ""  # booted from the volumes the snapshot image describes, as Nova does
    boot = [b for b in bdms if b.get("boot_index") == 0]
    image_booted = bool(image_ref) and not any(b["destination_type"] == "volume" for b in boot)
    # Nova: block_device_mapping_v2 entries replace the image's implied root mapping, so with imageRef they must
    # hold it (source image, destination local, boot index 0) or another boot index 0.
    if image_booted and body.get("block_device_mapping_v2") and not boot:
        image_booted = False
    if not image_booted and not [b for b in boot if b["destination_type"] == "volume"]:
        raise ApiError(400, "Block Device Mapping is Invalid: Boot sequence for the instance and image/block device "
                            "mapping combination is not valid.")
    if image_booted:
        bdms = [b for b in bdms if not (b["source_type"] == "image" and b["destination_type"] == "local")]
        if flavor["disk"] == 0 and not ctx.is_admin:
            raise ApiError(403, "Only volume-backed servers are allowed for flavors with zero disk.")
        if flavor["disk"] and image.get("size") and image["size"] > flavor["disk"] * GIB:
            raise ApiError(400, f"Flavor's disk is too small for requested image. Flavor disk is "
                                f"{flavor['disk'] * GIB} bytes, image is {image['size']} bytes.")
        if flavor["disk"] < (image.get("min_disk") or 0):
            raise ApiError(400, f"Flavor's disk is too small for requested image. Flavor disk is "
                                f"{flavor['disk'] * GIB} bytes, minimum required by image is "
                                f"{image['min_disk'] * GIB} bytes.")
        if flavor["ram"] < (image.get("min_ram") or 0):
            raise ApiError(400, "Flavor's memory is too small for requested image.")
    for bdm in bdms:
        if bdm["destination_type"] != "volume":
            continue
        if bdm["source_type"] == "volume":
            volume = state.get("volumes", bdm["volume_id"] or "")
            if volume is None or (volume["project_id"] != project_id and not ctx.is_admin):
                raise ApiError(400, f"Block Device Mapping is Invalid: failed to get volume {bdm['volume_id']}.")
            if volume["status"] != "available":
                raise ApiError(400, f"Invalid volume: volume '{volume['id']}' status must be 'available'. Currently "
                                    f"in '{volume['status']}'")
            if bdm.get("boot_index") == 0 and not volume.get("bootable"):
                raise ApiError(400, f"Block Device Mapping is Invalid: Volume {volume['id']} is not bootable.")
            if requested_az is None:  # scheduled where the volume is (cross_az_attach would allow any zone)
                bdm["_zone_hint"] = volume["availability_zone"]
        elif bdm["source_type"] == "image":
            source = glance.visible_image(state, bdm["image_id"], project_id, ctx.is_admin)
            if source is None:
                raise ApiError(400, f"Block Device Mapping is Invalid: failed to get image {bdm['image_id']}.")
            if not bdm.get("volume_size"):
                raise ApiError(400, "Block Device Mapping is Invalid: Images with destination_type 'volume' need to "
                                    "have a non-zero size specified")
        elif bdm["source_type"] == "snapshot":
            snapshot = state.get("snapshots", bdm["snapshot_id"] or "")
            if snapshot is None or (snapshot["project_id"] != project_id and not ctx.is_admin):
                raise ApiError(400, f"Block Device Mapping is Invalid: failed to get snapshot {bdm['snapshot_id']}.")
        elif bdm["source_type"] == "blank" and not bdm.get("volume_size"):
            raise ApiError(400, "Block Device Mapping is Invalid: You specified more local devices than the limit "
                                "allows")
    _assign_devices(bdms, image_booted)
    requested_networks = _resolve_networks(call, body, project_id)
    security_groups = _security_group_ids(call, body, project_id)
    group_id = None
    hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    if isinstance(hints, dict) and hints.get("group"):
        group = state.get("server_groups", hints["group"])
        if group is None or (group["project_id"] != project_id and not ctx.is_admin):
            raise ApiError(400, f"Instance group {hints['group']} could not be found.")
        group_id = group["id"]
    try:
        min_count = int(body.get("min_count", 1))
        max_count = int(body.get("max_count", min_count))
    except (TypeError, ValueError):
        raise ApiError(400, "min_count and max_count must be integers") from None
    if min_count < 1 or min_count > max_count:
        raise ApiError(400, "min_count must be <= max_count")
    if max_count > 1 and any(b["source_type"] == "volume" for b in bdms):
        raise ApiError(400, "Cannot attach one or more volumes to multiple instances")
    if max_count > 1 and any("port_id" in n for n in requested_networks):
        raise ApiError(409, "Multiple instances cannot be booted with the same port.")
    count = max_count
    try:
        check_server_quota(state, project_id, flavor["vcpus"], flavor["ram"], count)
    except ApiError:
        if min_count == max_count:
            raise
        count = min_count
        check_server_quota(state, project_id, flavor["vcpus"], flavor["ram"], count)
    zone = requested_az or next((b["_zone_hint"] for b in bdms if b.get("_zone_hint")), None) or DEFAULT_AZ
    for bdm in bdms:
        bdm.pop("_zone_hint", None)
    fault_mode = faults.take(state, "server.create")
    reservation_id = "r-" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    image_meta = image if image_booted else _volume_image_metadata(state, bdms)
    servers = []
    now = time.time()
    for index in range(count):
        server_id = str(uuid.uuid4())
        number = _new_instance_number(state)
        server_name = name if count == 1 else f"{name}-{index + 1}"
        server = {
            "id": server_id, "numeric_id": number, "name": server_name, "description": description,
            "project_id": project_id, "user_id": ctx.user_id, "created_ts": now, "updated_ts": now,
            "launched_ts": None, "terminated_ts": None, "deleted": False, "deleted_ts": None,
            "vm_state": "building", "task_state": "scheduling", "power_state": POWER_NOSTATE, "progress": 0,
            "flavor": {k: flavor[k] for k in ("id", "name", "vcpus", "ram", "disk", "ephemeral", "swap")}
            | {"extra_specs": dict(flavor["extra_specs"])},
            "image_ref": image_ref if image_booted else "", "availability_zone": zone, "pinned_az": requested_az,
            "host": None, "node": None, "instance_name": f"instance-{number:08x}",
            "hostname": body.get("hostname") or _hostname(server_name), "reservation_id": reservation_id,
            "launch_index": index, "key_name": key_name, "key_data": key_data, "user_data": user_data,
            "config_drive": "True" if _bool_value(body.get("config_drive", False)) else "",
            "metadata": dict(metadata), "tags": list(tags), "locked": False, "locked_reason": None,
            # A guest is reached at its access address, which here is on the loopback range (nova_common).
            "access_ipv4": body.get("accessIPv4") or loopback_address(server_id),
            "access_ipv6": body.get("accessIPv6") or "",
            "auto_disk_config": body.get("OS-DCF:diskConfig") == "AUTO",
            "root_device_name": "/dev/vda", "bdms": [dict(b, uuid=str(uuid.uuid4())) for b in bdms],
            "requested_networks": requested_networks, "security_group_ids": security_groups,
            "created_ports": [], "attached_ports": [], "fault": None, "fault_pending": fault_mode == "error",
            "system_metadata": _system_metadata(call, image_meta, flavor), "server_group_id": group_id,
            "admin_password": body.get("adminPass") or secrets.token_urlsafe(9)[:12],
        }
        if image_booted:
            server["bdms"].insert(0, {
                "uuid": str(uuid.uuid4()), "source_type": "image", "destination_type": "local", "boot_index": 0,
                "device_name": "/dev/vda", "delete_on_termination": True, "image_id": image_ref,
                "volume_id": None, "snapshot_id": None, "volume_size": None, "tag": None, "volume_type": None,
                "disk_bus": "virtio", "device_type": "disk", "guest_format": None, "attachment_id": None,
                "state": "local"})
        state.put("servers", server)
        if group_id:
            state.get("server_groups", group_id)["members"].append(server_id)
        action = record_action(call, server, "create", event="compute__do_build_and_run_instance")
        server["create_action_id"] = action["id"]
        state.later("nova.server_build", server_id=server_id)
        servers.append(server)
    return servers


@compute.route("/v2.1/servers", methods="POST")
def post_server(call: Call):
    if not call.ctx.can_write:
        raise ApiError(403, "Policy doesn't allow os_compute_api:servers:create to be performed.")
    payload = call.json()
    body = call.body_object("server")
    # Nova takes the hints beside "server", under either name (openstacksdk sends OS-SCH-HNT:scheduler_hints).
    for key in ("os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"):
        if key in payload:
            body = dict(body, **{"os:scheduler_hints": payload[key]})
    servers = create_server(call, body)
    if body.get("return_reservation_id"):
        return 202, {"reservation_id": servers[0]["reservation_id"]}
    server = servers[0]
    view = {"id": server["id"], "links": server_links(call, server["id"]), "OS-DCF:diskConfig":
            "AUTO" if server["auto_disk_config"] else "MANUAL",
            "security_groups": body.get("security_groups") or [{"name": "default"}],
            "adminPass": server["admin_password"]}
    response = json_response(202, {"server": view},
                             headers={"Location": call.url(f"/compute/v2.1/servers/{server['id']}")})
    return response


# ---------------------------------------------------------------------------------------------------------------
# build (what nova-conductor, the scheduler and nova-compute do after the API answered)


def fail_build(state: State, server: dict, message: str, code: int = 500, details: str | None = None) -> None:
    """ERROR with a fault, and give back what the build took (ports, volume reservations), as Nova does."""
    server.update({"vm_state": "error", "task_state": None, "power_state": POWER_NOSTATE, "updated_ts": time.time(),
                   "fault": {"code": code, "message": message, "created_ts": time.time(),
                             "details": details or f"  File \"nova/compute/manager.py\", line 2605, in "
                                                   f"_build_and_run_instance\n    raise exception.BuildAbortException"
                                                   f"(\nnova.exception.BuildAbortException: {message}\n"}})
    for port_id in server["created_ports"]:
        neutron.delete_port(state, port_id)
    server["created_ports"] = []
    for port_id in server["attached_ports"]:
        neutron.unbind_port(state, port_id)
    server["attached_ports"] = []
    finish_action(state, server.get("create_action_id"), error=message)
    state.touch()


def _allocate_network(state: State, server: dict) -> None:
    """Create (or take over) the server's ports, bound to its host (Nova's ``allocate_for_instance``)."""
    owner = f"compute:{server['availability_zone']}"
    for request in server["requested_networks"]:
        if request.get("port_id"):
            neutron.bind_port(state, request["port_id"], server["host"], server["id"], owner)
            server["attached_ports"].append(request["port_id"])
            continue
        fixed = [{"ip_address": request["fixed_ip"]}] if request.get("fixed_ip") else None
        port = neutron.create_port(state, project_id=server["project_id"], network_id=request["network_id"],
                                   device_id=server["id"], device_owner=owner, fixed_ips=fixed,
                                   security_groups=list(server["security_group_ids"]), bind_host=server["host"])
        server["created_ports"].append(port["id"])


@transition("nova.server_build")
def _server_build(state: State, server_id: str, attempt: int = 0) -> None:
    copy_from = copy_to = None
    with state.lock:
        server = state.get("servers", server_id)
        if server is None or server.get("deleted") or server["vm_state"] != "building" \
                or server.get("task_state") == "deleting":
            return
        if server.pop("fault_pending", False):
            fail_build(state, server, "No valid host was found. There are not enough hosts available.",
                       details="  File \"nova/conductor/manager.py\", line 1580, in schedule_and_build_instances\n"
                               "nova.exception.NoValidHost: No valid host was found. There are not enough hosts "
                               "available.\n")
            return
        if server["host"] is None:  # scheduled: the compute host of its zone
            server["host"] = server["node"] = HOSTS.get(server["availability_zone"], HOSTS[DEFAULT_AZ])
            server["task_state"] = "networking"
            try:
                _allocate_network(state, server)
            except ApiError as error:
                fail_build(state, server, f"Build of instance {server_id} aborted: {error.message}")
                return
            server["task_state"] = "block_device_mapping"
        waiting = False
        for bdm in server["bdms"]:
            if bdm["destination_type"] != "volume":
                continue
            if not bdm.get("volume_id"):
                try:
                    volume = cinder.create_volume(
                        state, project_id=server["project_id"], user_id=server["user_id"],
                        size=bdm.get("volume_size"), name="", description="",
                        availability_zone=server["availability_zone"], volume_type=bdm.get("volume_type"),
                        snapshot_id=bdm.get("snapshot_id"), image_id=bdm.get("image_id"))
                except ApiError as error:
                    fail_build(state, server, f"Build of instance {server_id} aborted: {error.message}")
                    return
                bdm["volume_id"] = volume["id"]
                bdm["created_by_nova"] = True
            volume = state.get("volumes", bdm["volume_id"])
            if volume is None:
                fail_build(state, server, f"Build of instance {server_id} aborted: Volume {bdm['volume_id']} could "
                                          "not be found.")
                return
            if volume["status"] in ("creating", "downloading"):
                waiting = True
            elif volume["status"] == "error":
                fail_build(state, server, f"Build of instance {server_id} aborted: Volume {volume['id']} did not "
                                          f"finish being created even after we waited {attempt} seconds or "
                                          f"{attempt + 1} attempts. And its status is error.")
                return
            elif bdm["state"] == "pending" and volume["status"] != "available":
                fail_build(state, server, f"Build of instance {server_id} aborted: Invalid volume: volume "
                                          f"'{volume['id']}' status must be 'available'. Currently in "
                                          f"'{volume['status']}'")
                return
        if waiting:
            if attempt >= BUILD_WAIT_ATTEMPTS:
                fail_build(state, server, f"Build of instance {server_id} aborted: Volume did not finish being "
                                          f"created even after we waited {attempt} attempts.")
                return
            state.later("nova.server_build", server_id=server_id, attempt=attempt + 1)
            state.touch()
            return
        server["task_state"] = "spawning"
        if server.get("image_ref"):
            copy_from = state.blocks.image_path(server["image_ref"])
            copy_to = state.blocks.root_disk_path(server_id)
            size = server["flavor"]["disk"] * GIB or None  # a zero-disk flavor: the image's own size
        state.touch()
    if copy_from:
        try:
            state.blocks.clone(copy_from, copy_to, size)
            link = state.blocks.device_path(server_id, "/dev/vda")
            os.makedirs(os.path.dirname(link), exist_ok=True)
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(copy_to, link)
        except OSError as exc:
            LOG.exception("root disk of server %s", server_id)
            with state.lock:
                server = state.get("servers", server_id)
                if server is not None:
                    fail_build(state, server, f"Build of instance {server_id} aborted: Failed to create the root "
                                              f"disk: {exc.strerror}")
            return
    with state.lock:
        server = state.get("servers", server_id)
        if server is None or server.get("deleted") or server.get("task_state") == "deleting":
            return
        for bdm in server["bdms"]:
            if bdm["destination_type"] != "volume" or bdm["state"] != "pending":
                continue
            try:
                if (state.get("volumes", bdm["volume_id"]) or {}).get("status") == "available":
                    cinder.reserve_attach(state, bdm["volume_id"], server_id)
                attachment = cinder.attach(state, bdm["volume_id"], server_id, bdm["device_name"],
                                           host_name=server["host"])
            except ApiError as error:
                fail_build(state, server, f"Build of instance {server_id} aborted: Failure prepping block device.: "
                                          f"{error.message}")
                return
            bdm["attachment_id"] = attachment["id"]
            bdm["state"] = "attaching"
            volume = state.get("volumes", bdm["volume_id"])
            if volume and not bdm.get("volume_size"):
                bdm["volume_size"] = volume["size"]
        now = time.time()
        server.update({"vm_state": "active", "task_state": None, "power_state": POWER_RUNNING, "launched_ts": now,
                       "updated_ts": now, "progress": 0})
        finish_action(state, server.get("create_action_id"))
        state.touch()


# ---------------------------------------------------------------------------------------------------------------
# update and delete

UPDATABLE = {"name", "description", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig", "hostname"}


@compute.route("/v2.1/servers/<server_id>", methods="PUT")
def put_server(call: Call, server_id: str):
    server = writable_server(call, server_id, "servers:update")
    changes = call.body_object("server")
    for key in changes:
        if key not in UPDATABLE or (key == "description" and not call.mv_at_least(2, 19)) or (
                key == "hostname" and not call.mv_at_least(2, 90)):
            raise ApiError(400, "Invalid input for field/attribute server. Additional properties are not allowed "
                                f"('{key}' was unexpected)")
    if "name" in changes:
        name = changes["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise ApiError(400, f"Invalid input for field/attribute name. Value: {name}.")
        server["name"] = name.strip()
    if "description" in changes:
        server["description"] = changes["description"]
    if "hostname" in changes:
        server["hostname"] = changes["hostname"]
    if "accessIPv4" in changes:
        server["access_ipv4"] = changes["accessIPv4"] or ""
    if "accessIPv6" in changes:
        server["access_ipv6"] = changes["accessIPv6"] or ""
    if "OS-DCF:diskConfig" in changes:
        server["auto_disk_config"] = changes["OS-DCF:diskConfig"] == "AUTO"
    server["updated_ts"] = time.time()
    call.state.touch()
    return 200, {"server": server_view(call, server, update=True, show_server_groups=call.mv_at_least(2, 71))}


def begin_delete(call_or_state, server: dict) -> None:
    state = call_or_state.state if isinstance(call_or_state, Call) else call_or_state
    server["task_state"] = "deleting"
    server["updated_ts"] = time.time()
    if isinstance(call_or_state, Call):
        record_action(call_or_state, server, "delete", event="compute_terminate_instance")
    state.later("nova.server_delete", server_id=server["id"])
    state.touch()


@compute.route("/v2.1/servers/<server_id>", methods="DELETE")
def delete_server(call: Call, server_id: str):
    server = writable_server(call, server_id, "servers:delete")
    check_not_locked(call, server)
    if server.get("task_state") == "deleting":
        return 204, None
    begin_delete(call, server)
    return 204, None


@transition("nova.server_delete")
def _server_delete(state: State, server_id: str) -> None:
    with state.lock:
        server = state.get("servers", server_id)
        if server is None or server.get("deleted"):
            return
        reap = []
        for bdm in server["bdms"]:
            volume_id = bdm.get("volume_id")
            if not volume_id:
                continue
            volume = state.get("volumes", volume_id)
            if volume is None:
                continue
            attached = any(a.get("server_id") == server_id for a in volume.get("attachments", []))
            if attached:
                try:
                    cinder.detach(state, volume_id, server_id)
                except ApiError as error:
                    LOG.warning("detaching volume %s from deleted server %s: %s", volume_id, server_id,
                                error.message)
            if bdm.get("delete_on_termination"):
                reap.append(volume_id)
        for port_id in server["created_ports"]:
            neutron.delete_port(state, port_id)
        for port_id in server["attached_ports"]:
            neutron.unbind_port(state, port_id)
        for port in neutron.ports_of_device(state, server_id):  # interfaces attached later (os-interface)
            if port["id"] in server.get("interface_ports_created", []):
                neutron.delete_port(state, port["id"])
            else:
                neutron.unbind_port(state, port["id"])
        if server.get("server_group_id"):
            group = state.get("server_groups", server["server_group_id"])
            if group and server_id in group["members"]:
                group["members"].remove(server_id)
        now = time.time()
        server.update({"deleted": True, "deleted_ts": now, "terminated_ts": now, "updated_ts": now,
                       "vm_state": "deleted", "task_state": None, "power_state": POWER_NOSTATE,
                       "created_ports": [], "attached_ports": []})
        finish_action(state, server.get("last_action_id"))
        state.touch()
    state.blocks.remove_server(server_id)
    if reap:
        state.later("nova.reap_volumes", volume_ids=reap)


@transition("nova.reap_volumes")
def _reap_volumes(state: State, volume_ids: list[str], attempt: int = 0) -> None:
    """Delete ``delete_on_termination`` volumes once Cinder has finished detaching them."""
    pending = []
    with state.lock:
        for volume_id in volume_ids:
            volume = state.get("volumes", volume_id)
            if volume is None or volume["status"] in ("deleting",):
                continue
            if volume.get("attachments") or volume["status"] not in cinder.DELETABLE_STATUSES:
                pending.append(volume_id)
                continue
            try:
                cinder.delete_volume(state, volume_id)
            except ApiError as error:
                LOG.warning("deleting volume %s of a deleted server: %s", volume_id, error.message)
    if pending and attempt < REAP_ATTEMPTS:
        state.later("nova.reap_volumes", volume_ids=pending, attempt=attempt + 1)


# ---------------------------------------------------------------------------------------------------------------
# metadata, tags, ips


@compute.route("/v2.1/servers/<server_id>/metadata")
def list_metadata(call: Call, server_id: str):
    return 200, {"metadata": dict(get_server(call, server_id)["metadata"])}


def _set_metadata(call: Call, server_id: str, replace: bool):
    server = writable_server(call, server_id, "server-metadata:create")
    metadata = call.body_object("metadata") if "metadata" in (call.json() or {}) else None
    if metadata is None:
        raise ApiError(400, "Malformed request body")
    merged = dict(metadata) if replace else dict(server["metadata"], **metadata)
    server["metadata"] = _check_metadata(merged, quota_limits(call.state, server["project_id"])["metadata_items"])
    server["updated_ts"] = time.time()
    call.state.touch()
    return 200, {"metadata": dict(server["metadata"])}


@compute.route("/v2.1/servers/<server_id>/metadata", methods="POST")
def post_metadata(call: Call, server_id: str):
    return _set_metadata(call, server_id, replace=False)


@compute.route("/v2.1/servers/<server_id>/metadata", methods="PUT")
def put_metadata(call: Call, server_id: str):
    return _set_metadata(call, server_id, replace=True)


@compute.route("/v2.1/servers/<server_id>/metadata/<key>")
def show_metadata_item(call: Call, server_id: str, key: str):
    server = get_server(call, server_id)
    if key not in server["metadata"]:
        raise ApiError(404, "Metadata item was not found")
    return 200, {"meta": {key: server["metadata"][key]}}


@compute.route("/v2.1/servers/<server_id>/metadata/<key>", methods="PUT")
def put_metadata_item(call: Call, server_id: str, key: str):
    server = writable_server(call, server_id, "server-metadata:update")
    meta = call.body_object("meta")
    if key not in meta:
        raise ApiError(400, "Request body and URI mismatch")
    if len(meta) > 1:
        raise ApiError(400, "Request body contains too many items")
    merged = dict(server["metadata"], **meta)
    server["metadata"] = _check_metadata(merged, quota_limits(call.state, server["project_id"])["metadata_items"])
    server["updated_ts"] = time.time()
    call.state.touch()
    return 200, {"meta": {key: server["metadata"][key]}}


@compute.route("/v2.1/servers/<server_id>/metadata/<key>", methods="DELETE")
def delete_metadata_item(call: Call, server_id: str, key: str):
    server = writable_server(call, server_id, "server-metadata:delete")
    if key not in server["metadata"]:
        raise ApiError(404, "Metadata item was not found")
    del server["metadata"][key]
    server["updated_ts"] = time.time()
    call.state.touch()
    return 204, None


def _tags_server(call: Call, server_id: str, write: bool) -> dict:
    if not call.mv_at_least(2, 26):
        raise ApiError(404, "The resource could not be found.")
    server = writable_server(call, server_id, "os-server-tags:update") if write else get_server(call, server_id)
    if write and server["vm_state"] not in ("active", "paused", "suspended", "stopped", "shelved",
                                            "shelved_offloaded", "building", "error"):
        raise ApiError(409, f"Cannot 'update tags' instance {server_id} while it is in vm_state "
                            f"{server['vm_state']}")
    return server


@compute.route("/v2.1/servers/<server_id>/tags")
def list_tags(call: Call, server_id: str):
    return 200, {"tags": list(_tags_server(call, server_id, False)["tags"])}


@compute.route("/v2.1/servers/<server_id>/tags", methods="PUT")
def put_tags(call: Call, server_id: str):
    server = _tags_server(call, server_id, True)
    tags = (call.json() or {}).get("tags")
    server["tags"] = _check_tags(tags if tags is not None else None)
    server["updated_ts"] = time.time()
    call.state.touch()
    return 200, {"tags": list(server["tags"])}


@compute.route("/v2.1/servers/<server_id>/tags", methods="DELETE")
def delete_tags(call: Call, server_id: str):
    server = _tags_server(call, server_id, True)
    server["tags"] = []
    server["updated_ts"] = time.time()
    call.state.touch()
    return 204, None


@compute.route("/v2.1/servers/<server_id>/tags/<tag>")
def check_tag(call: Call, server_id: str, tag: str):
    if tag not in _tags_server(call, server_id, False)["tags"]:
        raise ApiError(404, f"Tag {tag} could not be found.")
    return 204, None


@compute.route("/v2.1/servers/<server_id>/tags/<tag>", methods="PUT")
def put_tag(call: Call, server_id: str, tag: str):
    server = _tags_server(call, server_id, True)
    location = call.url(f"/compute/v2.1/servers/{server_id}/tags/{tag}")
    if tag in server["tags"]:
        return Response(status=204, headers={"Location": location})
    server["tags"] = _check_tags(server["tags"] + [tag])
    server["updated_ts"] = time.time()
    call.state.touch()
    return Response(status=201, headers={"Location": location})


@compute.route("/v2.1/servers/<server_id>/tags/<tag>", methods="DELETE")
def delete_tag(call: Call, server_id: str, tag: str):
    server = _tags_server(call, server_id, True)
    if tag not in server["tags"]:
        raise ApiError(404, f"Tag {tag} could not be found.")
    server["tags"].remove(tag)
    server["updated_ts"] = time.time()
    call.state.touch()
    return 204, None


@compute.route("/v2.1/servers/<server_id>/ips")
def list_ips(call: Call, server_id: str):
    server = get_server(call, server_id)
    addresses = {} if server["vm_state"] == "building" else neutron.server_addresses(call.state, server_id, False)
    return 200, {"addresses": addresses}


@compute.route("/v2.1/servers/<server_id>/ips/<network_label>")
def show_ips(call: Call, server_id: str, network_label: str):
    server = get_server(call, server_id)
    addresses = {} if server["vm_state"] == "building" else neutron.server_addresses(call.state, server_id, False)
    if network_label not in addresses:
        raise ApiError(404, "Instance is not a member of specified network")
    return 200, {network_label: addresses[network_label]}


# ---------------------------------------------------------------------------------------------------------------
# model entry point for seeds and other services (no HTTP request)


def boot_server(state: State, *, user_id: str, project_id: str, name: str, flavor_id: str,
                image_id: str | None = None, block_device_mapping_v2: list[dict] | None = None,
                networks: str | list[dict] = "auto", availability_zone: str | None = None,
                metadata: dict | None = None, key_name: str | None = None, security_groups: list[str] | None = None,
                microversion: tuple[int, int] = (2, 96)) -> dict:
    """Create a server as ``user_id`` would with ``POST /servers`` (call with the state lock held); BUILD."""
    from storage_backup_sandbox.http import Context
    from storage_backup_sandbox.keystone import user_roles_on

    user = state.get("users", user_id)
    project = state.get("projects", project_id)
    if user is None or project is None:
        raise ApiError(400, f"Unknown user {user_id} or project {project_id}.")
    roles = [r["name"] for r in user_roles_on(state, user_id, project_id=project_id)]
    ctx = Context(token_id="", user_id=user_id, user_name=user["name"], project_id=project_id,
                  project_name=project["name"], domain_id=None, roles=roles)
    call = Call(request=None, state=state, service=compute, base_url="", ctx=ctx, microversion=microversion)
    body: dict = {"name": name, "flavorRef": flavor_id, "networks": networks}
    if image_id:
        body["imageRef"] = image_id
    if block_device_mapping_v2:
        body["block_device_mapping_v2"] = block_device_mapping_v2
    if availability_zone:
        body["availability_zone"] = availability_zone
    if metadata:
        body["metadata"] = metadata
    if key_name:
        body["key_name"] = key_name
    if security_groups:
        body["security_groups"] = [{"name": group} for group in security_groups]
    return create_server(call, body)[0]
