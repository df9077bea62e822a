# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder volume transfers: ``os-volume-transfer`` (and ``volume-transfers`` since 3.55): create, list, show,
accept, delete. Accepting moves the volume (and, unless ``no_snapshots``, its snapshots) to the accepting project."""
from __future__ import annotations

import hashlib
import secrets

from storage_backup_sandbox import cinder
from storage_backup_sandbox import cinder_views as views
from storage_backup_sandbox.cinder_api import (
    body_of,
    parse_bool,
    require_project,
    require_writer,
    scoped_page,
    v3,
    volume_for,
)
from storage_backup_sandbox.http import ApiError, Call, bad_request, json_response
from storage_backup_sandbox.state import new_id

COLLECTIONS = ("/os-volume-transfer", "/volume-transfers")


def _transfer_for(call: Call, transfer_id: str, for_accept: bool = False) -> dict:
    project_id = require_project(call)
    record = call.state.get("transfers", transfer_id)
    # anyone holding the id and key may accept; only the source project (or an admin) sees it otherwise
    if record is None or record.get("accepted") or not (
            for_accept or call.ctx.is_admin or record["source_project_id"] == project_id):
        raise ApiError(404, f"Transfer {transfer_id} could not be found.")
    return record


def _listed(call: Call) -> list[dict]:
    records = [dict(t, project_id=t["source_project_id"]) for t in call.state.table("transfers").values()
               if not t.get("accepted")]
    return scoped_page(call, records, "os-volume-transfer", ("name", "volume_id"))


def _register(path: str, methods: str = "GET"):
    def register(fn):
        for collection in COLLECTIONS:
            v3(collection + path, methods)(fn)
        return fn

    return register


@_register("")
def list_transfers(call: Call, project_id: str | None = None):
    return 200, {"transfers": [views.transfer_summary(call, t) for t in _listed(call)]}


@_register("/detail")
def list_transfers_detail(call: Call, project_id: str | None = None):
    return 200, {"transfers": [views.transfer_detail(call, t) for t in _listed(call)]}


@_register("/<transfer_id>")
def show_transfer(call: Call, transfer_id: str, project_id: str | None = None):
    return 200, {"transfer": views.transfer_detail(call, _transfer_for(call, transfer_id))}


@_register("", methods="POST")
def create_transfer(call: Call, project_id: str | None = None):
    require_writer(call, "volume:create_transfer")
    spec = body_of(call, "transfer")
    if not spec.get("volume_id"):
        raise bad_request("Invalid input for field/attribute transfer. 'volume_id' is a required property")
    record = volume_for(call, spec["volume_id"])
    if record["status"] != "available":
        raise bad_request(f"Invalid volume: Status of volume {record['id']} must be available, but current status "
                          f"is: {record['status']}.")
    no_snapshots = parse_bool(spec.get("no_snapshots", False), "no_snapshots") if call.mv_at_least(3, 55) else False
    auth_key = secrets.token_hex(8)
    salt = secrets.token_hex(8)
    transfer = {"id": new_id(), "volume_id": record["id"], "name": spec.get("name"), "created_at": cinder.now(),
                "salt": salt, "crypt_hash": hashlib.sha1((salt + auth_key).encode()).hexdigest(),
                "no_snapshots": no_snapshots, "source_project_id": record["project_id"],
                "destination_project_id": None, "accepted": False}
    call.state.put("transfers", transfer)
    cinder._set_status(call.state, record, "awaiting-transfer")
    view = views.transfer_detail(call, transfer)
    view["auth_key"] = auth_key
    return 202, {"transfer": view}


@_register("/<transfer_id>/accept", methods="POST")
def accept_transfer(call: Call, transfer_id: str, project_id: str | None = None):
    ctx_project = require_project(call)
    require_writer(call, "volume:accept_transfer")
    transfer = _transfer_for(call, transfer_id, for_accept=True)
    auth_key = body_of(call, "accept").get("auth_key")
    if not auth_key:
        raise bad_request("Invalid input for field/attribute accept. 'auth_key' is a required property")
    if hashlib.sha1((transfer["salt"] + str(auth_key)).encode()).hexdigest() != transfer["crypt_hash"]:
        raise bad_request(f"Invalid auth key: Attempt to transfer {transfer_id} with invalid auth key.")
    record = cinder.get_volume(call.state, transfer["volume_id"])
    cinder.check_volume_quota(call.state, ctx_project, record["size"],
                              call.state.get("volume_types", record["volume_type_id"]))
    record["project_id"] = ctx_project
    record["user_id"] = call.ctx.user_id
    if not transfer["no_snapshots"]:
        for snapshot in call.state.table("snapshots").values():
            if snapshot["volume_id"] == record["id"]:
                snapshot["project_id"] = ctx_project
                snapshot["user_id"] = call.ctx.user_id
    cinder._set_status(call.state, record, "available")
    transfer.update(accepted=True, destination_project_id=ctx_project)
    call.state.touch()
    return 202, {"transfer": {"id": transfer["id"], "name": transfer["name"], "volume_id": record["id"],
                              "links": views.links(call, "os-volume-transfer", transfer["id"])}}


@_register("/<transfer_id>", methods="DELETE")
def delete_transfer(call: Call, transfer_id: str, project_id: str | None = None):
    require_writer(call, "volume:delete_transfer")
    transfer = _transfer_for(call, transfer_id)
    record = call.state.get("volumes", transfer["volume_id"])
    if record is not None and record["status"] == "awaiting-transfer":
        cinder._set_status(call.state, record, "available")
    call.state.delete("transfers", transfer_id)
    return json_response(202, None)
