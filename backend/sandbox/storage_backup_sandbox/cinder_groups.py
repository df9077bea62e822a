# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder generic volume groups: group types (3.11), groups (3.13), group snapshots (3.14).

A group snapshot snapshots every volume of its group in one transition, back to back, so the members' snapshots
are taken together (crash-consistent across the group to within the copy time; see the module docstring of
``cinder``)."""
from __future__ import annotations

from storage_backup_sandbox import cinder
from storage_backup_sandbox import cinder_views as views
from storage_backup_sandbox.blockdev import SnapshotBusy
from storage_backup_sandbox.cinder_api import (
    body_of,
    page,
    parse_bool,
    record_for,
    require_admin,
    require_project,
    require_writer,
    scoped_page,
    v3,
    volume_for,
)
from storage_backup_sandbox.http import ApiError, Call, bad_request, json_response
from storage_backup_sandbox.state import State, new_id, transition


def _since(call: Call, minor: int) -> None:
    if not call.mv_at_least(3, minor):
        raise ApiError(404, "The resource could not be found.")


# ---------------------------------------------------------------------------------------------------------------
# group types


def _group_type_for(call: Call, ident: str) -> dict:
    if ident == "default":
        record = call.state.get("group_types", cinder.DEFAULT_GROUP_TYPE_ID)
    else:
        record = call.state.get("group_types", ident) or next(
            (g for g in call.state.table("group_types").values() if g["name"] == ident), None)
    if record is None or (not record["is_public"] and not call.ctx.is_admin):
        raise ApiError(404, f"Group type {ident} could not be found.")
    return record


@v3("/group_types")
def list_group_types(call: Call, project_id: str | None = None):
    _since(call, 11)
    require_project(call)
    records = [g for g in call.state.table("group_types").values() if g["is_public"] or call.ctx.is_admin]
    records, _ = page(call, records, "group_types", default_keys=("name",), view_links=False)
    return 200, {"group_types": [views.group_type(call, g) for g in records]}


@v3("/group_types/<type_id>")
def show_group_type(call: Call, type_id: str, project_id: str | None = None):
    _since(call, 11)
    return 200, {"group_type": views.group_type(call, _group_type_for(call, type_id))}


@v3("/group_types", methods="POST")
def create_group_type(call: Call, project_id: str | None = None):
    _since(call, 11)
    require_admin(call, "group:group_types:create")
    spec = body_of(call, "group_type")
    if not spec.get("name"):
        raise bad_request("Invalid input for field/attribute name.")
    if any(g["name"] == spec["name"] for g in call.state.table("group_types").values()):
        raise ApiError(409, f"Group Type {spec['name']} already exists.")
    record = call.state.put("group_types", {
        "id": new_id(), "name": spec["name"], "description": spec.get("description"),
        "is_public": parse_bool(spec.get("is_public", True), "is_public"),
        "group_specs": {str(k): str(v) for k, v in (spec.get("group_specs") or {}).items()}})
    return 202, {"group_type": views.group_type(call, record)}


@v3("/group_types/<type_id>", methods="DELETE")
def delete_group_type(call: Call, type_id: str, project_id: str | None = None):
    _since(call, 11)
    require_admin(call, "group:group_types:delete")
    record = _group_type_for(call, type_id)
    if any(g["group_type_id"] == record["id"] for g in call.state.table("groups").values()):
        raise bad_request(f"Target group type is still in use. Group Type {record['id']} deletion is not allowed "
                          "with groups present with the type.")
    call.state.delete("group_types", record["id"])
    return json_response(202, None)


@v3("/group_types/<type_id>/group_specs")
def list_group_specs(call: Call, type_id: str, project_id: str | None = None):
    _since(call, 11)
    require_admin(call, "group:group_types_specs")
    return 200, {"group_specs": dict(_group_type_for(call, type_id)["group_specs"])}


# ---------------------------------------------------------------------------------------------------------------
# groups


def _group_for(call: Call, group_id: str) -> dict:
    return record_for(call, "groups", "Group", group_id)


def _groups(call: Call, detail: bool):
    _since(call, 13)
    records = scoped_page(call, call.state.table("groups").values(), "groups", ("name", "status", "availability_zone"))
    if detail:
        return 200, {"groups": [views.group_detail(call, g) for g in records]}
    return 200, {"groups": [views.group_summary(g) for g in records]}


@v3("/groups")
def list_groups(call: Call, project_id: str | None = None):
    return _groups(call, detail=False)


@v3("/groups/detail")
def list_groups_detail(call: Call, project_id: str | None = None):
    return _groups(call, detail=True)


@v3("/groups/<group_id>")
def show_group(call: Call, group_id: str, project_id: str | None = None):
    _since(call, 13)
    return 200, {"group": views.group_detail(call, _group_for(call, group_id))}


def _check_group_quota(call: Call, ctx_project: str) -> None:
    limits = cinder.quota_limits(call.state, ctx_project)
    used = cinder.quota_usage(call.state, ctx_project)["groups"]
    if 0 <= limits["groups"] <= used:
        raise ApiError(413, "Quota exceeded for resources: ['groups']", kind="overLimit",
                       headers={"Retry-After": "0"})


def new_group(call: Call, ctx_project: str, name: str | None, description: str | None, group_type_id: str,
              volume_type_ids: list[str], availability_zone: str, **extra) -> dict:
    _check_group_quota(call, ctx_project)
    record = {"id": new_id(), "project_id": ctx_project, "user_id": call.ctx.user_id, "name": name,
              "description": description, "group_type_id": group_type_id, "volume_type_ids": volume_type_ids,
              "availability_zone": availability_zone, "status": "creating", "created_at": cinder.now(),
              "group_snapshot_id": None, "source_group_id": None, "replication_status": "disabled", **extra}
    call.state.put("groups", record)
    return record


@v3("/groups", methods="POST")
def create_group(call: Call, project_id: str | None = None):
    _since(call, 13)
    ctx_project = require_project(call)
    require_writer(call, "group:create")
    spec = body_of(call, "group")
    if not spec.get("group_type") or not spec.get("volume_types"):
        raise bad_request("Invalid input received: group_type must be provided to create group "
                          f"{spec.get('name')}." if not spec.get("group_type") else
                          f"Invalid input received: volume_types must be provided to create group "
                          f"{spec.get('name')}.")
    group_type = _group_type_for(call, spec["group_type"])
    type_names = spec["volume_types"]
    if isinstance(type_names, str):
        type_names = type_names.split(",")
    type_ids = [cinder.volume_type_by_name_or_id(call.state, t.strip())["id"] for t in type_names]
    zone = spec.get("availability_zone") or "nova"
    if zone not in cinder.AVAILABILITY_ZONES:
        raise bad_request(f"Invalid input received: Availability zone '{zone}' is invalid.")
    record = new_group(call, ctx_project, spec.get("name"), spec.get("description"), group_type["id"], type_ids,
                       zone)
    call.state.later("cinder.group_ready", group_id=record["id"])
    return 202, {"group": views.group_summary(record)}


@transition("cinder.group_ready")
def _group_ready(state: State, group_id: str) -> None:
    with state.lock:
        record = state.get("groups", group_id)
        if record is not None and record["status"] == "creating":
            cinder._set_status(state, record, "available")


@v3("/groups/<group_id>", methods="PUT")
def update_group(call: Call, group_id: str, project_id: str | None = None):
    _since(call, 13)
    require_writer(call, "group:update")
    record = _group_for(call, group_id)
    spec = body_of(call, "group")
    if not any(k in spec for k in ("name", "description", "add_volumes", "remove_volumes")):
        raise bad_request("Name, description, add_volumes, and remove_volumes can not be all empty in the request "
                          "body.")
    if record["status"] != "available":
        raise bad_request(f"Invalid group: Group {group_id} status must be available, but current status is: "
                          f"{record['status']}.")
    adds = [v for v in (spec.get("add_volumes") or "").split(",") if v]
    removes = [v for v in (spec.get("remove_volumes") or "").split(",") if v]
    for volume_id in adds:
        member = volume_for(call, volume_id)
        if member.get("group_id") and member["group_id"] != group_id:
            raise bad_request(f"Invalid volume: Cannot add volume {volume_id} to group {group_id} because it is "
                              "already in group {member['group_id']}.")
        if member["volume_type_id"] not in record["volume_type_ids"]:
            raise bad_request(f"Invalid volume: Cannot add volume {volume_id} to group {group_id} because volume "
                              "type {member['volume_type_id']} is not supported by the group.")
        if member["status"] not in ("available", "in-use"):
            raise bad_request(f"Invalid volume: Cannot add volume {volume_id} to group {group_id} because volume "
                              f"is in an invalid state: {member['status']}. Valid states are: ('available', "
                              "'in-use').")
        if member["availability_zone"] != record["availability_zone"]:
            raise bad_request(f"Invalid volume: Cannot add volume {volume_id} to group {group_id} because it is in "
                              "another availability zone.")
    for volume_id in removes:
        member = volume_for(call, volume_id)
        if member.get("group_id") != group_id:
            raise bad_request(f"Invalid volume: Cannot remove volume {volume_id} from group {group_id} because it "
                              "is not in the group.")
    for key in ("name", "description"):
        if key in spec:
            record[key] = spec[key]
    for volume_id in adds:
        call.state.get("volumes", volume_id)["group_id"] = group_id
    for volume_id in removes:
        call.state.get("volumes", volume_id)["group_id"] = None
    cinder._touch(record)
    call.state.touch()
    return json_response(202, None)


@v3("/groups/<group_id>/action", methods="POST")
def group_action(call: Call, group_id: str, project_id: str | None = None):
    _since(call, 13)
    record = _group_for(call, group_id)
    body = call.json()
    name, args = next(iter(body.items())) if isinstance(body, dict) and body else ("", {})
    args = args or {}
    if name == "delete":
        require_writer(call, "group:delete")
        delete_volumes = parse_bool(args.get("delete-volumes", False), "delete-volumes")
        members = [v for v in call.state.table("volumes").values() if v.get("group_id") == group_id]
        if members and not delete_volumes:
            raise bad_request(f"Invalid group: Group {group_id} still contains volumes. The delete-volumes flag "
                              "is required to delete it.")
        if any(gs["group_id"] == group_id for gs in call.state.table("group_snapshots").values()):
            raise bad_request(f"Invalid group: Group {group_id} has group snapshots; delete them first.")
        if record["status"] not in ("available", "error", "error_deleting"):
            raise bad_request(f"Invalid group: Group status must be available or error, but current status is: "
                              f"{record['status']}")
        for member in members:
            member["group_id"] = None
            cinder.delete_volume(call.state, member["id"])
        cinder._set_status(call.state, record, "deleting")
        call.state.later("cinder.group_delete", group_id=group_id)
        return json_response(202, None)
    if name == "reset_status":
        _since(call, 20)
        require_admin(call, "group:reset_status")
        cinder._set_status(call.state, record, args.get("status", "available"))
        return json_response(202, None)
    raise ApiError(404, f"There is no such action: {name}")


@transition("cinder.group_delete")
def _group_delete(state: State, group_id: str) -> None:
    with state.lock:
        if state.get("groups", group_id) is not None:
            state.delete("groups", group_id)


@v3("/groups/action", methods="POST")
def groups_action(call: Call, project_id: str | None = None):
    """``create-from-src``: a group whose volumes come from a group snapshot's snapshots or another group."""
    _since(call, 14)
    ctx_project = require_project(call)
    require_writer(call, "group:create_from_src")
    spec = body_of(call, "create-from-src")
    snapshot_group_id = spec.get("group_snapshot_id")
    source_group_id = spec.get("source_group_id")
    if bool(snapshot_group_id) == bool(source_group_id):
        raise bad_request("Invalid input received: Either 'group_snapshot_id' or 'source_group_id' must be "
                          "provided to create group from source.")
    if snapshot_group_id:
        group_snapshot = _group_snapshot_for(call, snapshot_group_id)
        source = _group_for(call, group_snapshot["group_id"])
        members = [(s["volume_id"], {"snapshot_id": s["id"]}) for s in call.state.table("snapshots").values()
                   if s.get("group_snapshot_id") == snapshot_group_id]
    else:
        source = _group_for(call, source_group_id)
        members = [(v["id"], {"source_volid": v["id"]}) for v in call.state.table("volumes").values()
                   if v.get("group_id") == source_group_id]
    record = new_group(call, ctx_project, spec.get("name"), spec.get("description"), source["group_type_id"],
                       list(source["volume_type_ids"]), source["availability_zone"],
                       group_snapshot_id=snapshot_group_id, source_group_id=source_group_id)
    for original_id, origin in members:
        original = call.state.get("volumes", original_id) or {}
        cinder.create_volume(call.state, project_id=ctx_project, user_id=call.ctx.user_id, size=None,
                             name=original.get("name"), availability_zone=record["availability_zone"],
                             group_id=record["id"], **origin)
    call.state.later("cinder.group_ready", group_id=record["id"])
    return 202, {"group": views.group_summary(record)}


# ---------------------------------------------------------------------------------------------------------------
# group snapshots


def _group_snapshot_for(call: Call, group_snapshot_id: str) -> dict:
    return record_for(call, "group_snapshots", "GroupSnapshot", group_snapshot_id)


def _group_snapshots(call: Call, detail: bool):
    _since(call, 14)
    records = scoped_page(call, call.state.table("group_snapshots").values(), "group_snapshots",
                          ("name", "status", "group_id"))
    if detail:
        return 200, {"group_snapshots": [views.group_snapshot_detail(call, g) for g in records]}
    return 200, {"group_snapshots": [views.group_snapshot_summary(g) for g in records]}


@v3("/group_snapshots")
def list_group_snapshots(call: Call, project_id: str | None = None):
    return _group_snapshots(call, detail=False)


@v3("/group_snapshots/detail")
def list_group_snapshots_detail(call: Call, project_id: str | None = None):
    return _group_snapshots(call, detail=True)


@v3("/group_snapshots/<group_snapshot_id>")
def show_group_snapshot(call: Call, group_snapshot_id: str, project_id: str | None = None):
    _since(call, 14)
    return 200, {"group_snapshot": views.group_snapshot_detail(call, _group_snapshot_for(call, group_snapshot_id))}


@v3("/group_snapshots", methods="POST")
def create_group_snapshot(call: Call, project_id: str | None = None):
    _since(call, 14)
    ctx_project = require_project(call)
    require_writer(call, "group:create_group_snapshot")
    spec = body_of(call, "group_snapshot")
    if not spec.get("group_id"):
        raise bad_request("Invalid input for field/attribute group_snapshot. 'group_id' is a required property")
    group = _group_for(call, spec["group_id"])
    if group["status"] != "available":
        raise bad_request(f"Invalid group: Group {group['id']} status must be available, but current status is: "
                          f"{group['status']}.")
    members = [v for v in call.state.table("volumes").values() if v.get("group_id") == group["id"]]
    for member in members:
        if member["status"] not in ("available", "in-use"):
            raise bad_request(f"Invalid volume: Volume {member['id']} status must be available or in-use, but "
                              f"current status is: {member['status']}.")
    record = {"id": new_id(), "project_id": ctx_project, "user_id": call.ctx.user_id, "group_id": group["id"],
              "group_type_id": group["group_type_id"], "name": spec.get("name"),
              "description": spec.get("description"), "status": "creating", "created_at": cinder.now()}
    call.state.put("group_snapshots", record)
    snapshot_ids = []
    try:
        for member in members:
            snapshot = cinder.create_snapshot(call.state, project_id=ctx_project, user_id=call.ctx.user_id,
                                              volume_id=member["id"], name=f"snapshot-{record['id']}"[:255],
                                              force=True, group_snapshot_id=record["id"])
            snapshot_ids.append(snapshot["id"])
    except ApiError:
        for snapshot_id in snapshot_ids:
            call.state.delete("snapshots", snapshot_id)
        call.state.delete("group_snapshots", record["id"])
        raise
    call.state.later("cinder.group_snapshot_create", group_snapshot_id=record["id"])
    return 202, {"group_snapshot": views.group_snapshot_summary(record)}


@transition("cinder.group_snapshot_create")
def _group_snapshot_create(state: State, group_snapshot_id: str) -> None:
    with state.lock:
        record = state.get("group_snapshots", group_snapshot_id)
        if record is None or record["status"] != "creating":
            return
        snapshot_ids = [s["id"] for s in state.table("snapshots").values()
                        if s.get("group_snapshot_id") == group_snapshot_id]
        failed = any(state.get("snapshots", s).pop("fault", None) == "error" for s in snapshot_ids)
    if not failed:
        try:
            for snapshot_id in snapshot_ids:  # back to back: the group's volumes are frozen together
                cinder.freeze_snapshot(state, snapshot_id)
        except (OSError, *state.blocks.errors):
            cinder.LOG.exception("group snapshot %s failed", group_snapshot_id)
            failed = True
    for snapshot_id in snapshot_ids:
        cinder._finish_snapshot(state, snapshot_id, failed)
    with state.lock:
        record = state.get("group_snapshots", group_snapshot_id)
        if record is not None:
            cinder._set_status(state, record, "error" if failed else "available")


@v3("/group_snapshots/<group_snapshot_id>", methods="DELETE")
def delete_group_snapshot(call: Call, group_snapshot_id: str, project_id: str | None = None):
    _since(call, 14)
    require_writer(call, "group:delete_group_snapshot")
    record = _group_snapshot_for(call, group_snapshot_id)
    if record["status"] not in ("available", "error"):
        raise bad_request("Invalid GroupSnapshot: GroupSnapshot status must be available or error and no Group can "
                          "be currently using it as source for its creation.")
    members = [s for s in call.state.table("snapshots").values() if s.get("group_snapshot_id") == group_snapshot_id]
    member_ids = {s["id"] for s in members}
    if any(v.get("snapshot_id") in member_ids for v in call.state.table("volumes").values()):
        raise bad_request(f"Invalid GroupSnapshot: group snapshot {group_snapshot_id} has snapshots with dependent "
                          "volumes; delete them first.")
    for snapshot in members:
        cinder._set_status(call.state, snapshot, "deleting")
    cinder._set_status(call.state, record, "deleting")
    call.state.later("cinder.group_snapshot_delete", group_snapshot_id=group_snapshot_id)
    return json_response(202, None)


@transition("cinder.group_snapshot_delete")
def _group_snapshot_delete(state: State, group_snapshot_id: str) -> None:
    with state.lock:
        members = [dict(s) for s in state.table("snapshots").values()
                   if s.get("group_snapshot_id") == group_snapshot_id]
        owners = {s["id"]: cinder.snapshot_data_owner(state, s) for s in members}
    for snapshot in members:  # the driver first, then the records (as the volume manager does)
        try:
            state.blocks.delete_snapshot(snapshot["id"], owners[snapshot["id"]])
        except SnapshotBusy:  # Cinder's generic group path: that member goes back to available, the rest goes
            cinder.LOG.error("the data of snapshot %s stays: it is busy", snapshot["id"])
    with state.lock:
        for snapshot in members:
            state.delete("snapshots", snapshot["id"])
        state.delete("group_snapshots", group_snapshot_id)


@v3("/group_snapshots/<group_snapshot_id>/action", methods="POST")
def group_snapshot_action(call: Call, group_snapshot_id: str, project_id: str | None = None):
    _since(call, 19)
    record = _group_snapshot_for(call, group_snapshot_id)
    body = call.json()
    if not isinstance(body, dict) or "reset_status" not in body:
        raise ApiError(404, "There is no such action")
    require_admin(call, "group:reset_group_snapshot_status")
    cinder._set_status(call.state, record, (body["reset_status"] or {}).get("status", "available"))
    return json_response(202, None)
