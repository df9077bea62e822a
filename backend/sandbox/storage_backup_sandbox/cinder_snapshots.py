# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder snapshots: create (``force`` for in-use volumes before 3.66), list/detail, show, update, delete,
metadata and the admin actions."""
from __future__ import annotations

from storage_backup_sandbox import cinder
from storage_backup_sandbox import cinder_views as views
from storage_backup_sandbox.cinder_api import (
    body_of,
    check_metadata,
    listing,
    parse_bool,
    parse_dict_filter,
    remove_metadata_item,
    require_admin,
    require_project,
    require_writer,
    show_metadata_item,
    snapshot_for,
    tenant_scope,
    v3,
    volume_for,
    write_metadata,
    write_metadata_item,
)
from storage_backup_sandbox.http import ApiError, Call, bad_request, json_response

SNAPSHOT_IN_USE_FLAG_MSG = ("Since microversion 3.66 the 'force' flag is invalid for this request.  For backward "
                            "compatability, however, when the 'force' flag is passed with a value evaluating to "
                            "True, it is silently ignored.")
PAGING_KEYS = ("marker", "limit", "offset", "sort", "sort_key", "sort_dir", "all_tenants", "all_projects",
               "with_count", "project_id")


def _filtered(call: Call) -> list[dict]:
    records = tenant_scope(call, call.state.table("snapshots").values())
    for key, value in call.args.items():
        if key in PAGING_KEYS:
            continue
        if key == "name":
            records = [r for r in records if r["name"] == value]
        elif key == "status":
            records = [r for r in records if r["status"] == value]
        elif key == "volume_id":
            records = [r for r in records if r["volume_id"] == value]
        elif key == "metadata" and call.mv_at_least(3, 22):
            wanted = parse_dict_filter(value, "metadata")
            records = [r for r in records if all(r["metadata"].get(k) == str(v) for k, v in wanted.items())]
        elif key == "group_snapshot_id" and call.mv_at_least(3, 14):
            records = [r for r in records if r.get("group_snapshot_id") == value]
        elif key in ("name~", "status~") and call.mv_at_least(3, 34):
            records = [r for r in records if value.lower() in str(r.get(key[:-1]) or "").lower()]
    return records


def _list(call: Call, detail: bool):
    render = views.snapshot_detail if detail else views.snapshot_summary
    return listing(call, "snapshots", _filtered, render, detail)


@v3("/snapshots")
def list_snapshots(call: Call, project_id: str | None = None):
    return _list(call, detail=False)


@v3("/snapshots/detail")
def list_snapshots_detail(call: Call, project_id: str | None = None):
    return _list(call, detail=True)


@v3("/snapshots/<snapshot_id>")
def show_snapshot(call: Call, snapshot_id: str, project_id: str | None = None):
    return 200, {"snapshot": views.snapshot_detail(call, snapshot_for(call, snapshot_id))}


@v3("/snapshots", methods="POST")
def create_snapshot(call: Call, project_id: str | None = None):
    ctx_project = require_project(call)
    require_writer(call, "volume:create_snapshot")
    spec = body_of(call, "snapshot")
    if not spec.get("volume_id"):
        raise bad_request("Invalid input for field/attribute snapshot. 'volume_id' is a required property")
    record = volume_for(call, spec["volume_id"])
    force = False
    if spec.get("force") is not None:
        force = parse_bool(spec["force"], "force")
        if call.mv_at_least(3, 66) and force is False:
            raise bad_request(SNAPSHOT_IN_USE_FLAG_MSG)
    if call.mv_at_least(3, 66):
        force = True  # in-use volumes may be snapshotted without the flag since 3.66
    snapshot = cinder.create_snapshot(
        call.state, project_id=ctx_project,
        user_id=call.ctx.user_id, volume_id=record["id"], name=spec.get("name", spec.get("display_name")),
        description=spec.get("description", spec.get("display_description")), force=force,
        metadata=check_metadata(spec.get("metadata")))
    return 202, {"snapshot": views.snapshot_detail(call, snapshot, extended=False)}


@v3("/snapshots/<snapshot_id>", methods="PUT")
def update_snapshot(call: Call, snapshot_id: str, project_id: str | None = None):
    require_writer(call, "volume:update_snapshot")
    record = snapshot_for(call, snapshot_id)
    changes = body_of(call, "snapshot")
    if not changes or not set(changes) <= {"name", "description", "display_name", "display_description"}:
        raise bad_request("Invalid input for field/attribute snapshot. Additional properties are not allowed")
    for key in ("name", "display_name"):
        if key in changes:
            record["name"] = changes[key]
    for key in ("description", "display_description"):
        if key in changes:
            record["description"] = changes[key]
    cinder._touch(record)
    call.state.touch()
    return 200, {"snapshot": views.snapshot_detail(call, record, extended=False)}


@v3("/snapshots/<snapshot_id>", methods="DELETE")
def delete_snapshot(call: Call, snapshot_id: str, project_id: str | None = None):
    require_writer(call, "volume:delete_snapshot")
    snapshot_for(call, snapshot_id)
    cinder.delete_snapshot(call.state, snapshot_id)
    return json_response(202, None)


@v3("/snapshots/<snapshot_id>/action", methods="POST")
def snapshot_action(call: Call, snapshot_id: str, project_id: str | None = None):
    record = snapshot_for(call, snapshot_id)
    body = call.json()
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request("Malformed request body: one action is expected.")
    name, args = next(iter(body.items()))
    args = args or {}
    if name == "os-force_delete":
        require_admin(call, "volume_extension:snapshot_admin_actions:force_delete")
        cinder.delete_snapshot(call.state, snapshot_id, force=True)
        return json_response(202, None)
    if name == "os-reset_status":
        require_admin(call, "volume_extension:snapshot_admin_actions:reset_status")
        status = args.get("status")
        if status not in ("available", "error", "creating", "deleting", "error_deleting", "unmanaging",
                          "backing-up", "restoring"):
            raise bad_request(f"Invalid input for field/attribute status. Value: {status}.")
        cinder._set_status(call.state, record, status)
        return json_response(202, None)
    if name == "os-update_snapshot_status":
        require_writer(call, "snapshot_extension:snapshot_actions:update_snapshot_status")
        status = args.get("status")
        allowed = {"creating": ("available", "error"), "deleting": ("error_deleting",)}
        if status not in allowed.get(record["status"], ()):
            raise bad_request(f"Invalid input received: Provided snapshot status {status} not allowed for snapshot "
                              f"with status {record['status']}.")
        changes = {"progress": args["progress"]} if "progress" in args else {}
        cinder._set_status(call.state, record, status, **changes)
        return json_response(202, None)
    raise ApiError(404, f"There is no such action: {name}")


# ---------------------------------------------------------------------------------------------------------------
# metadata


@v3("/snapshots/<snapshot_id>/metadata")
def get_metadata(call: Call, snapshot_id: str, project_id: str | None = None):
    return 200, {"metadata": dict(snapshot_for(call, snapshot_id)["metadata"])}


def _write_metadata(call: Call, snapshot_id: str, merge: bool):
    require_writer(call, "volume:update_snapshot_metadata")
    return write_metadata(call, snapshot_for(call, snapshot_id), merge)


@v3("/snapshots/<snapshot_id>/metadata", methods="POST")
def create_metadata(call: Call, snapshot_id: str, project_id: str | None = None):
    return _write_metadata(call, snapshot_id, merge=True)


@v3("/snapshots/<snapshot_id>/metadata", methods="PUT")
def replace_metadata(call: Call, snapshot_id: str, project_id: str | None = None):
    return _write_metadata(call, snapshot_id, merge=False)


@v3("/snapshots/<snapshot_id>/metadata/<key>")
def get_metadata_item(call: Call, snapshot_id: str, key: str, project_id: str | None = None):
    return show_metadata_item(snapshot_for(call, snapshot_id)["metadata"], key, "Snapshot", snapshot_id)


@v3("/snapshots/<snapshot_id>/metadata/<key>", methods="PUT")
def put_metadata_item(call: Call, snapshot_id: str, key: str, project_id: str | None = None):
    require_writer(call, "volume:update_snapshot_metadata")
    return write_metadata_item(call, snapshot_for(call, snapshot_id), key)


@v3("/snapshots/<snapshot_id>/metadata/<key>", methods="DELETE")
def delete_metadata_item(call: Call, snapshot_id: str, key: str, project_id: str | None = None):
    require_writer(call, "volume:delete_snapshot_metadata")
    return remove_metadata_item(call, snapshot_for(call, snapshot_id), key, "Snapshot")
