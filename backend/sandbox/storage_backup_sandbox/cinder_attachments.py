# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder's attachments API (3.27+; ``os-complete`` 3.44): reserve, connect, complete and delete an attachment.

These are Cinder's records only. A guest's device appears when Nova attaches the volume (``cinder.attach`` from
nova.py), as in a real cloud where the attachments API alone never touches a hypervisor.
"""
from __future__ import annotations

from storage_backup_sandbox import cinder
from storage_backup_sandbox import cinder_views as views
from storage_backup_sandbox.cinder_api import body_of, page, require_project, require_writer, v3, visible, volume_for
from storage_backup_sandbox.http import ApiError, Call, bad_request, json_response
from storage_backup_sandbox.state import State


def _require_new_attach(call: Call, minimum: tuple[int, int] = (3, 27)) -> None:
    if not call.mv_at_least(*minimum):
        raise ApiError(404, "The resource could not be found.")


def _attachment_for(call: Call, attachment_id: str) -> tuple[dict, dict]:
    require_project(call)
    found = cinder.find_attachment(call.state, attachment_id)
    if found is None or not visible(call, found[0]):
        raise ApiError(404, f"Volume attachment could not be found with filter: attachment_id = {attachment_id}.")
    return found


def _all_attachments(call: Call) -> list[dict]:
    project_id = require_project(call)
    everyone = call.ctx.is_admin and "all_tenants" in call.args
    result = []
    for record in call.state.table("volumes").values():
        if not everyone and record["project_id"] != project_id:
            continue
        result.extend(record["attachments"])
    filters = {"volume_id": "volume_id", "instance_id": "server_id", "status": "attach_status",
               "attach_status": "attach_status"}
    for key, field in filters.items():
        if call.args.get(key):
            result = [a for a in result if str(a.get(field)) == call.args[key]]
    return result


@v3("/attachments")
def list_attachments(call: Call, project_id: str | None = None):
    _require_new_attach(call)
    items, _ = page(call, _all_attachments(call), "attachments", view_links=False)
    return 200, {"attachments": [views.attachment_summary(a) for a in items]}


@v3("/attachments/detail")
def list_attachments_detail(call: Call, project_id: str | None = None):
    _require_new_attach(call)
    items, _ = page(call, _all_attachments(call), "attachments", view_links=False)
    result = []
    for attachment in items:
        record = call.state.get("volumes", attachment["volume_id"])
        result.append(views.attachment_detail(attachment, _connection(call.state, record, attachment)))
    return 200, {"attachments": result}


def _connection(state: State, record: dict, attachment: dict) -> dict | None:
    if not attachment.get("connector"):
        return None
    return cinder.connection_info(state, record, attachment)


@v3("/attachments/<attachment_id>")
def show_attachment(call: Call, attachment_id: str, project_id: str | None = None):
    _require_new_attach(call)
    record, attachment = _attachment_for(call, attachment_id)
    return 200, {"attachment": views.attachment_detail(attachment, _connection(call.state, record, attachment))}


@v3("/attachments", methods="POST")
def create_attachment(call: Call, project_id: str | None = None):
    _require_new_attach(call)
    require_writer(call, "volume:attachment_create")
    spec = body_of(call, "attachment")
    if not spec.get("volume_uuid"):
        raise bad_request("Invalid input for field/attribute attachment. 'volume_uuid' is a required property")
    record = volume_for(call, spec["volume_uuid"])
    mode = spec.get("mode") if call.mv_at_least(3, 54) else None
    if mode not in (None, "null", "rw", "ro"):
        raise bad_request(f"Invalid input for field/attribute mode. Value: {mode}.")
    mode = "ro" if mode == "ro" or record.get("readonly") else "rw"
    if record["status"] not in ("available", "reserved", "downloading") or record["attachments"]:
        raise bad_request(f"Invalid volume: Volume {record['id']} status must be available or downloading to "
                          f"reserve, but the current status is {record['status']}.")
    attachment = cinder.new_attachment(record, spec.get("instance_uuid"), mode=mode)
    connector = spec.get("connector")
    if connector:
        _connect(call, record, attachment, connector)
    else:
        cinder._set_status(call.state, record, "reserved", attach_status="reserved")
    return 200, {"attachment": views.attachment_detail(attachment, _connection(call.state, record, attachment))}


def _connect(call: Call, record: dict, attachment: dict, connector: dict) -> None:
    if not isinstance(connector, dict):
        raise bad_request("Invalid input for field/attribute connector.")
    attachment.update(connector=connector, host_name=connector.get("host"), attach_status="attaching",
                      device=connector.get("mountpoint") or attachment.get("device"), updated_at=cinder.now())
    cinder._set_status(call.state, record, "attaching", attach_status="attaching")


@v3("/attachments/<attachment_id>", methods="PUT")
def update_attachment(call: Call, attachment_id: str, project_id: str | None = None):
    _require_new_attach(call)
    require_writer(call, "volume:attachment_update")
    record, attachment = _attachment_for(call, attachment_id)
    spec = body_of(call, "attachment")
    if not isinstance(spec.get("connector"), dict):
        raise bad_request("Invalid input for field/attribute attachment. 'connector' is a required property")
    if attachment["attach_status"] not in ("reserved", "attaching", "attached"):
        raise bad_request(f"Invalid volume: Volume attachments can not be updated if the volume is in an error "
                          f"state. The Volume {record['id']} currently has a status of: {record['status']} ")
    _connect(call, record, attachment, spec["connector"])
    return 200, {"attachment": views.attachment_detail(attachment, _connection(call.state, record, attachment))}


@v3("/attachments/<attachment_id>/action", methods="POST")
def attachment_action(call: Call, attachment_id: str, project_id: str | None = None):
    _require_new_attach(call, (3, 44))
    require_writer(call, "volume:attachment_complete")
    record, attachment = _attachment_for(call, attachment_id)
    body = call.json()
    if not isinstance(body, dict) or "os-complete" not in body:
        raise ApiError(404, f"There is no such action: {next(iter(body), '') if isinstance(body, dict) else ''}")
    attachment.update(attach_status="attached", attached_at=cinder.now(), updated_at=cinder.now())
    record.pop("reserved_for", None)
    cinder._set_status(call.state, record, "in-use", attach_status="attached")
    return json_response(204, None)


@v3("/attachments/<attachment_id>", methods="DELETE")
def delete_attachment(call: Call, attachment_id: str, project_id: str | None = None):
    _require_new_attach(call)
    require_writer(call, "volume:attachment_delete")
    record, attachment = _attachment_for(call, attachment_id)
    cinder.check_detach_allowed(call.state, record, attachment)  # 409 while Nova still uses it
    cinder.detach_attachment(call.state, record, attachment)
    return 200, {"attachments": [views.attachment_summary(a) for a in record["attachments"]]}
