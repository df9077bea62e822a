# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Nova server actions (``POST /servers/{id}/action``), instance actions, interfaces and consoles.

``createImage`` does what Nova does for each kind of server. An image-booted server's root disk is copied into
a new Glance image (``create_image`` now, ``store_image_data`` in the ``nova.snapshot_upload`` transition), with
the properties a libvirt snapshot carries (``image_type=snapshot``, ``instance_uuid``, ``base_image_ref``,
``owner_project_name``...). A volume-backed server gets a Cinder snapshot (``force``) of each of its volumes and an
image of size 0 whose ``block_device_mapping`` property (JSON, with ``bdm_v2=True``) names those snapshots, so
booting that image rebuilds the server from them.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import time

from storage_backup_sandbox import cinder, faults, glance, neutron
from storage_backup_sandbox.blockdev import GIB
from storage_backup_sandbox.http import ApiError, Call, json_response
from storage_backup_sandbox.nova import compute
from storage_backup_sandbox.nova_common import (
    POWER_PAUSED,
    POWER_RUNNING,
    POWER_SHUTDOWN,
    check_not_locked,
    check_server_quota,
    check_state,
    finish_action,
    get_server,
    host_id,
    naive_time,
    parse_time,
    record_action,
    require_admin,
    writable_server,
)
from storage_backup_sandbox.nova_resources import find_flavor
from storage_backup_sandbox.nova_servers import server_view
from storage_backup_sandbox.state import State, transition

LOG = logging.getLogger(__name__)

NON_INHERITABLE = ("cinder_encryption_key_id", "cinder_encryption_key_deletion_policy", "img_signature",
                   "img_signature_hash_method", "img_signature_key_type", "img_signature_certificate_uuid")

# ---------------------------------------------------------------------------------------------------------------
# state changes that take a moment (stop, start, reboot, pause...): a task state now, the result later


def _begin(call: Call, server: dict, action: str, task: str, result: dict) -> None:
    server["task_state"] = task
    server["updated_ts"] = time.time()
    record = record_action(call, server, action, event=f"compute_{action}_instance")
    call.state.later("nova.server_task", server_id=server["id"], task=task, result=result, action_id=record["id"])
    call.state.touch()


@transition("nova.server_task")
def _server_task(state: State, server_id: str, task: str, result: dict, action_id: str | None = None) -> None:
    with state.lock:
        server = state.get("servers", server_id)
        if server is None or server.get("deleted") or server.get("task_state") != task:
            return
        server.update(result)
        server["task_state"] = None
        server["updated_ts"] = time.time()
        finish_action(state, action_id)
        state.touch()


def _snapshot_properties(call: Call, server: dict, extra: dict) -> tuple[dict, int, int]:
    """Image properties a snapshot inherits from the server's boot image, and its min_disk / min_ram."""
    system = server.get("system_metadata") or {}
    properties = {}
    for key, value in system.items():
        name = key[len("image_"):] if key.startswith("image_") else key
        if name in ("min_disk", "min_ram", "disk_format", "container_format") or name in NON_INHERITABLE:
            continue
        if name.startswith("os_glance"):
            continue
        properties[name] = value
    min_disk = int(system.get("image_min_disk") or server["flavor"]["disk"])
    min_ram = int(system.get("image_min_ram") or 0)
    if call.ctx.project_id != server["project_id"]:
        properties["instance_owner"] = server["project_id"]
    properties.update({str(k): str(v) for k, v in extra.items()})
    return properties, min_disk, min_ram


def is_volume_backed(server: dict) -> bool:
    return not server.get("image_ref")


def create_image(call: Call, server: dict, name: str, metadata: dict, image_type: str = "snapshot") -> dict:
    """``createImage`` / ``createBackup``: returns the Glance image record (see the module docstring)."""
    state = call.state
    check_state(server, "createImage", ("active", "stopped", "paused", "suspended", "shelved",
                                        "shelved_offloaded"))
    mode = faults.take(state, "image.create")
    visibility = "private" if call.ctx.project_id == server["project_id"] else "shared"
    if is_volume_backed(server):
        return _snapshot_volume_backed(call, server, name, metadata, visibility, mode)
    properties, min_disk, min_ram = _snapshot_properties(call, server, {
        "instance_uuid": server["id"], "user_id": call.ctx.user_id, "image_type": image_type, **metadata})
    properties.update({"image_location": "snapshot", "image_state": "available", "owner_id": server["project_id"]})
    image = glance.create_image(state, owner=call.ctx.project_id, name=name, disk_format="raw",
                                container_format="bare", visibility=visibility, min_disk=min_disk,
                                min_ram=min_ram, properties=properties)
    server["task_state"] = "image_snapshot"
    server["updated_ts"] = time.time()
    action = record_action(call, server, "createImage", event="compute_snapshot_instance")
    if mode == "hang":  # nova-compute died mid-upload: the image stays 'saving' for good
        image["status"] = "saving"
        server["task_state"] = None
        state.touch()
        return image
    state.later("nova.snapshot_upload", server_id=server["id"], image_id=image["id"], action_id=action["id"],
                fail=mode == "error")
    state.touch()
    return image


def _snapshot_volume_backed(call: Call, server: dict, name: str, metadata: dict, visibility: str,
                            mode: str | None) -> dict:
    """Nova's ``snapshot_volume_backed``: a Cinder snapshot per volume, an empty image mapping them."""
    from storage_backup_sandbox.nova_volumes import sync_bdms

    state = call.state
    sync_bdms(state, server)
    properties, min_disk, min_ram = _snapshot_properties(call, server, metadata)
    for key in ("block_device_mapping", "bdm_v2", "root_device_name"):
        properties.pop(key, None)
    properties["root_device_name"] = server.get("root_device_name") or "/dev/vda"
    volume_bdms = [b for b in server["bdms"] if b.get("volume_id") and b["destination_type"] == "volume"]
    limits, usage = cinder.quota_limits(state, call.ctx.project_id), cinder.quota_usage(state, call.ctx.project_id)
    if 0 <= limits.get("snapshots", -1) < usage.get("snapshots", 0) + len(volume_bdms):
        raise ApiError(403, "Quota exceeded for snapshots: Requested "
                            f"{len(volume_bdms)}, but already used {usage.get('snapshots', 0)} of "
                            f"{limits['snapshots']} snapshots")
    action = record_action(call, server, "createImage", event="api_snapshot_instance")
    mapping = []
    for bdm in sorted(volume_bdms, key=lambda b: (b.get("boot_index") is None, b.get("boot_index") or 0)):
        volume = state.get("volumes", bdm["volume_id"])
        snapshot = cinder.create_snapshot(state, project_id=call.ctx.project_id, user_id=call.ctx.user_id,
                                          volume_id=bdm["volume_id"], name=f"snapshot for {name}",
                                          description=(volume or {}).get("description"), force=True)
        mapping.append({
            "source_type": "snapshot", "destination_type": "volume", "snapshot_id": snapshot["id"],
            "volume_id": None, "image_id": None, "no_device": None, "tag": None, "volume_type": None,
            "guest_format": None, "encrypted": None, "encryption_secret_uuid": None, "encryption_format": None,
            "encryption_options": None, "disk_bus": bdm.get("disk_bus") or "virtio",
            "device_type": bdm.get("device_type") or "disk", "boot_index": bdm.get("boot_index"),
            "delete_on_termination": bool(bdm.get("delete_on_termination")),
            "volume_size": bdm.get("volume_size") or (volume or {}).get("size"),
            "device_name": bdm.get("device_name"),
        })
    if mapping:
        properties["block_device_mapping"] = json.dumps(mapping)
        properties["bdm_v2"] = "True"
    # Nova's Glance client creates a size-0 image as qcow2/bare and uploads no bytes, so it is active at once
    image = glance.create_image(state, owner=call.ctx.project_id, name=name, disk_format="qcow2",
                                container_format="bare", visibility=visibility, min_disk=min_disk, min_ram=min_ram,
                                properties=properties)
    if mode == "error":
        image["status"] = "killed"
        finish_action(state, action["id"], error="Image upload failed")
        state.touch()
        return image
    empty = os.path.join(state.state_dir, "images", ".empty")
    if not os.path.exists(empty):
        open(empty, "wb").close()
    glance.store_image_data(state, image["id"], empty)
    finish_action(state, action["id"])
    state.touch()
    return image


@transition("nova.snapshot_upload")
def _snapshot_upload(state: State, server_id: str, image_id: str, action_id: str | None = None,
                     fail: bool = False) -> None:
    """nova-compute's snapshot of an image-booted server: copy its root disk into the Glance image."""
    with state.lock:
        server = state.get("servers", server_id)
        image = state.get("images", image_id)
        if image is None or server is None:
            if server is not None:
                server["task_state"] = None
            return
        if fail:
            image["status"] = "killed"
            server["task_state"] = None
            finish_action(state, action_id, error=f"Image {image_id} failed to upload")
            state.touch()
            return
        server["task_state"] = "image_uploading"
        source = state.blocks.root_disk_path(server_id)
    error = None
    try:
        glance.store_image_data(state, image_id, source)
    except (ApiError, OSError) as exc:
        error = getattr(exc, "message", None) or str(exc)
        LOG.warning("snapshot of server %s into image %s failed: %s", server_id, image_id, error)
        with state.lock:
            image = state.get("images", image_id)
            if image is not None and image["status"] != "active":
                image["status"] = "killed"
    with state.lock:
        server = state.get("servers", server_id)
        if server is not None and server.get("task_state") == "image_uploading":
            server["task_state"] = None
            server["updated_ts"] = time.time()
        finish_action(state, action_id, error=error)
        state.touch()


# ---------------------------------------------------------------------------------------------------------------
# the action endpoint


def _console_output(state: State, server: dict, length: int | None) -> str:
    addresses = neutron.server_addresses(state, server["id"], extended=False)
    ips = ", ".join(a["addr"] for entries in addresses.values() for a in entries) or "none"
    launched = naive_time(server.get("launched_ts")) or "-"
    lines = [
        "[    0.000000] Linux version 6.1.0-18-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC",
        "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro console=tty0 console=ttyS0,115200",
        f"[    0.812345] virtio_blk virtio2: [vda] {server['flavor']['disk'] * 2097152} 512-byte logical blocks",
        "[    1.402311] EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.",
        f"[    3.120044] cloud-init[412]: Cloud-init v. 22.4.2 running 'init' at {launched}. Up 3.05 seconds.",
        f"[    3.201877] cloud-init[412]: ci-info: | eth0 | True | {ips} |",
        f"[    4.998120] cloud-init[590]: Cloud-init v. 22.4.2 finished at {launched}. Datasource DataSourceOpenStack.",
        "",
        f"Debian GNU/Linux 12 {server['hostname']} ttyS0",
        "",
        f"{server['hostname']} login: ",
    ]
    for bdm in server["bdms"]:
        if bdm.get("volume_id") and bdm.get("device_name") and bdm.get("boot_index") != 0:
            dev = bdm["device_name"].rsplit("/", 1)[-1]
            lines.insert(-4, f"[    5.{len(lines):06d}] virtio_blk virtio{len(lines)}: [{dev}] attached "
                             f"(serial {bdm['volume_id'][:20]})")
    if length is not None and length >= 0:
        lines = lines[-length:] if length else []
    return "\n".join(lines) + ("\n" if lines else "")


def _console_url(call: Call, server: dict, console_type: str) -> str:
    token = secrets.token_urlsafe(24)
    tokens = call.state.meta.setdefault("nova_console_tokens", {})
    now = time.time()
    for old in [t for t, v in tokens.items() if v["expires"] < now]:
        del tokens[old]
    tokens[token] = {"server_id": server["id"], "expires": now + 600, "type": console_type}
    call.state.touch()
    return call.url(f"/compute/console/vnc_lite.html?path=%3Ftoken%3D{token}&token={token}")


def _security_group_action(call: Call, server: dict, name: str, add: bool) -> None:
    group = neutron.find_security_group(call.state, server["project_id"], name)
    if group is None:
        raise ApiError(404, f"Security group {name} not found for project {server['project_id']}.")
    ports = neutron.ports_of_device(call.state, server["id"])
    if not ports:
        raise ApiError(400, f"Instance {server['id']} has no ports; security groups cannot be applied.")
    for port in ports:
        if add:
            if not port["port_security_enabled"]:
                raise ApiError(400, f"Cannot add security group {name} to {server['id']} since the port "
                                    f"{port['id']} does not meet security requirements")
            if group["id"] not in port["security_groups"]:
                port["security_groups"].append(group["id"])
        elif group["id"] in port["security_groups"]:
            port["security_groups"].remove(group["id"])
        elif all(group["id"] not in p["security_groups"] for p in ports):
            raise ApiError(404, f"Security group {name} not associated with the instance {server['id']}")
    call.state.touch()


def _rebuild(call: Call, server: dict, body: dict):
    state = call.state
    check_state(server, "rebuild", ("active", "stopped", "error"))
    image_ref = str(body.get("imageRef") or "").rstrip("/").rsplit("/", 1)[-1]
    if not image_ref:
        raise ApiError(400, "Invalid input for field/attribute rebuild. Value: ... 'imageRef' is a required property")
    image = glance.visible_image(state, image_ref, server["project_id"], call.ctx.is_admin)
    if image is None:
        raise ApiError(400, "Cannot find requested image")
    root_volume = None
    if is_volume_backed(server):
        # Before 2.93 Nova refuses a new image for a volume-backed server; from 2.93 it asks Cinder to reimage the
        # root volume in place (os-reimage), keeping the volume's id.
        if not call.mv_at_least(2, 93):
            raise ApiError(400, "Unable to rebuild with a different image for a volume-backed server.")
        root_bdm = next((b for b in server["bdms"] if b.get("boot_index") == 0 and b.get("volume_id")), None)
        root_volume = state.get("volumes", root_bdm["volume_id"]) if root_bdm else None
        if root_volume is None:
            raise ApiError(400, f"Instance {server['id']} has no root volume to reimage.")
        if image.get("size") and image["size"] > root_volume["size"] * GIB:
            raise ApiError(400, "Volume is smaller than the minimum size specified in image metadata. Volume size is "
                                f"{root_volume['size'] * GIB} bytes, minimum size is {image['size']} bytes.")
    elif image.get("size") and image["size"] > server["flavor"]["disk"] * GIB:
        raise ApiError(400, "Flavor's disk is too small for requested image.")
    if body.get("name"):
        server["name"] = body["name"]
    if "metadata" in body:
        server["metadata"] = {str(k): str(v) for k, v in (body["metadata"] or {}).items()}
    if call.mv_at_least(2, 19) and "description" in body:
        server["description"] = body["description"]
    if call.mv_at_least(2, 54) and "key_name" in body:
        server["key_name"] = body["key_name"]
    if call.mv_at_least(2, 57) and "user_data" in body:
        server["user_data"] = body["user_data"]
    if root_volume is None:
        server["image_ref"] = image["id"]
        for bdm in server["bdms"]:
            if bdm["destination_type"] == "local" and bdm.get("boot_index") == 0:
                bdm["image_id"] = image["id"]
    server["system_metadata"]["image_base_image_ref"] = image["id"]
    server["task_state"] = "rebuilding"
    server["updated_ts"] = time.time()
    action = record_action(call, server, "rebuild", event="compute_rebuild_instance")
    state.later("nova.server_rebuild", server_id=server["id"], action_id=action["id"],
                image_id=image["id"], root_volume_id=root_volume["id"] if root_volume else None,
                was_stopped=server["vm_state"] == "stopped")
    state.touch()
    view = server_view(call, server, update=True, show_server_groups=call.mv_at_least(2, 71))
    if call.mv_at_least(2, 54):
        view["key_name"] = server.get("key_name")
    if call.mv_at_least(2, 57):
        view.pop("OS-EXT-SRV-ATTR:user_data", None)
        view["user_data"] = server.get("user_data")
    view["adminPass"] = body.get("adminPass") or secrets.token_urlsafe(9)[:12]
    return json_response(202, {"server": view})


@transition("nova.server_rebuild")
def _server_rebuild(state: State, server_id: str, action_id: str | None = None, image_id: str | None = None,
                    root_volume_id: str | None = None, was_stopped: bool = False) -> None:
    with state.lock:
        server = state.get("servers", server_id)
        if server is None or server.get("deleted") or server.get("task_state") != "rebuilding":
            return
        image = state.get("images", image_id or server["image_ref"]) or {}
        source = state.blocks.image_path(image_id or server["image_ref"])
        volume = state.get("volumes", root_volume_id) if root_volume_id else None
        if volume is not None:  # Cinder's os-reimage: the image's data into the very volume
            target_id, size = cinder.name_id(volume), volume["size"] * GIB
        else:
            target, size = state.blocks.root_disk_path(server_id), server["flavor"]["disk"] * GIB or None
    if volume is not None:
        state.blocks.reimage_volume(target_id, source, size)
    else:
        state.blocks.clone(source, target, size)
    with state.lock:
        server = state.get("servers", server_id)
        if server is None:
            return
        if volume is not None:
            record = state.get("volumes", root_volume_id)
            if record is not None:
                record["image_metadata"] = glance.volume_image_metadata(image)
        # A server stopped before its rebuild is stopped after it, as Nova's compute manager leaves it.
        server.update({"task_state": None, "vm_state": "stopped" if was_stopped else "active",
                       "power_state": POWER_SHUTDOWN if was_stopped else POWER_RUNNING,
                       "updated_ts": time.time(), "launched_ts": time.time()})
        finish_action(state, action_id)
        state.touch()


def _resize(call: Call, server: dict, body: dict) -> None:
    check_state(server, "resize", ("active", "stopped"))
    flavor = find_flavor(call, body.get("flavorRef") or "")
    old = server["flavor"]
    if flavor["id"] == old["id"]:
        raise ApiError(400, "When resizing, instances must change flavor!")
    if not is_volume_backed(server) and flavor["disk"] < old["disk"]:
        raise ApiError(400, "Resize error: Unable to resize disk down.")
    delta_cores, delta_ram = flavor["vcpus"] - old["vcpus"], flavor["ram"] - old["ram"]
    if delta_cores > 0 or delta_ram > 0:
        check_server_quota(call.state, server["project_id"], max(delta_cores, 0), max(delta_ram, 0), instances=0)
    new = {k: flavor[k] for k in ("id", "name", "vcpus", "ram", "disk", "ephemeral", "swap")}
    new["extra_specs"] = dict(flavor["extra_specs"])
    _begin(call, server, "resize", "resize_prep",
           {"vm_state": "resized", "old_flavor": old, "flavor": new,
            "power_state_before_resize": server["power_state"], "power_state": POWER_RUNNING})


# Actions that only take an unlocked server from one of some vm_states, through a task state, to a result:
# action -> (the action's name in policies and instance actions, from vm_states, task_state, result).
STATE_ACTIONS = {
    "os-stop": ("stop", ("active", "error"), "powering-off", {"vm_state": "stopped", "power_state": POWER_SHUTDOWN}),
    "os-start": ("start", ("stopped",), "powering-on", {"vm_state": "active", "power_state": POWER_RUNNING}),
    "pause": ("pause", ("active",), "pausing", {"vm_state": "paused", "power_state": POWER_PAUSED}),
    "unpause": ("unpause", ("paused",), "unpausing", {"vm_state": "active", "power_state": POWER_RUNNING}),
    "suspend": ("suspend", ("active",), "suspending", {"vm_state": "suspended", "power_state": POWER_SHUTDOWN}),
    "resume": ("resume", ("suspended",), "resuming", {"vm_state": "active", "power_state": POWER_RUNNING}),
    "shelve": ("shelve", ("active", "stopped", "paused", "suspended"), "shelving",
               {"vm_state": "shelved_offloaded", "power_state": POWER_SHUTDOWN, "host": None, "node": None}),
    "unrescue": ("unrescue", ("rescued",), "unrescuing", {"vm_state": "active", "power_state": POWER_RUNNING}),
}


@compute.route("/v2.1/servers/<server_id>/action", methods="POST")
def server_action(call: Call, server_id: str):
    body = call.json()
    if not isinstance(body, dict) or len(body) != 1:
        raise ApiError(400, "Malformed request body")
    action, arguments = next(iter(body.items()))
    state = call.state
    if action == "os-getConsoleOutput":
        server = get_server(call, server_id)
        if not call.ctx.can_write:
            raise ApiError(403, "Policy doesn't allow os_compute_api:os-console-output to be performed.")
        if server["vm_state"] in ("building",):
            raise ApiError(409, f"Instance {server_id} is not ready")
        length = (arguments or {}).get("length")
        try:
            length = int(length) if length not in (None, "") else None
        except (TypeError, ValueError):
            raise ApiError(400, f"Invalid input for field/attribute length. Value: {length}.") from None
        return 200, {"output": _console_output(state, server, length)}
    if action in ("os-getVNCConsole", "os-getSPICEConsole", "os-getSerialConsole", "os-getRDPConsole"):
        server = writable_server(call, server_id, "remote-consoles")
        if call.mv_at_least(2, 6):
            raise ApiError(404, "The resource could not be found.")
        if server["vm_state"] != "active":
            raise ApiError(409, f"Instance {server_id} is not ready")
        console_type = (arguments or {}).get("type", "novnc")
        return 200, {"console": {"type": console_type, "url": _console_url(call, server, console_type)}}

    server = writable_server(call, server_id, f"servers:{action}")
    if action in STATE_ACTIONS:
        name, from_states, task, result = STATE_ACTIONS[action]
        check_not_locked(call, server)
        check_state(server, name, from_states)
        _begin(call, server, name, task, dict(result))
        state.touch()
        return 202, None
    if action == "createImage" or action == "createBackup":
        entity = arguments or {}
        name = entity.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "Invalid input for field/attribute name. Value: None.")
        metadata = entity.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise ApiError(400, "Invalid input for field/attribute metadata.")
        if action == "createBackup":
            for key in ("backup_type", "rotation"):
                if key not in entity:
                    raise ApiError(400, f"Invalid input for field/attribute createBackup. '{key}' is a required "
                                        "property")
            metadata = dict(metadata, backup_type=str(entity["backup_type"]))
        image = create_image(call, server, name.strip(), metadata,
                             image_type="backup" if action == "createBackup" else "snapshot")
        if action == "createBackup":
            _rotate_backups(call, server, str(entity["backup_type"]), int(entity["rotation"]), image["id"])
        if call.mv_at_least(2, 45):
            return 202, {"image_id": image["id"]}
        return json_response(202, None, headers={"Location": call.url(f"/image/images/{image['id']}")})
    elif action == "reboot":
        reboot_type = str((arguments or {}).get("type", "")).upper()
        if reboot_type not in ("SOFT", "HARD"):
            raise ApiError(400, "Invalid input for field/attribute type. Value must be SOFT or HARD.")
        check_not_locked(call, server)
        if reboot_type == "SOFT":
            check_state(server, "reboot", ("active",))
        else:
            check_state(server, "reboot", ("active", "stopped", "paused", "suspended", "error"),
                        task_states=(None, "rebooting", "reboot_pending", "reboot_started"))
        _begin(call, server, "reboot", "rebooting" if reboot_type == "SOFT" else "rebooting_hard",
               {"vm_state": "active", "power_state": POWER_RUNNING})
    elif action == "shelveOffload":
        check_state(server, "shelveOffload", ("shelved",))
        _begin(call, server, "shelveOffload", "shelving_offloading", {"vm_state": "shelved_offloaded",
                                                                      "host": None, "node": None})
    elif action == "unshelve":
        check_not_locked(call, server)
        check_state(server, "unshelve", ("shelved", "shelved_offloaded"))
        from storage_backup_sandbox.nova_common import HOSTS

        zone = ((arguments or {}) or {}).get("availability_zone") or server["availability_zone"]
        _begin(call, server, "unshelve", "unshelving", {"vm_state": "active", "power_state": POWER_RUNNING,
                                                        "availability_zone": zone, "host": HOSTS[zone],
                                                        "node": HOSTS[zone]})
    elif action == "rescue":
        check_not_locked(call, server)
        check_state(server, "rescue", ("active", "stopped", "error"))
        _begin(call, server, "rescue", "rescuing", {"vm_state": "rescued", "power_state": POWER_RUNNING})
        return 200, {"adminPass": secrets.token_urlsafe(9)[:12]}
    elif action == "lock":
        server["locked"] = True
        server["locked_by"] = "admin" if call.ctx.is_admin else "owner"
        if call.mv_at_least(2, 73):
            server["locked_reason"] = (arguments or {}).get("locked_reason")
        record_action(call, server, "lock")
        server["updated_ts"] = time.time()
    elif action == "unlock":
        if server.get("locked_by") == "admin" and not call.ctx.is_admin:
            raise ApiError(403, "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be "
                                "performed.")
        server.update({"locked": False, "locked_by": None, "locked_reason": None, "updated_ts": time.time()})
        record_action(call, server, "unlock")
    elif action == "os-resetState":
        require_admin(call, "os_compute_api:os-admin-actions:reset_state")
        new_state = (arguments or {}).get("state")
        if new_state not in ("active", "error"):
            raise ApiError(400, f"Invalid input for field/attribute state. Value: {new_state}.")
        server.update({"vm_state": new_state, "task_state": None, "updated_ts": time.time()})
    elif action == "addSecurityGroup":
        _security_group_action(call, server, str((arguments or {}).get("name")), add=True)
    elif action == "removeSecurityGroup":
        _security_group_action(call, server, str((arguments or {}).get("name")), add=False)
    elif action == "changePassword":
        check_state(server, "changePassword", ("active",))
        if not (arguments or {}).get("adminPass"):
            raise ApiError(400, "Invalid input for field/attribute adminPass.")
        record_action(call, server, "changePassword")
    elif action == "rebuild":
        check_not_locked(call, server)
        return _rebuild(call, server, arguments or {})
    elif action == "resize":
        check_not_locked(call, server)
        _resize(call, server, arguments or {})
    elif action == "confirmResize":
        check_state(server, "confirmResize", ("resized",))
        back_on = server.get("power_state_before_resize", POWER_RUNNING) == POWER_RUNNING
        server.update({"vm_state": "active" if back_on else "stopped", "task_state": None,
                       "power_state": POWER_RUNNING if back_on else POWER_SHUTDOWN, "updated_ts": time.time()})
        server.pop("old_flavor", None)
        record_action(call, server, "confirmResize")
        state.touch()
        return 204, None
    elif action == "revertResize":
        check_state(server, "revertResize", ("resized",))
        back_on = server.get("power_state_before_resize", POWER_RUNNING) == POWER_RUNNING
        _begin(call, server, "revertResize", "resize_reverting",
               {"vm_state": "active" if back_on else "stopped", "flavor": server.get("old_flavor") or server["flavor"],
                "power_state": POWER_RUNNING if back_on else POWER_SHUTDOWN})
    elif action == "forceDelete" or action == "restore":
        raise ApiError(409, f"Cannot '{action}' instance {server_id} while it is in vm_state {server['vm_state']}")
    else:
        raise ApiError(400, f"There is no such action: {action}")
    state.touch()
    return 202, None


def _rotate_backups(call: Call, server: dict, backup_type: str, rotation: int, keep_id: str) -> None:
    """createBackup keeps the newest ``rotation`` backups of that type and deletes older ones."""
    backups = [i for i in call.state.table("images").values()
               if (i.get("properties") or {}).get("instance_uuid") == server["id"]
               and (i.get("properties") or {}).get("image_type") == "backup"
               and (i.get("properties") or {}).get("backup_type") == backup_type]
    backups.sort(key=lambda i: i["created_at"], reverse=True)
    for image in backups[max(rotation, 0):]:
        if image["id"] != keep_id:
            call.state.delete("images", image["id"])
            call.state.blocks.remove(call.state.blocks.image_path(image["id"]))


# ---------------------------------------------------------------------------------------------------------------
# remote consoles (2.6+) and the console page they point at


@compute.route("/v2.1/servers/<server_id>/remote-consoles", methods="POST")
def post_remote_console(call: Call, server_id: str):
    if not call.mv_at_least(2, 6):
        raise ApiError(404, "The resource could not be found.")
    server = writable_server(call, server_id, "remote-consoles")
    body = call.body_object("remote_console")
    protocol, console_type = body.get("protocol"), body.get("type")
    valid = {"vnc": ("novnc", "xvpvnc"), "spice": ("spice-html5",), "serial": ("serial",), "rdp": ("rdp-html5",),
             "mks": ("webmks",)}
    if protocol not in valid or console_type not in valid[protocol]:
        raise ApiError(400, f"Invalid input for field/attribute type. Value: {console_type}.")
    if protocol != "vnc":
        raise ApiError(400, f"Unavailable console type {console_type}.")
    if server["vm_state"] != "active":
        raise ApiError(409, f"Instance {server_id} is not ready")
    return 200, {"remote_console": {"protocol": protocol, "type": console_type,
                                    "url": _console_url(call, server, console_type)}}


@compute.route("/console/vnc_lite.html", public=True)
def console_page(call: Call):
    from html import escape

    from werkzeug.wrappers import Response

    token = call.args.get("token", "")
    entry = call.state.meta.get("nova_console_tokens", {}).get(token)
    if entry is None or entry["expires"] < time.time():
        return Response("<html><body><h3>Failed to connect to server (code: 1006)</h3></body></html>", status=404,
                        content_type="text/html")
    server = call.state.get("servers", entry["server_id"])
    text = _console_output(call.state, server, None) if server and not server.get("deleted") else "(no server)"
    page = ("<!DOCTYPE html><html><head><title>noVNC</title><style>body{background:#000;color:#ccc;"
            "font-family:monospace;white-space:pre;margin:8px}</style></head><body>"
            f"<div id='status'>Connected (unencrypted) to: QEMU ({escape(server['instance_name'] if server else '')})"
            f"</div><pre id='screen'>{escape(text)}</pre></body></html>")
    return Response(page, content_type="text/html")


# ---------------------------------------------------------------------------------------------------------------
# instance actions


def _action_server(call: Call, server_id: str) -> dict:
    server = call.state.get("servers", server_id)
    if server is not None and server.get("deleted") and call.mv_at_least(2, 21):
        if call.ctx.is_admin or server["project_id"] == call.ctx.project_id:
            return server
    return get_server(call, server_id)


def _action_view(call: Call, record: dict, with_events: bool) -> dict:
    view = {"action": record["action"], "instance_uuid": record["instance_uuid"], "message": record["message"],
            "project_id": record["project_id"], "request_id": record["request_id"],
            "start_time": naive_time(record["start_ts"]), "user_id": record["user_id"]}
    if call.mv_at_least(2, 58):
        view["updated_at"] = naive_time(record["updated_ts"])
    if with_events:
        events = []
        server = call.state.get("servers", record["instance_uuid"]) or {"project_id": record["project_id"]}
        for event in record["events"]:
            entry = {"event": event["event"], "start_time": naive_time(event["start_ts"]),
                     "finish_time": naive_time(event["finish_ts"]), "result": event["result"]}
            if call.ctx.is_admin:
                entry["traceback"] = event["traceback"]
            if call.mv_at_least(2, 62):
                entry["hostId"] = host_id({"host": event["host"], "project_id": server["project_id"]})
                if call.ctx.is_admin:
                    entry["host"] = event["host"]
            if call.mv_at_least(2, 84):
                entry["details"] = event.get("details")
            events.append(entry)
        view["events"] = events
    return view


@compute.route("/v2.1/servers/<server_id>/os-instance-actions")
def list_instance_actions(call: Call, server_id: str):
    server = _action_server(call, server_id)
    records = [a for a in call.state.table("instance_actions").values() if a["instance_uuid"] == server["id"]]
    records.sort(key=lambda a: (a["start_ts"], a["id"]), reverse=True)
    body: dict = {}
    if call.mv_at_least(2, 58):
        if call.args.get("changes-since"):
            since = parse_time(call.args["changes-since"])
            records = [a for a in records if a["updated_ts"] >= since]
        if call.mv_at_least(2, 66) and call.args.get("changes-before"):
            before = parse_time(call.args["changes-before"])
            records = [a for a in records if a["updated_ts"] <= before]
        from storage_backup_sandbox.nova_resources import nova_page

        records, links = nova_page(call, records, f"servers/{server_id}/os-instance-actions", key="request_id")
        if links:
            body["links"] = links
    body["instanceActions"] = [_action_view(call, a, with_events=False) for a in records]
    return 200, body


@compute.route("/v2.1/servers/<server_id>/os-instance-actions/<request_id>")
def show_instance_action(call: Call, server_id: str, request_id: str):
    server = _action_server(call, server_id)
    for record in call.state.table("instance_actions").values():
        if record["instance_uuid"] == server["id"] and record["request_id"] == request_id:
            with_events = call.ctx.is_admin or call.mv_at_least(2, 51)
            return 200, {"instanceAction": _action_view(call, record, with_events)}
    raise ApiError(404, f"Action for request_id {request_id} on instance {server_id} not found")


# ---------------------------------------------------------------------------------------------------------------
# interfaces (os-interface) and the server's security groups


def _interface_view(call: Call, port: dict, tag: str | None = None) -> dict:
    view = {"port_state": port["status"], "fixed_ips": [dict(f) for f in port["fixed_ips"]], "port_id": port["id"],
            "net_id": port["network_id"], "mac_addr": port["mac_address"]}
    if call.mv_at_least(2, 70):
        view["tag"] = tag
    return view


@compute.route("/v2.1/servers/<server_id>/os-interface")
def list_interfaces(call: Call, server_id: str):
    server = get_server(call, server_id)
    tags = server.get("interface_tags", {})
    return 200, {"interfaceAttachments": [_interface_view(call, p, tags.get(p["id"]))
                                          for p in neutron.ports_of_device(call.state, server["id"])]}


@compute.route("/v2.1/servers/<server_id>/os-interface/<port_id>")
def show_interface(call: Call, server_id: str, port_id: str):
    server = get_server(call, server_id)
    port = call.state.get("ports", port_id)
    if port is None or port["device_id"] != server["id"]:
        raise ApiError(404, f"Port {port_id} is not attached")
    return 200, {"interfaceAttachment": _interface_view(call, port, server.get("interface_tags", {}).get(port_id))}


@compute.route("/v2.1/servers/<server_id>/os-interface", methods="POST")
def post_interface(call: Call, server_id: str):
    server = writable_server(call, server_id, "os-attach-interfaces:create")
    check_not_locked(call, server)
    check_state(server, "attach_interface", ("active", "paused", "stopped"))
    body = (call.json(required=False) or {}).get("interfaceAttachment") or {}
    net_id, port_id = body.get("net_id"), body.get("port_id")
    if net_id and port_id:
        raise ApiError(400, "Must not input both network_id and port_id")
    state = call.state
    owner = f"compute:{server['availability_zone']}"
    if port_id:
        port = state.get("ports", port_id)
        if port is None or (port["project_id"] != server["project_id"] and not call.ctx.is_admin):
            raise ApiError(404, f"Port {port_id} could not be found.")
        if port["device_id"]:
            raise ApiError(409, f"Port {port_id} is still in use.")
        neutron.bind_port(state, port_id, server["host"], server["id"], owner)
    else:
        if not net_id:
            candidates = [n for n in neutron.networks_available_to(state, server["project_id"])
                          if not n["router:external"]]
            if len(candidates) != 1:
                raise ApiError(409, "Multiple possible networks found, use a Network ID to be more specific.")
            net_id = candidates[0]["id"]
        net = state.get("networks", net_id)
        if net is None or not (net["project_id"] == server["project_id"] or net["shared"] or call.ctx.is_admin):
            raise ApiError(404, f"Network {net_id} could not be found.")
        fixed = [{"ip_address": f["ip_address"]} for f in body.get("fixed_ips") or [] if f.get("ip_address")]
        port = neutron.create_port(state, project_id=server["project_id"], network_id=net_id, device_id=server["id"],
                                   device_owner=owner, fixed_ips=fixed or None, bind_host=server["host"])
        port_id = port["id"]
        server.setdefault("interface_ports_created", []).append(port_id)
    if body.get("tag"):
        server.setdefault("interface_tags", {})[port_id] = body["tag"]
    record_action(call, server, "attach_interface")
    server["updated_ts"] = time.time()
    state.touch()
    return 200, {"interfaceAttachment": _interface_view(call, state.get("ports", port_id), body.get("tag"))}


@compute.route("/v2.1/servers/<server_id>/os-interface/<port_id>", methods="DELETE")
def delete_interface(call: Call, server_id: str, port_id: str):
    server = writable_server(call, server_id, "os-attach-interfaces:delete")
    check_not_locked(call, server)
    check_state(server, "detach_interface", ("active", "paused", "stopped"))
    port = call.state.get("ports", port_id)
    if port is None or port["device_id"] != server["id"]:
        raise ApiError(404, f"Port {port_id} is not attached")
    if port_id in server.get("created_ports", []) or port_id in server.get("interface_ports_created", []):
        neutron.delete_port(call.state, port_id)
        for key in ("created_ports", "interface_ports_created"):
            if port_id in server.get(key, []):
                server[key].remove(port_id)
    else:
        neutron.unbind_port(call.state, port_id)
        if port_id in server.get("attached_ports", []):
            server["attached_ports"].remove(port_id)
    record_action(call, server, "detach_interface")
    server["updated_ts"] = time.time()
    call.state.touch()
    return 202, None


@compute.route("/v2.1/servers/<server_id>/os-security-groups")
def list_server_security_groups(call: Call, server_id: str):
    server = get_server(call, server_id)
    groups = []
    seen = set()
    for port in neutron.ports_of_device(call.state, server["id"]):
        for group_id in port["security_groups"]:
            group = call.state.get("security_groups", group_id)
            if group is None or group_id in seen:
                continue
            seen.add(group_id)
            rules = []
            for rule in call.state.table("security_group_rules").values():
                if rule["security_group_id"] != group_id or rule["direction"] != "ingress":
                    continue
                remote = call.state.get("security_groups", rule["remote_group_id"] or "")
                rules.append({"id": rule["id"], "parent_group_id": group_id, "ip_protocol": rule["protocol"],
                              "from_port": rule["port_range_min"] if rule["port_range_min"] is not None else -1,
                              "to_port": rule["port_range_max"] if rule["port_range_max"] is not None else -1,
                              "ip_range": {"cidr": rule["remote_ip_prefix"]} if rule["remote_ip_prefix"] else {},
                              "group": {"name": remote["name"], "tenant_id": remote["project_id"]} if remote
                              else {}})
            groups.append({"id": group_id, "name": group["name"], "description": group["description"],
                           "tenant_id": group["project_id"], "rules": rules})
    return 200, {"security_groups": groups}
