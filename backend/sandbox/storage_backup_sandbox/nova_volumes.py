# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Nova's side of volume attachments: ``/servers/{id}/os-volume_attachments`` and the block device mappings.

Nova keeps its BDMs in the server record, Cinder its attachments in the volume record; an attach or a detach
changes both, Nova through the Cinder contract (``attach``, ``begin_detach``, ``detach``). Cinder finishes its part
asynchronously (and may fail it, when a fault is armed), so ``sync_bdms`` brings a server's BDMs in line with what
Cinder reports before anything reads them: an attach Cinder gave up drops its BDM, a finished detach drops it, a
detach Cinder rolled back brings it back to ``attached`` -- what nova-compute's error handling does in a real cloud.

The guest's view of an attachment is Cinder's doing: ``servers/<S>/dev/vdX`` and
``servers/<S>/dev/disk/by-id/virtio-<volume id[:20]>`` appear when the volume goes ``in-use``.
"""
from __future__ import annotations

import logging
import time
import uuid

from storage_backup_sandbox import cinder
from storage_backup_sandbox.blockdev import DEVICE_LETTERS
from storage_backup_sandbox.http import ApiError, Call, bool_arg
from storage_backup_sandbox.nova import compute
from storage_backup_sandbox.nova_common import (
    check_not_locked,
    check_state,
    finish_action,
    get_server,
    record_action,
    writable_server,
)
from storage_backup_sandbox.state import State, transition

LOG = logging.getLogger(__name__)

ATTACHABLE_STATES = ("active", "paused", "stopped", "suspended", "resized", "soft-delete", "shelved",
                     "shelved_offloaded")


def sync_bdms(state: State, server: dict) -> None:
    """Reconcile the server's volume BDMs with Cinder's attachments (see the module docstring)."""
    if server.get("deleted"):
        return
    kept = []
    changed = False
    for bdm in server["bdms"]:
        volume_id = bdm.get("volume_id")
        if not volume_id or bdm.get("state") in ("pending", "local", "attached", None):
            kept.append(bdm)  # an attached BDM stays until Nova detaches it, whatever Cinder says (as in Nova)
            continue
        volume = state.get("volumes", volume_id)
        attachment = _attachment(volume, server["id"]) if volume else None
        if bdm["state"] == "attaching":
            if attachment and attachment.get("attach_status") == "attached" and volume["status"] == "in-use":
                bdm["state"] = "attached"
                changed = True
            elif volume is None or (attachment is None and not _reserved_for(volume, server["id"])):
                # Cinder failed the attach (no attachment to this server and the volume no longer reserved for it,
                # whatever it does since: it may be attached elsewhere by now): nova-compute rolls its BDM back.
                # A volume still reserved for this server is an attach in progress, not a failed one.
                changed = True
                continue
        elif bdm["state"] == "detaching":
            if volume is None or attachment is None:
                changed = True  # detach finished
                continue
            if volume["status"] == "in-use" and attachment.get("attach_status") == "attached":
                bdm["state"] = "attached"  # Cinder rolled the detach back
                changed = True
        kept.append(bdm)
    if changed:
        server["bdms"] = kept
        state.touch()


def _reserved_for(volume: dict, server_id: str) -> bool:
    """Cinder's reservation of ``volume`` for the server's attach (``os-reserve``) still stands."""
    return volume.get("status") in ("attaching", "reserved") and volume.get("reserved_for") == server_id


def _attachment(volume: dict, server_id: str) -> dict | None:
    for attachment in volume.get("attachments", []):
        if attachment.get("server_id") == server_id:
            return attachment
    return None


def _find_bdm(server: dict, volume_id: str) -> dict | None:
    for bdm in server["bdms"]:
        if bdm.get("volume_id") == volume_id:
            return bdm
    return None


def attachment_view(call: Call, server: dict, bdm: dict, created: bool = False) -> dict:
    """Nova's ``_translate_attachment_detail_view`` (``created``: the POST answer, which keeps ``id``)."""
    uuids = call.mv_at_least(2, 89) and not created
    view = {}
    if not uuids:
        view["id"] = bdm["volume_id"]
    view["volumeId"] = bdm["volume_id"]
    view["serverId"] = server["id"]
    if bdm.get("device_name"):
        view["device"] = bdm["device_name"]
    if call.mv_at_least(2, 70):
        view["tag"] = bdm.get("tag")
    if call.mv_at_least(2, 79):
        view["delete_on_termination"] = bool(bdm.get("delete_on_termination"))
    if uuids:
        view["attachment_id"] = bdm.get("attachment_id")
        view["bdm_uuid"] = bdm["uuid"]
    return view


def next_device(state: State, server: dict) -> str:
    """The next free ``/dev/vdX``: names taken by BDMs (even still attaching) and by the server's /dev."""
    taken = {(bdm.get("device_name") or "").rsplit("/", 1)[-1] for bdm in server["bdms"]}
    taken |= set(state.blocks.attached_devices(server["id"]))
    if server.get("image_ref"):
        taken.add("vda")
    for letter in DEVICE_LETTERS:
        if f"vd{letter}" not in taken:
            return f"/dev/vd{letter}"
    raise ApiError(403, "The maximum allowed number of disk devices (26) to attach to a single instance has been "
                        "exceeded.")


def attach_volume(call: Call, server: dict, volume_id: str, tag: str | None = None,
                  delete_on_termination: bool = False, requested_device: str | None = None) -> dict:
    """Reserve a device name, attach through Cinder, record the BDM; returns the BDM."""
    state = call.state
    volume = state.get("volumes", volume_id)
    if volume is None or (not call.ctx.is_admin and volume["project_id"] != call.ctx.project_id):
        raise ApiError(404, f"Volume {volume_id} could not be found.")
    sync_bdms(state, server)
    if _find_bdm(server, volume_id):
        raise ApiError(400, f"Invalid volume: volume {volume_id} is already attached to instance {server['id']}")
    if volume["status"] != "available":
        raise ApiError(400, f"Invalid volume: volume '{volume_id}' status must be 'available'. Currently in "
                            f"'{volume['status']}'")
    device = next_device(state, server)
    if requested_device and requested_device.startswith("/dev/vd"):
        # compute_utils.get_device_name_for_instance: a requested name is taken when no BDM holds it
        taken = {(bdm.get("device_name") or "") for bdm in server["bdms"]}
        taken |= {f"/dev/{name}" for name in state.blocks.attached_devices(server["id"])}
        if requested_device not in taken:
            device = requested_device
    # Nova's API reserves the volume (``available`` -> ``attaching``); its compute side then attaches it
    cinder.reserve_attach(state, volume_id, server["id"])
    attachment = cinder.attach(state, volume_id, server["id"], device, host_name=server.get("host"))
    bdm = {"uuid": str(uuid.uuid4()), "source_type": "volume", "destination_type": "volume", "boot_index": None,
           "device_name": device, "delete_on_termination": bool(delete_on_termination), "volume_size": volume["size"],
           "tag": tag, "volume_type": None, "disk_bus": "virtio", "device_type": "disk", "guest_format": None,
           "volume_id": volume_id, "snapshot_id": None, "image_id": None, "attachment_id": attachment["id"],
           "state": "attaching"}
    server["bdms"].append(bdm)
    server["updated_ts"] = time.time()
    action = record_action(call, server, "attach_volume", event="compute_attach_volume")
    finish_action(state, action["id"])
    state.touch()
    return bdm


@compute.route("/v2.1/servers/<server_id>/os-volume_attachments")
def list_volume_attachments(call: Call, server_id: str):
    server = get_server(call, server_id)
    sync_bdms(call.state, server)
    bdms = [b for b in server["bdms"] if b.get("volume_id")]
    try:
        offset = int(call.args.get("offset", 0))
        limit = int(call.args["limit"]) if call.args.get("limit") else None
    except ValueError:
        raise ApiError(400, "limit and offset must be integers") from None
    bdms = bdms[offset:offset + limit] if limit is not None else bdms[offset:]
    return 200, {"volumeAttachments": [attachment_view(call, server, b) for b in bdms]}


@compute.route("/v2.1/servers/<server_id>/os-volume_attachments/<volume_id>")
def show_volume_attachment(call: Call, server_id: str, volume_id: str):
    server = get_server(call, server_id)
    sync_bdms(call.state, server)
    bdm = _find_bdm(server, volume_id)
    if bdm is None:
        raise ApiError(404, f"Instance {server_id} is not attached to volume {volume_id}")
    return 200, {"volumeAttachment": attachment_view(call, server, bdm)}


@compute.route("/v2.1/servers/<server_id>/os-volume_attachments", methods="POST")
def post_volume_attachment(call: Call, server_id: str):
    server = writable_server(call, server_id, "os-volumes-attachments:create")
    body = call.body_object("volumeAttachment")
    volume_id = body.get("volumeId")
    if not isinstance(volume_id, str) or not volume_id:
        raise ApiError(400, "Invalid input for field/attribute volumeAttachment. Value: ... 'volumeId' is a "
                            "required property")
    allowed = {"volumeId", "device"} | ({"tag"} if call.mv_at_least(2, 49) else set()) | (
        {"delete_on_termination"} if call.mv_at_least(2, 79) else set())
    unexpected = set(body) - allowed
    if unexpected:
        raise ApiError(400, "Invalid input for field/attribute volumeAttachment. Additional properties are not "
                            f"allowed ('{sorted(unexpected)[0]}' was unexpected)")
    check_not_locked(call, server)
    if server["vm_state"] in ("shelved", "shelved_offloaded") and not call.mv_at_least(2, 20):
        raise ApiError(409, f"Cannot 'attach_volume' instance {server_id} while it is in vm_state "
                            f"{server['vm_state']}")
    check_state(server, "attach_volume", ATTACHABLE_STATES)
    bdm = attach_volume(call, server, volume_id, tag=body.get("tag"),
                        delete_on_termination=bool_arg(body.get("delete_on_termination", False),
                                                       "delete_on_termination"),
                        requested_device=body.get("device") if isinstance(body.get("device"), str) else None)
    return 200, {"volumeAttachment": attachment_view(call, server, bdm, created=True)}


@compute.route("/v2.1/servers/<server_id>/os-volume_attachments/<volume_id>", methods="PUT")
def put_volume_attachment(call: Call, server_id: str, volume_id: str):
    server = get_server(call, server_id)
    body = call.body_object("volumeAttachment")
    new_volume = body.get("volumeId")
    if not call.mv_at_least(2, 85) or new_volume != volume_id:
        if not call.ctx.is_admin:
            raise ApiError(403, "Policy doesn't allow os_compute_api:os-volumes-attachments:swap to be performed.")
        raise ApiError(409, f"Cannot 'swap_volume' instance {server_id}: the compute driver does not support "
                            "swapping volumes.")
    writable_server(call, server_id, "os-volumes-attachments:update")
    sync_bdms(call.state, server)
    bdm = _find_bdm(server, volume_id)
    if bdm is None:
        raise ApiError(404, f"No volume Block Device Mapping with id {volume_id}.")
    for key, current in (("id", volume_id), ("serverId", server_id), ("device", bdm.get("device_name")),
                         ("tag", bdm.get("tag"))):
        if key in body and body[key] != current:
            raise ApiError(400, f"The {key} property is not mutable")
    if "delete_on_termination" in body:
        bdm["delete_on_termination"] = bool_arg(body["delete_on_termination"], "delete_on_termination")
        call.state.touch()
    return 202, None


@compute.route("/v2.1/servers/<server_id>/os-volume_attachments/<volume_id>", methods="DELETE")
def delete_volume_attachment(call: Call, server_id: str, volume_id: str):
    server = writable_server(call, server_id, "os-volumes-attachments:delete")
    check_not_locked(call, server)
    if server["vm_state"] in ("shelved", "shelved_offloaded") and not call.mv_at_least(2, 20):
        raise ApiError(409, f"Cannot 'detach_volume' instance {server_id} while it is in vm_state "
                            f"{server['vm_state']}")
    volume = call.state.get("volumes", volume_id)
    if volume is None or (not call.ctx.is_admin and volume["project_id"] != call.ctx.project_id):
        raise ApiError(404, f"Volume {volume_id} could not be found.")
    sync_bdms(call.state, server)
    bdm = _find_bdm(server, volume_id)
    if bdm is None:
        raise ApiError(404, f"Instance {server_id} is not attached to volume {volume_id}")
    if bdm.get("boot_index") == 0 and server["vm_state"] != "shelved_offloaded":
        raise ApiError(400, "Cannot detach a root device volume")
    check_state(server, "detach_volume", ATTACHABLE_STATES)
    detach_volume(call, server, bdm)
    return 202, None


def detach_volume(call: Call, server: dict, bdm: dict) -> None:
    cinder.begin_detach(call.state, bdm["volume_id"], server["id"])
    bdm["state"] = "detaching"
    server["updated_ts"] = time.time()
    action = record_action(call, server, "detach_volume", event="compute_detach_volume")
    call.state.later("nova.volume_detach", server_id=server["id"], volume_id=bdm["volume_id"],
                     action_id=action["id"])
    call.state.touch()


@transition("nova.volume_detach")
def _volume_detach(state: State, server_id: str, volume_id: str, action_id: str | None = None) -> None:
    """What nova-compute does on a detach: the guest lets go, then Cinder is told (``detach``)."""
    with state.lock:
        server = state.get("servers", server_id)
        if server is None or server.get("deleted"):
            return
        try:
            cinder.detach(state, volume_id, server_id)
            finish_action(state, action_id)
        except ApiError as error:
            LOG.warning("detach of volume %s from server %s failed: %s", volume_id, server_id, error.message)
            bdm = _find_bdm(server, volume_id)
            volume = state.get("volumes", volume_id)
            # Nova keeps the BDM when Cinder refuses while the volume is still attached to the server; when the
            # volume or its attachment is gone (reset or deleted meanwhile: VolumeAttachmentNotFound), nova-compute
            # lets go of it, and sync_bdms drops the BDM below.
            if bdm is not None and volume is not None and _attachment(volume, server_id) is not None:
                bdm["state"] = "attached"
            finish_action(state, action_id, error=error.message)
        sync_bdms(state, server)
        state.touch()
