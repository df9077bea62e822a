# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How Cinder renders its resources, per microversion and per role (cinder/api/v3/views and the contrib extensions).

Which fields appear is exactly what clients and tempest's schemas check, so each one is added at the microversion
that introduced it (cinder/api/microversions.py) and only for the roles Cinder's default policies show it to.
"""
from __future__ import annotations

from storage_backup_sandbox.http import Call


def project_of(call: Call) -> str:
    return call.ctx.project_id or ""


def links(call: Call, collection: str, ident: str) -> list[dict]:
    project = project_of(call)
    return [{"href": call.url(f"/volume/v3/{project}/{collection}/{ident}"), "rel": "self"},
            {"href": call.url(f"/volume/{project}/{collection}/{ident}"), "rel": "bookmark"}]


def collection_links(call: Call, collection: str, items: list[dict], more: bool) -> list[dict]:
    """Cinder's ``*_links``: a ``next`` link when a page was cut by ``limit``."""
    if not more or not items:
        return []
    from urllib.parse import urlencode

    query = [(k, v) for k, v in call.args.items(multi=True) if k != "marker"]
    query.append(("marker", items[-1]["id"]))
    return [{"href": call.url(f"/volume/v3/{project_of(call)}/{collection}") + "?" + urlencode(query),
             "rel": "next"}]


# ---------------------------------------------------------------------------------------------------------------
# volumes


def volume_summary(call: Call, record: dict) -> dict:
    return {"id": record["id"], "name": record["name"], "links": links(call, "volumes", record["id"])}


def _volume_type_name(call: Call, record: dict) -> str | None:
    vtype = call.state.get("volume_types", record.get("volume_type_id") or "")
    if vtype:
        return vtype["name"]
    return None if call.mv_at_least(3, 63) else record.get("volume_type_id")


def _visible_metadata(record: dict) -> dict:
    # Cinder merges the "visible" admin metadata (readonly, attached_mode) into what users see as metadata
    metadata = dict(record.get("metadata") or {})
    if record.get("readonly_set"):
        metadata["readonly"] = str(bool(record.get("readonly")))
    if any(a.get("attach_status") == "attached" for a in record.get("attachments", [])):
        metadata["attached_mode"] = "ro" if record.get("readonly") else "rw"
    return metadata


def volume_attachments(call: Call, record: dict) -> list[dict]:
    result = []
    for attachment in record.get("attachments", []):
        if attachment.get("attach_status") != "attached":
            continue
        result.append({"id": record["id"], "attachment_id": attachment["id"], "volume_id": record["id"],
                       "server_id": attachment.get("server_id"),
                       "host_name": attachment.get("host_name") if call.ctx.is_admin else None,
                       "device": attachment.get("device"), "attached_at": attachment.get("attached_at")})
    return result


def volume_detail(call: Call, record: dict, created: bool = False) -> dict:
    """One volume as ``GET /volumes/{id}`` (``created``: as the create/update answer, without the extensions)."""
    admin = call.ctx.is_admin
    view = {
        "id": record["id"], "status": record["status"], "size": record["size"],
        "availability_zone": record["availability_zone"], "created_at": record["created_at"],
        "updated_at": record["updated_at"], "name": record["name"], "description": record["description"],
        "volume_type": _volume_type_name(call, record), "snapshot_id": record["snapshot_id"],
        "source_volid": record["source_volid"], "metadata": _visible_metadata(record),
        "links": links(call, "volumes", record["id"]), "user_id": record["user_id"],
        "bootable": "true" if record["bootable"] else "false", "encrypted": bool(record.get("encrypted")),
        "replication_status": record.get("replication_status"), "consistencygroup_id": None,
        "multiattach": bool(record.get("multiattach")), "attachments": volume_attachments(call, record),
    }
    if admin:
        view["migration_status"] = record.get("migration_status")
    if call.mv_at_least(3, 13):
        view["group_id"] = record.get("group_id")
    if admin and call.mv_at_least(3, 21):
        view["provider_id"] = record.get("provider_id")
    if call.mv_at_least(3, 48):
        shared = record.get("shared_targets", False)
        if shared is None and not call.mv_at_least(3, 69):
            shared = True
        view["shared_targets"] = shared
        view["service_uuid"] = record.get("service_uuid")
    if admin and call.mv_at_least(3, 61):
        view["cluster_name"] = None
    if call.mv_at_least(3, 63):
        view["volume_type_id"] = record.get("volume_type_id")
    if call.mv_at_least(3, 64) and record.get("encryption_key_id"):
        view["encryption_key_id"] = record["encryption_key_id"]
    if call.mv_at_least(3, 65):
        view["consumes_quota"] = bool(record.get("consumes_quota", True))
    if not created:  # the controller extensions (contrib/volume_*_attribute.py) extend show and detail only
        view["os-vol-tenant-attr:tenant_id"] = record["project_id"]
        if admin:
            view["os-vol-host-attr:host"] = record.get("host")
            view["os-vol-mig-status-attr:migstat"] = record.get("migration_status")
            view["os-vol-mig-status-attr:name_id"] = None
        if record.get("image_metadata"):
            view["volume_image_metadata"] = dict(record["image_metadata"])
    return view


# ---------------------------------------------------------------------------------------------------------------
# snapshots


def snapshot_summary(call: Call, record: dict) -> dict:
    return {"id": record["id"], "created_at": record["created_at"], "updated_at": record["updated_at"],
            "name": record["name"], "description": record["description"], "volume_id": record["volume_id"],
            "status": record["status"], "size": record["size"], "metadata": dict(record.get("metadata") or {})}


def snapshot_detail(call: Call, record: dict, extended: bool = True) -> dict:
    view = snapshot_summary(call, record)
    if call.mv_at_least(3, 14):
        view["group_snapshot_id"] = record.get("group_snapshot_id")
    if call.mv_at_least(3, 41):
        view["user_id"] = record.get("user_id")
    if call.mv_at_least(3, 65):
        view["consumes_quota"] = bool(record.get("consumes_quota", True))
    if extended:  # contrib/extended_snapshot_attributes.py extends show and detail
        view["os-extended-snapshot-attributes:progress"] = record.get("progress", "0%")
        view["os-extended-snapshot-attributes:project_id"] = record["project_id"]
    return view


# ---------------------------------------------------------------------------------------------------------------
# volume types

USER_VISIBLE_EXTRA_SPECS = ("RESKEY:availability_zones", "multiattach", "replication_enabled")


def volume_type(call: Call, record: dict) -> dict:
    view = {"id": record["id"], "name": record["name"], "is_public": record["is_public"],
            "description": record.get("description")}
    specs = record.get("extra_specs") or {}
    view["extra_specs"] = dict(specs) if call.ctx.is_admin else {
        k: v for k, v in specs.items() if k in USER_VISIBLE_EXTRA_SPECS}
    if call.ctx.is_admin:
        view["qos_specs_id"] = record.get("qos_specs_id")
    if call.ctx.can_write:  # contrib/volume_type_access.py, policy SYSTEM_ADMIN_OR_PROJECT_MEMBER
        view["os-volume-type-access:is_public"] = record["is_public"]
    return view


# ---------------------------------------------------------------------------------------------------------------
# attachments (3.27+)


def attachment_summary(record: dict) -> dict:
    return {"id": record["id"], "status": record["attach_status"], "instance": record.get("server_id"),
            "volume_id": record["volume_id"]}


def attachment_detail(record: dict, connection: dict | None) -> dict:
    view = attachment_summary(record)
    view.update(attached_at=record.get("attached_at") or "", detached_at=record.get("detached_at") or "",
                attach_mode=record.get("attach_mode", "rw"), connection_info=connection)
    return view


# ---------------------------------------------------------------------------------------------------------------
# groups, group types, group snapshots


def group_summary(record: dict) -> dict:
    return {"id": record["id"], "name": record["name"]}


def group_detail(call: Call, record: dict) -> dict:
    view = {"id": record["id"], "status": record["status"], "availability_zone": record["availability_zone"],
            "created_at": record["created_at"], "name": record["name"], "description": record.get("description"),
            "group_type": record["group_type_id"], "volume_types": list(record["volume_type_ids"])}
    if call.mv_at_least(3, 14):
        view["group_snapshot_id"] = record.get("group_snapshot_id")
        view["source_group_id"] = record.get("source_group_id")
    if call.mv_at_least(3, 25) and call.args.get("list_volume", "").lower() in ("true", "1", "yes", "on"):
        view["volumes"] = sorted(v["id"] for v in call.state.table("volumes").values()
                                 if v.get("group_id") == record["id"])
    if call.mv_at_least(3, 38):
        view["replication_status"] = record.get("replication_status", "disabled")
    if call.mv_at_least(3, 58) and call.ctx.is_admin:
        view["project_id"] = record["project_id"]
    return view


def group_type(call: Call, record: dict) -> dict:
    view = {"id": record["id"], "name": record["name"], "description": record.get("description"),
            "is_public": record["is_public"]}
    if call.ctx.is_admin:
        view["group_specs"] = dict(record.get("group_specs") or {})
    return view


def group_snapshot_summary(record: dict) -> dict:
    return {"id": record["id"], "name": record["name"], "group_type_id": record["group_type_id"]}


def group_snapshot_detail(call: Call, record: dict) -> dict:
    view = {"id": record["id"], "group_id": record["group_id"], "group_type_id": record["group_type_id"],
            "status": record["status"], "created_at": record["created_at"], "name": record["name"],
            "description": record.get("description")}
    if call.mv_at_least(3, 58) and call.ctx.is_admin:
        view["project_id"] = record["project_id"]
    return view


# ---------------------------------------------------------------------------------------------------------------
# transfers


def transfer_summary(call: Call, record: dict) -> dict:
    return {"id": record["id"], "volume_id": record["volume_id"], "name": record["name"],
            "links": links(call, "os-volume-transfer", record["id"])}


def transfer_detail(call: Call, record: dict, with_auth_key: bool = False) -> dict:
    view = {"id": record["id"], "created_at": record["created_at"], "name": record["name"],
            "volume_id": record["volume_id"], "links": links(call, "os-volume-transfer", record["id"])}
    if with_auth_key:
        view["auth_key"] = record["auth_key"]
    if call.mv_at_least(3, 55):
        view["no_snapshots"] = bool(record.get("no_snapshots"))
    if call.mv_at_least(3, 57):
        view.update(destination_project_id=record.get("destination_project_id"),
                    source_project_id=record["source_project_id"], accepted=bool(record.get("accepted")))
    return view
