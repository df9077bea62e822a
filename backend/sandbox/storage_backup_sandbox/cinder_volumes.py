# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder volumes: CRUD, listing with filters, summary, metadata and every ``/action`` clients use."""
from __future__ import annotations

import json

from storage_backup_sandbox import cinder, glance
from storage_backup_sandbox import cinder_views as views
from storage_backup_sandbox.cinder_api import (
    body_of,
    check_metadata,
    listing,
    parse_bool,
    parse_dict_filter,
    parse_int,
    remove_metadata_item,
    require_admin,
    require_project,
    require_writer,
    show_metadata_item,
    snapshot_for,
    tenant_scope,
    v3,
    visible,
    volume_for,
    write_metadata,
    write_metadata_item,
)
from storage_backup_sandbox.http import ApiError, Call, bad_request, json_response
from storage_backup_sandbox.state import State, transition

# Filters a non-admin may use (cinder's etc/cinder/resource_filters.json), with the microversion they came in.
USER_FILTERS = {"name": (3, 0), "status": (3, 0), "metadata": (3, 0), "availability_zone": (3, 0),
                "bootable": (3, 2), "glance_metadata": (3, 4), "group_id": (3, 10), "name~": (3, 34),
                "status~": (3, 34), "created_at": (3, 60), "updated_at": (3, 60), "consumes_quota": (3, 65)}
PAGING_KEYS = ("marker", "limit", "offset", "sort", "sort_key", "sort_dir", "all_tenants", "all_projects",
               "with_count", "project_id", "use_quota")


def _matches(call: Call, record: dict, key: str, value: str) -> bool:
    if key == "name":
        return record.get("name") == value
    if key in ("name~", "status~"):
        return value.lower() in str(record.get(key[:-1]) or "").lower()
    if key == "status":
        return record["status"] == value
    if key == "availability_zone":
        return record["availability_zone"] == value
    if key == "bootable":
        return record["bootable"] == parse_bool(value, "bootable")
    if key == "metadata":
        wanted = parse_dict_filter(value, "metadata")
        return all(views._visible_metadata(record).get(k) == str(v) for k, v in wanted.items())
    if key == "glance_metadata":
        wanted = parse_dict_filter(value, "glance_metadata")
        have = record.get("image_metadata") or {}
        return all(have.get(k) == str(v) for k, v in wanted.items())
    if key == "group_id":
        return record.get("group_id") == value
    if key == "consumes_quota":
        return record.get("consumes_quota", True) == parse_bool(value, "consumes_quota")
    if key in ("created_at", "updated_at"):
        return _time_filter(record.get(key), value)
    if key == "volume_type":
        vtype = call.state.get("volume_types", record.get("volume_type_id") or "") or {}
        return value in (vtype.get("name"), vtype.get("id"))
    if key in ("snapshot_id", "source_volid", "user_id", "host", "id", "size", "attach_status"):
        return str(record.get(key)) == value
    return True  # admins may name other columns; the sandbox keeps no more of them


def _time_filter(stamp: str | None, expression: str) -> bool:
    """``created_at=gt:2024-01-01T00:00:00,lte:...`` (3.60)."""
    if stamp is None:
        return False
    for unit in expression.split(","):
        operator, _, moment = unit.partition(":")
        if operator not in ("gt", "gte", "eq", "neq", "lt", "lte") or not moment:
            raise bad_request(f"Invalid input received: Invalid {operator} operator")
        moment = moment.replace("Z", "").replace("+00:00", "")
        left, right = stamp[:19], moment[:19]
        ok = {"gt": left > right, "gte": left >= right, "eq": left == right, "neq": left != right,
              "lt": left < right, "lte": left <= right}[operator]
        if not ok:
            return False
    return True


def _filtered_volumes(call: Call) -> list[dict]:
    records = tenant_scope(call, call.state.table("volumes").values())
    for key, value in call.args.items():
        if key in PAGING_KEYS:
            continue
        if not call.ctx.is_admin:
            since = USER_FILTERS.get(key)
            if since is None or not call.mv_at_least(*since):
                continue  # Cinder silently drops filters a user may not use
        records = [r for r in records if _matches(call, r, key, value)]
    return records


def _list(call: Call, detail: bool):
    render = views.volume_detail if detail else views.volume_summary
    return listing(call, "volumes", _filtered_volumes, render, detail)


@v3("/volumes")
def list_volumes(call: Call, project_id: str | None = None):
    return _list(call, detail=False)


@v3("/volumes/detail")
def list_volumes_detail(call: Call, project_id: str | None = None):
    return _list(call, detail=True)


@v3("/volumes/summary")
def volumes_summary(call: Call, project_id: str | None = None):
    if not call.mv_at_least(3, 12):
        return volume_for(call, "summary")  # below 3.12 "summary" is just an unknown volume id
    records = _filtered_volumes(call)
    summary: dict = {"total_count": len(records), "total_size": sum(r["size"] for r in records)}
    if call.mv_at_least(3, 36):
        metadata: dict[str, list] = {}
        for record in records:
            for key, value in record["metadata"].items():
                metadata.setdefault(key, [])
                if value not in metadata[key]:
                    metadata[key].append(value)
        summary["metadata"] = metadata
    return 200, {"volume-summary": summary}


@v3("/volumes/<volume_id>")
def show_volume(call: Call, volume_id: str, project_id: str | None = None):
    return 200, {"volume": views.volume_detail(call, volume_for(call, volume_id))}


def _encryption_metadata(call: Call, record: dict) -> dict:
    """Cinder's ``os-volume-encryption-metadata``: the volume's key id and its type's encryption spec (what Nova's
    encryptor needs to open it); just a null key id for a volume Cinder does not encrypt."""
    metadata = {"encryption_key_id": record.get("encryption_key_id")}
    vtype = call.state.get("volume_types", record.get("volume_type_id") or "") or {}
    spec = vtype.get("encryption") if record.get("encrypted") else None
    if spec:
        metadata.update({key: spec[key] for key in ("provider", "control_location", "cipher", "key_size")})
    return metadata


@v3("/volumes/<volume_id>/encryption")
def show_encryption_metadata(call: Call, volume_id: str, project_id: str | None = None):
    return 200, _encryption_metadata(call, volume_for(call, volume_id))


@v3("/volumes/<volume_id>/encryption/<key>")
def show_encryption_metadata_item(call: Call, volume_id: str, key: str, project_id: str | None = None):
    metadata = _encryption_metadata(call, volume_for(call, volume_id))
    if key not in metadata:
        raise ApiError(404, f"Volume {volume_id} has no encryption metadata with key {key}.")
    return 200, {key: metadata[key]}


@v3("/volumes", methods="POST")
def create_volume(call: Call, project_id: str | None = None):
    ctx_project = require_project(call)
    require_writer(call, "volume:create")
    spec = body_of(call, "volume")
    allowed = {"size", "name", "description", "display_name", "display_description", "availability_zone",
               "volume_type", "snapshot_id", "source_volid", "imageRef", "image_id", "metadata",
               "consistencygroup_id", "group_id", "backup_id", "multiattach", "scheduler_hints", "source_replica"}
    unknown = sorted(set(spec) - allowed)
    if unknown and call.mv_at_least(3, 53):
        raise bad_request(f"Invalid input for field/attribute volume. Additional properties are not allowed "
                          f"({', '.join(repr(u) for u in unknown)} were unexpected)")
    if spec.get("multiattach") and parse_bool(spec["multiattach"], "multiattach"):
        raise bad_request("multiattach parameter has been removed. The default behavior is to use multiattach "
                          "enabled volume types. Contact your administrator to create a multiattach enabled "
                          "volume type and use it to create multiattach volumes.")
    if spec.get("backup_id"):
        raise ApiError(404, f"Backup {spec['backup_id']} could not be found.")
    size = spec.get("size")
    if size is not None:
        size = parse_int(size, "size", 1)
    image_ref = spec.get("imageRef") or spec.get("image_id")
    image_id = _image_id(call, image_ref) if image_ref else None
    snapshot_id = spec.get("snapshot_id")
    image_snapshot = _nova_image_snapshot(call, image_id) if image_id else None
    if image_snapshot and call.mv_at_least(3, 46):  # a Nova volume-backed server's image: its boot snapshot
        snapshot_id, image_id = image_snapshot, None
    if snapshot_id:
        snapshot_for(call, snapshot_id)
    source_volid = spec.get("source_volid")
    if source_volid:
        volume_for(call, source_volid)
    group_id = spec.get("group_id") or spec.get("consistencygroup_id")
    if group_id:
        group = call.state.get("groups", group_id)
        if group is None or not (call.ctx.is_admin or group["project_id"] == ctx_project):
            raise ApiError(404, f"Group {group_id} could not be found.")
    record = cinder.create_volume(
        call.state, project_id=ctx_project, user_id=call.ctx.user_id, size=size,
        name=spec.get("name", spec.get("display_name")),
        description=spec.get("description", spec.get("display_description")),
        availability_zone=spec.get("availability_zone"), volume_type=spec.get("volume_type"),
        snapshot_id=snapshot_id, source_volid=source_volid, image_id=image_id,
        metadata=check_metadata(spec.get("metadata")), group_id=group_id)
    return 202, {"volume": views.volume_detail(call, record, created=True)}


def _nova_image_snapshot(call: Call, image_id: str) -> str | None:
    """The boot snapshot of an image Nova made of a volume-backed server (``block_device_mapping`` property)."""
    image = call.state.get("images", image_id) or {}
    try:
        mapping = json.loads(image.get("properties", {}).get("block_device_mapping") or "[]")
    except ValueError:
        return None
    boot = [b for b in mapping if isinstance(b, dict) and b.get("source_type") == "snapshot"
            and b.get("boot_index") in (0, "0")]
    if not boot:
        return None
    snapshot_id = boot[0].get("snapshot_id")
    if not visible(call, call.state.get("snapshots", snapshot_id or "")):
        raise ApiError(404, f"Nova specific image is found, but boot volume snapshot id:{snapshot_id} not found.")
    return snapshot_id


def _image_id(call: Call, image_ref: str) -> str:
    """An image id from an id, an image URL, or a unique image name (Cinder's ``_image_uuid_from_ref``)."""
    ident = str(image_ref).rstrip("/").split("/")[-1]
    project_id = call.ctx.project_id
    if glance.visible_image(call.state, ident, project_id, call.ctx.is_admin):
        return ident
    named = [i for i in call.state.table("images").values()
             if i.get("name") == image_ref and glance.can_see(call.state, i, project_id, call.ctx.is_admin)]
    if len(named) > 1:
        raise ApiError(409, f"Multiple matches found for '{image_ref}', use an ID to be more specific.")
    if named:
        return named[0]["id"]
    raise bad_request("Invalid image identifier or unable to access requested image.")


@v3("/volumes/<volume_id>", methods="PUT")
def update_volume(call: Call, volume_id: str, project_id: str | None = None):
    require_writer(call, "volume:update")
    record = volume_for(call, volume_id)
    changes = body_of(call, "volume")
    allowed = {"name", "description", "display_name", "display_description", "metadata"}
    if not changes or not set(changes) <= allowed:
        raise bad_request("Invalid input for field/attribute volume. Additional properties are not allowed")
    for key in ("name", "display_name"):
        if key in changes:
            record["name"] = changes[key]
    for key in ("description", "display_description"):
        if key in changes:
            record["description"] = changes[key]
    if "metadata" in changes:
        record["metadata"] = check_metadata(changes["metadata"])
    cinder._touch(record)
    call.state.touch()
    return 200, {"volume": views.volume_detail(call, record, created=True)}


@v3("/volumes/<volume_id>", methods="DELETE")
def delete_volume(call: Call, volume_id: str, project_id: str | None = None):
    require_writer(call, "volume:delete")
    record = volume_for(call, volume_id)
    force = False
    if call.mv_at_least(3, 23) and call.args.get("force"):
        force = parse_bool(call.args["force"], "force")
        if force:
            require_admin(call, "volume:force_delete")
    if call.args.get("cascade") and parse_bool(call.args["cascade"], "cascade"):
        if record["attachments"]:
            cinder.delete_volume(call.state, volume_id, force=force)  # refused: still attached
        for snapshot in [s for s in call.state.table("snapshots").values() if s["volume_id"] == volume_id]:
            if snapshot["status"] not in ("available", "error"):
                raise bad_request("Invalid volume: Snapshot of volume must be available or error to cascade "
                                  "delete.")
        for snapshot in [s for s in call.state.table("snapshots").values() if s["volume_id"] == volume_id]:
            call.state.blocks.delete_snapshot(snapshot["id"], cinder.name_id(record))
            call.state.delete("snapshots", snapshot["id"])
    cinder.delete_volume(call.state, volume_id, force=force)
    return json_response(202, None)


# ---------------------------------------------------------------------------------------------------------------
# metadata


@v3("/volumes/<volume_id>/metadata")
def get_metadata(call: Call, volume_id: str, project_id: str | None = None):
    return 200, {"metadata": views._visible_metadata(volume_for(call, volume_id))}


def _replace_metadata(call: Call, volume_id: str, merge: bool):
    require_writer(call, "volume:update_volume_metadata")
    record = volume_for(call, volume_id)
    if record["status"] == "maintenance":
        raise bad_request("Invalid volume: Updating volume metadata is not allowed for volumes in maintenance.")
    return write_metadata(call, record, merge)


@v3("/volumes/<volume_id>/metadata", methods="POST")
def create_metadata(call: Call, volume_id: str, project_id: str | None = None):
    return _replace_metadata(call, volume_id, merge=True)


@v3("/volumes/<volume_id>/metadata", methods="PUT")
def replace_metadata(call: Call, volume_id: str, project_id: str | None = None):
    return _replace_metadata(call, volume_id, merge=False)


@v3("/volumes/<volume_id>/metadata/<key>")
def get_metadata_item(call: Call, volume_id: str, key: str, project_id: str | None = None):
    return show_metadata_item(views._visible_metadata(volume_for(call, volume_id)), key, "Volume", volume_id)


@v3("/volumes/<volume_id>/metadata/<key>", methods="PUT")
def put_metadata_item(call: Call, volume_id: str, key: str, project_id: str | None = None):
    require_writer(call, "volume:update_volume_metadata")
    return write_metadata_item(call, volume_for(call, volume_id), key)


@v3("/volumes/<volume_id>/metadata/<key>", methods="DELETE")
def delete_metadata_item(call: Call, volume_id: str, key: str, project_id: str | None = None):
    require_writer(call, "volume:delete_volume_metadata")
    return remove_metadata_item(call, volume_for(call, volume_id), key, "Volume")


# ---------------------------------------------------------------------------------------------------------------
# actions


ACTIONS = {}


def action(name: str, admin: bool = False):
    def register(fn):
        ACTIONS[name] = (fn, admin)
        return fn

    return register


@v3("/volumes/<volume_id>/action", methods="POST")
def volume_action(call: Call, volume_id: str, project_id: str | None = None):
    body = call.json()
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request("Malformed request body: one action is expected.")
    name, args = next(iter(body.items()))
    if name not in ACTIONS:
        raise ApiError(404, f"There is no such action: {name}")
    handler, admin_only = ACTIONS[name]
    record = volume_for(call, volume_id)
    if admin_only:
        require_admin(call, f"volume_extension:volume_admin_actions:{name[3:]}")
    elif name != "os-show_image_metadata":
        require_writer(call, f"volume_extension:volume_actions:{name}")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise bad_request(f"Invalid input for field/attribute {name}. Value: {args}. {args!r} is not of type "
                          "'object'")
    return handler(call, record, args)


@action("os-extend")
def _extend(call: Call, record: dict, args: dict):
    if "new_size" not in args:
        raise bad_request("Invalid input for field/attribute os-extend. 'new_size' is a required property")
    new_size = parse_int(args["new_size"], "new_size", 1)
    allow_in_use = call.mv_at_least(3, 42)
    cinder.extend_volume(call.state, record["id"], new_size, allow_in_use)
    return json_response(202, None)


@action("os-reset_status", admin=True)
def _reset_status(call: Call, record: dict, args: dict):
    statuses = ("creating", "available", "deleting", "error", "error_deleting", "error_managing", "managing",
                "attaching", "in-use", "detaching", "maintenance", "reserved", "downloading", "uploading",
                "retyping", "extending", "error_extending", "backing-up", "restoring-backup", "error_restoring",
                "awaiting-transfer")
    status = args.get("status")
    if status is not None and status not in statuses:
        raise bad_request(f"Invalid input for field/attribute status. Value: {status}.")
    if args.get("attach_status") and args["attach_status"] not in ("attached", "detached"):
        raise bad_request("Invalid input received: Must specify a valid attach status")
    # Cinder 2024.1 refuses these two (its tuple also means to refuse 'detaching' and 'error_deleting', but a
    # missing comma glues them into one string, so those two are accepted: as here).
    if status == "deleting":
        raise bad_request("Cannot reset-state to deleting")
    if status == "in-use" and not record["attachments"]:
        raise bad_request("Cannot reset-state to in-use because volume does not have any attachments.")
    if status:
        record["status"] = status
    if args.get("attach_status"):
        record["attach_status"] = args["attach_status"]
        if args["attach_status"] == "detached":
            # Cinder's ``_clean_volume_attachment``: every attachment record goes (``volume_detached``), and the
            # volume's status follows from what is left (nothing: ``available``, whatever status was asked).
            for attachment in list(record["attachments"]):
                cinder.detach_attachment(call.state, record, attachment)
            record["attach_status"] = "detached"
    if "migration_status" in args:
        record["migration_status"] = args["migration_status"]
    cinder._touch(record)
    call.state.touch()
    return json_response(202, None)


@action("os-force_detach", admin=True)
def _force_detach(call: Call, record: dict, args: dict):
    """Cinder's admin force-detach: terminate the connection, then detach (the attachment named, or the volume's
    only one). Refused with 409 while Nova still uses the attachment (``check_detach_allowed``), as every
    non-service caller is since 2023; 400 for an unknown attachment or several without one named."""
    unexpected = set(args) - {"connector", "attachment_id"}
    if unexpected:
        raise bad_request("Invalid input for field/attribute os-force_detach. Additional properties are not allowed "
                          f"('{sorted(unexpected)[0]}' was unexpected)")
    attachment_id = args.get("attachment_id")
    cinder.check_detach_allowed(call.state, record, None)  # terminate_connection: the volume's attachment
    attachment = None
    if attachment_id:
        attachment = next((a for a in record["attachments"] if a["id"] == attachment_id), None)
        if attachment is None:
            raise bad_request("Error force detaching volume - VolumeAttachmentNotFound: Volume attachment could not "
                              f"be found with filter: attachment_id = {attachment_id}.")
        cinder.check_detach_allowed(call.state, record, attachment)
    if record["status"] == "maintenance":
        raise bad_request("Invalid volume: The volume cannot be detached in maintenance mode.")
    if attachment is None:
        if len(record["attachments"]) > 1:
            raise bad_request("Error force detaching volume - InvalidVolume: Invalid volume: Detach volume failed: "
                              "More than one attachment, but no attachment_id provided.")
        if not record["attachments"]:
            cinder._set_status(call.state, record, "available", attach_status="detached")
            return json_response(202, None)
        attachment = record["attachments"][0]
    cinder.detach_attachment(call.state, record, attachment)
    return json_response(202, None)


@action("os-force_delete", admin=True)
def _force_delete(call: Call, record: dict, args: dict):
    cinder.delete_volume(call.state, record["id"], force=True)
    return json_response(202, None)


@action("os-set_bootable")
def _set_bootable(call: Call, record: dict, args: dict):
    if "bootable" not in args:
        raise bad_request("Invalid input for field/attribute os-set_bootable. 'bootable' is a required property")
    record["bootable"] = parse_bool(args["bootable"], "bootable")
    cinder._touch(record)
    call.state.touch()
    return json_response(200, None)


@action("os-update_readonly_flag")
def _readonly(call: Call, record: dict, args: dict):
    if "readonly" not in args:
        raise bad_request("Invalid input for field/attribute os-update_readonly_flag. 'readonly' is a required "
                          "property")
    if record["status"] != "available":
        raise bad_request(f"Invalid volume: Volume {record['id']} status must be available to update readonly "
                          f"flag, but current status is: {record['status']}.")
    record["readonly"] = parse_bool(args["readonly"], "readonly")
    record["readonly_set"] = True
    cinder._touch(record)
    call.state.touch()
    return json_response(202, None)


@action("os-retype")
def _retype(call: Call, record: dict, args: dict):
    new_type = cinder.volume_type_by_name_or_id(call.state, args.get("new_type") or "__missing__")
    if record["status"] not in ("available", "in-use"):
        raise bad_request("Invalid volume: Retype needs volume to be in available or in-use state, not be part of "
                          "an active migration or a consistency group, requested type has to be different that the "
                          "one from the volume, and for in-use volumes front-end qos specs cannot change.")
    if new_type["id"] == record["volume_type_id"]:
        raise bad_request("Invalid volume: Retype needs volume to be in available or in-use state, not be part of "
                          "an active migration or a consistency group, requested type has to be different that the "
                          "one from the volume, and for in-use volumes front-end qos specs cannot change.")
    cinder.check_volume_quota(call.state, record["project_id"], record["size"], new_type, count=0)
    record["volume_type_id"] = new_type["id"]  # one RBD backend: a retype is a metadata change
    cinder._touch(record)
    call.state.touch()
    return json_response(202, None)


@action("os-reserve")
def _reserve(call: Call, record: dict, args: dict):
    cinder.reserve_attach(call.state, record["id"], None)
    return json_response(202, None)


@action("os-unreserve")
def _unreserve(call: Call, record: dict, args: dict):
    if record["status"] == "attaching":
        attached = [a for a in record["attachments"] if a["attach_status"] == "attached"]
        record["attachments"] = attached
        record.pop("reserved_for", None)
        cinder._set_status(call.state, record, "in-use" if attached else "available",
                           attach_status="attached" if attached else "detached")
    return json_response(202, None)


@action("os-begin_detaching")
def _begin_detaching(call: Call, record: dict, args: dict):
    attachment = next((a for a in record["attachments"] if a["attach_status"] == "attached"), None)
    if record["status"] != "in-use" or attachment is None:
        raise bad_request("Invalid volume: Unable to detach volume. Volume status must be 'in-use' and "
                          "attach_status must be 'attached' to detach.")
    cinder.begin_detach(call.state, record["id"], attachment["server_id"])
    return json_response(202, None)


@action("os-roll_detaching")
def _roll_detaching(call: Call, record: dict, args: dict):
    if record["status"] == "detaching":
        cinder._set_status(call.state, record, "in-use", attach_status="attached")
    return json_response(202, None)


@action("os-attach")
def _attach(call: Call, record: dict, args: dict):
    if "mountpoint" not in args:
        raise bad_request("Invalid input for field/attribute os-attach. 'mountpoint' is a required property")
    if not args.get("instance_uuid") and not args.get("host_name"):
        raise bad_request("Invalid request to attach volume to an invalid target")
    mode = args.get("mode", "rw")
    if mode not in ("rw", "ro"):
        raise bad_request("Invalid request to attach volume with an invalid mode. Attaching mode should be 'rw' or "
                          "'ro'")
    if record["status"] not in ("attaching", "available", "reserved"):
        raise bad_request(f"Error attaching volume - InvalidVolume: Invalid volume: Volume {record['id']} status "
                          f"must be available or attaching, but current status is: {record['status']}.")
    attachment = cinder.attach(call.state, record["id"], args.get("instance_uuid"), args["mountpoint"],
                               host_name=args.get("host_name"))
    attachment["attach_mode"] = mode
    return json_response(202, None)


@action("os-detach")
def _detach(call: Call, record: dict, args: dict):
    attachment_id = args.get("attachment_id")
    attachments = record["attachments"]
    attachment = next((a for a in attachments if a["id"] == attachment_id), None) if attachment_id else (
        attachments[0] if len(attachments) == 1 else None)
    if attachment is None:
        raise bad_request("Error detaching volume - VolumeAttachmentNotFound: Volume attachment could not be found "
                          f"with filter: attachment_id = {attachment_id}.")
    cinder.check_detach_allowed(call.state, record, attachment)
    cinder.detach(call.state, record["id"], attachment["server_id"])
    return json_response(202, None)


@action("os-initialize_connection")
def _initialize_connection(call: Call, record: dict, args: dict):
    connector = args.get("connector")
    if not isinstance(connector, dict):
        raise bad_request("Invalid input for field/attribute os-initialize_connection. 'connector' is a required "
                          "property")
    attachment = next(iter(record["attachments"]), None) or {"id": None, "attach_mode": "rw"}
    info = cinder.connection_info(call.state, record, attachment)
    info["enforce_multipath"] = connector.get("enforce_multipath", False)
    return 200, {"connection_info": info}


@action("os-terminate_connection")
def _terminate_connection(call: Call, record: dict, args: dict):
    if not isinstance(args.get("connector"), dict):
        raise bad_request("Invalid input for field/attribute os-terminate_connection. 'connector' is a required "
                          "property")
    cinder.check_detach_allowed(call.state, record, None)
    return json_response(202, None)


@action("os-set_image_metadata")
def _set_image_metadata(call: Call, record: dict, args: dict):
    metadata = check_metadata(args.get("metadata"))
    record["image_metadata"] = {**(record.get("image_metadata") or {}), **metadata}
    cinder._touch(record)
    call.state.touch()
    return 200, {"metadata": dict(record["image_metadata"])}


@action("os-unset_image_metadata")
def _unset_image_metadata(call: Call, record: dict, args: dict):
    key = args.get("key")
    if key not in (record.get("image_metadata") or {}):
        raise ApiError(404, f"Glance metadata for volume {record['id']} with key {key} cannot be found.")
    del record["image_metadata"][key]
    cinder._touch(record)
    call.state.touch()
    return json_response(200, None)


@action("os-show_image_metadata")
def _show_image_metadata(call: Call, record: dict, args: dict):
    return 200, {"metadata": dict(record.get("image_metadata") or {})}


@action("revert")
def _revert(call: Call, record: dict, args: dict):
    if not call.mv_at_least(3, 40):
        raise ApiError(404, "There is no such action: revert")
    snapshots = [s for s in call.state.table("snapshots").values() if s["volume_id"] == record["id"]]
    if not snapshots:
        raise bad_request(f"Volume {record['id']} doesn't have any snapshots.")
    latest = max(snapshots, key=lambda s: s["created_at"])
    if args.get("snapshot_id") != latest["id"]:
        raise bad_request(f"Specified snapshot {args.get('snapshot_id')} is None or not the latest one of volume "
                          f"{record['id']}.")
    if record["size"] != latest["size"]:
        raise bad_request(f"Can't revert volume {record['id']} to its latest snapshot {latest['id']}. The volume "
                          "size must be equal to the snapshot size.")
    if record["status"] != "available" or latest["status"] != "available":
        raise ApiError(409, f"Invalid volume: Volume {record['id']} status must be available to revert.")
    cinder._set_status(call.state, record, "reverting")
    cinder._set_status(call.state, latest, "restoring")
    call.state.later("cinder.volume_revert", volume_id=record["id"], snapshot_id=latest["id"])
    return json_response(202, None)


@transition("cinder.volume_revert")
def _volume_revert(state: State, volume_id: str, snapshot_id: str) -> None:
    with state.lock:
        record = state.get("volumes", volume_id)
        snapshot = state.get("snapshots", snapshot_id)
        if record is None or snapshot is None:
            return
        size_bytes = record["size"] * cinder.GIB
        data_id = cinder.name_id(record)
    state.blocks.revert_volume(data_id, snapshot_id, size_bytes)
    with state.lock:
        for kind, ident in (("volumes", volume_id), ("snapshots", snapshot_id)):
            item = state.get(kind, ident)
            if item is not None:
                cinder._set_status(state, item, "available")


@action("os-volume_upload_image")
def _upload_image(call: Call, record: dict, args: dict):
    if not args.get("image_name"):
        raise bad_request("Invalid input for field/attribute os-volume_upload_image. 'image_name' is a required "
                          "property")
    force = parse_bool(args.get("force", False), "force")
    expected = ("available", "in-use") if force else ("available",)
    if record["status"] not in expected:
        raise bad_request(f"Invalid volume: Volume {record['id']} status must be {' or '.join(expected)}")
    visibility, protected = "private", False
    if call.mv_at_least(3, 1):
        visibility = args.get("visibility", "private")
        protected = parse_bool(args.get("protected", False), "protected")
        if visibility == "public":
            require_admin(call, "volume_extension:volume_actions:upload_public")
    properties = {k: v for k, v in (record.get("image_metadata") or {}).items()
                  if k not in ("image_id", "image_name", "checksum", "container_format", "disk_format", "min_disk",
                               "min_ram", "size")}
    image = glance.create_image(call.state, owner=record["project_id"], name=args["image_name"],
                                disk_format=args.get("disk_format", "raw"),
                                container_format=args.get("container_format", "bare"), visibility=visibility,
                                min_disk=record["size"], protected=protected, properties=properties)
    previous = record["status"]
    cinder._set_status(call.state, record, "uploading", status_before_upload=previous)
    call.state.later("cinder.volume_upload_image", volume_id=record["id"], image_id=image["id"])
    vtype = call.state.get("volume_types", record["volume_type_id"])
    response = {"id": record["id"], "updated_at": record["updated_at"], "status": "uploading",
                "display_description": record["description"], "size": record["size"],
                "volume_type": _upload_volume_type(vtype), "image_id": image["id"],
                "container_format": image["container_format"], "disk_format": image["disk_format"],
                "image_name": image["name"]}
    if call.mv_at_least(3, 1):
        response.update(visibility=visibility, protected=protected)
    return 202, {"os-volume_upload_image": response}


def _upload_volume_type(vtype: dict | None) -> dict | None:
    if vtype is None:
        return None
    return {"id": vtype["id"], "name": vtype["name"], "description": vtype.get("description"),
            "is_public": vtype["is_public"], "extra_specs": dict(vtype.get("extra_specs") or {}),
            "qos_specs_id": vtype.get("qos_specs_id"), "created_at": vtype.get("created_at"), "updated_at": None,
            "deleted": False, "deleted_at": None}


@transition("cinder.volume_upload_image")
def _volume_upload_image(state: State, volume_id: str, image_id: str) -> None:
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is None:
            return
        data_id = cinder.name_id(record)
    try:
        with state.blocks.volume_file(data_id) as source:
            glance.store_image_data(state, image_id, source)
    except (OSError, ApiError, *state.blocks.errors):
        cinder.LOG.exception("uploading volume %s to image %s failed", volume_id, image_id)
    with state.lock:
        record = state.get("volumes", volume_id)
        if record is not None and record["status"] == "uploading":
            cinder._set_status(state, record, record.pop("status_before_upload", "available"))
