# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Glance v2 REST API of the embedded cloud: images (CRUD, JSON-patch, data upload/download, stage and import),
members, tags, schemas, metadefs, info.

Uploads and downloads stream straight between the socket and the image file without the state lock
(``locked=False``), so a big image does not stop the cloud; only the record updates take the lock.
"""
from __future__ import annotations

import copy
import hashlib
import os
import re
from urllib.parse import urlencode

from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from storage_backup_sandbox import glance, glance_metadefs, glance_schemas
from storage_backup_sandbox.glance import (
    CORE_ATTRIBUTES,
    READ_ONLY_ATTRIBUTES,
    RESERVED_PROPERTIES,
    VISIBILITIES,
    image,
    isotime,
)
from storage_backup_sandbox.http import ApiError, Call, json_response
from storage_backup_sandbox.state import State, transition

VERSIONS = ("2.16", "2.15", "2.9", "2.7", "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0")
PATCH_TYPES = ("application/openstack-images-v2.1-json-patch", "application/openstack-images-v2.0-json-patch")
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
UPLOAD_CHUNK = 1024 * 1024
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@image.route("/", public=True)
@image.route("/versions", public=True)
def versions(call: Call):
    values = [{"id": f"v{v}", "status": "CURRENT" if i == 0 else "SUPPORTED",
               "links": [{"rel": "self", "href": call.url("/image/v2/")}]} for i, v in enumerate(VERSIONS)]
    return 300 if call.request.path.rstrip("/") == "/image" else 200, {"versions": values}


# ---------------------------------------------------------------------------------------------------------------
# helpers


def _project(call: Call) -> str | None:
    return call.ctx.project_id


def _require_writer(call: Call, action: str) -> None:
    if not call.ctx.can_write:
        raise ApiError(403, f"You are not authorized to complete {action} action.")


def image_view(record: dict) -> dict:
    view = dict(record.get("properties", {}))
    for key in ("name", "disk_format", "container_format", "visibility", "size", "virtual_size", "status",
                "checksum", "protected", "min_ram", "min_disk", "owner", "os_hidden", "os_hash_algo",
                "os_hash_value", "id", "created_at", "updated_at"):
        view[key] = record.get(key)
    view["tags"] = list(record.get("tags", []))
    view["self"] = f"/v2/images/{record['id']}"
    view["file"] = f"/v2/images/{record['id']}/file"
    view["schema"] = "/v2/schemas/image"
    return view


def _image_for(call: Call, image_id: str) -> dict:
    record = glance.visible_image(call.state, image_id, _project(call), call.ctx.is_admin)
    if record is None:
        raise ApiError(404, f"No image found with ID {image_id}")
    return record


def _owned_image(call: Call, image_id: str, action: str) -> dict:
    record = _image_for(call, image_id)
    if not (call.ctx.is_admin or record["owner"] == _project(call)):
        raise ApiError(403, f"You are not permitted to {action} this image.")
    _require_writer(call, action)
    return record


def _check_property(key: str, value) -> None:
    if key in READ_ONLY_ATTRIBUTES:
        raise ApiError(403, f"Attribute '{key}' is read-only.")
    if key in RESERVED_PROPERTIES or key.startswith("os_glance"):
        raise ApiError(403, f"Attribute '{key}' is reserved.")
    if key in CORE_ATTRIBUTES:
        return
    if not isinstance(value, str):
        raise ApiError(400, f"Provided object does not match schema 'image': {value!r} is not of type 'string'")
    if len(key) > 255:
        raise ApiError(400, "Property key is too long")


def _set_attribute(call: Call, record: dict, key: str, value) -> None:
    _check_property(key, value)
    if key == "visibility":
        if value not in VISIBILITIES:
            raise ApiError(400, f"Provided object does not match schema 'image': {value!r} is not one of "
                                f"{list(VISIBILITIES)}")
        if value == "public" and not call.ctx.is_admin:
            raise ApiError(403, "You are not authorized to complete publicize_image action.")
    elif key in ("disk_format", "container_format"):
        allowed = glance.DISK_FORMATS if key == "disk_format" else glance.CONTAINER_FORMATS
        if value is not None and value not in allowed:
            raise ApiError(400, f"Invalid value '{value}' for parameter '{key}': Value must be one of "
                                f"{', '.join(allowed)}")
        if record["status"] != "queued" and record.get(key) != value:
            raise ApiError(403, f"Attribute {key} can be only replaced for a queued image.")
    elif key in ("min_disk", "min_ram"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ApiError(400, f"Provided object does not match schema 'image': {value!r} is not of type "
                                "'integer'")
    elif key in ("protected", "os_hidden"):
        if not isinstance(value, bool):
            raise ApiError(400, f"Provided object does not match schema 'image': {value!r} is not of type "
                                "'boolean'")
    elif key == "owner":
        if not call.ctx.is_admin and value != record["owner"]:
            raise ApiError(403, "You are not permitted to modify 'owner' on this image.")
    elif key == "tags":
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise ApiError(400, "Provided object does not match schema 'image': tags must be a list of strings")
        value = list(dict.fromkeys(value))
    elif key == "name":
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise ApiError(400, "Provided object does not match schema 'image': name must be a string of at "
                                "most 255 characters")
    if key in CORE_ATTRIBUTES:
        record[key] = value
    else:
        record["properties"][key] = value


# ---------------------------------------------------------------------------------------------------------------
# images


@image.route("/v2/images", methods="POST")
def create_image(call: Call):
    _require_writer(call, "add_image")
    body = call.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Body expected in request.")
    for key, value in body.items():
        if key not in ("id", "name", "visibility", "protected", "os_hidden", "disk_format", "container_format",
                       "min_disk", "min_ram", "owner", "tags"):
            _check_property(key, value)
        elif key == "id" and (not isinstance(value, str) or not UUID_RE.match(value)):
            raise ApiError(400, f"Provided object does not match schema 'image': {value!r} does not match "
                                f"'{glance_schemas.UUID_PATTERN}'")
    owner = body.get("owner", _project(call))
    if owner != _project(call) and not call.ctx.is_admin:
        raise ApiError(403, f"You are not permitted to create images owned by '{owner}'.")
    record = glance.create_image(call.state, owner=owner, name=None, disk_format=None, container_format=None,
                                 visibility="shared", image_id=body.get("id"))
    try:
        for key, value in body.items():
            if key != "id":
                _set_attribute(call, record, key, value)
    except ApiError:
        call.state.delete("images", record["id"])
        raise
    return json_response(201, image_view(record), {"Location": call.url(f"/image/v2/images/{record['id']}")})


def _matches_visibility(call: Call, record: dict, visibility: str | None, member_status: str) -> bool:
    project = _project(call)
    own = record["owner"] == project
    membership = glance._member_status(call.state, record["id"], project)
    shared_with_me = record["visibility"] == "shared" and membership is not None and (
        member_status == "all" or membership == member_status)
    if visibility is None:
        if call.ctx.is_admin:
            return True
        return record["visibility"] == "public" or own or shared_with_me
    if visibility == "all":
        return call.ctx.is_admin or record["visibility"] in ("public", "community") or own or shared_with_me
    if record["visibility"] != visibility:
        return False
    if visibility in ("public", "community") or call.ctx.is_admin:
        return True
    return own or shared_with_me


def _size_filter(record: dict, key: str, value: str) -> bool:
    try:
        bound = int(value)
    except ValueError:
        raise ApiError(400, f"Invalid value for {key}: {value}") from None
    size = record.get("size")
    if size is None:
        return False
    return size >= bound if key == "size_min" else size <= bound


def _listed_images(call: Call) -> list[dict]:
    visibility = call.args.get("visibility")
    if visibility is not None and visibility not in (*VISIBILITIES, "all"):
        raise ApiError(400, f"Invalid visibility value: {visibility}")
    member_status = call.args.get("member_status", "accepted")
    if member_status not in ("pending", "accepted", "rejected", "all"):
        raise ApiError(400, f"Invalid status value: {member_status}")
    os_hidden = call.args.get("os_hidden", "false").lower() == "true"
    records = [r for r in call.state.table("images").values()
               if r["status"] != "deleted" and _matches_visibility(call, r, visibility, member_status)
               and bool(r.get("os_hidden")) == os_hidden]
    skip = {"limit", "marker", "sort_key", "sort_dir", "sort", "visibility", "member_status", "os_hidden"}
    tags = call.args.getlist("tag")
    if tags:
        records = [r for r in records if all(t in r.get("tags", []) for t in tags)]
    for key, value in call.args.items():
        if key in skip or key == "tag":
            continue
        if key in ("size_min", "size_max"):
            records = [r for r in records if _size_filter(r, key, value)]
        elif key in ("name", "status", "owner", "container_format", "disk_format", "id"):
            wanted = value[3:].split(",") if value.startswith("in:") else [value]
            records = [r for r in records if str(r.get(key)) in wanted]
        elif key == "protected":
            records = [r for r in records if str(r.get("protected")).lower() == value.lower()]
        elif key in ("created_at", "updated_at"):
            operator, _, moment = value.partition(":")
            compare = {"gt": str.__gt__, "gte": str.__ge__, "lt": str.__lt__, "lte": str.__le__,
                       "eq": str.__eq__, "neq": str.__ne__}.get(operator)
            if compare is None:
                raise ApiError(400, f"Invalid operator {operator}")
            records = [r for r in records if compare(r[key][:19], moment[:19])]
        else:
            records = [r for r in records if str(r.get("properties", {}).get(key)) == value]
    return records


def _sorted(call: Call, records: list[dict]) -> list[dict]:
    keys: list[tuple[str, str]] = []
    if call.args.get("sort"):
        if call.args.get("sort_key") or call.args.get("sort_dir"):
            raise ApiError(400, "Old and new sorting syntax cannot be combined")
        for part in call.args["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            keys.append((key, direction or "desc"))
    else:
        sort_keys = call.args.getlist("sort_key") or ["created_at"]
        sort_dirs = call.args.getlist("sort_dir") or ["desc"]
        if len(sort_dirs) > 1 and len(sort_dirs) != len(sort_keys):
            raise ApiError(400, "Number of sort dirs does not match the number of sort keys")
        keys = [(k, sort_dirs[i] if len(sort_dirs) > 1 else sort_dirs[0]) for i, k in enumerate(sort_keys)]
    allowed = ("name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at",
               "visibility", "owner", "min_disk", "min_ram", "virtual_size", "protected")
    for key, direction in keys:
        if key not in allowed:
            raise ApiError(400, f"Invalid sort key: {key}. It must be one of the following: {', '.join(allowed)}.")
        if direction not in ("asc", "desc"):
            raise ApiError(400, f"Invalid sort direction: {direction}")
    ordered = list(records)
    if ("id", "desc") not in keys and ("id", "asc") not in keys:
        keys.append(("id", keys[-1][1] if keys else "desc"))  # glance adds id as a tie breaker
    for key, direction in reversed(keys):
        ordered.sort(key=lambda r, k=key: (r.get(k) is None, r.get(k) if isinstance(r.get(k), int) else
                                           str(r.get(k) or "")), reverse=direction == "desc")
    return ordered


@image.route("/v2/images")
def list_images(call: Call):
    records = _sorted(call, _listed_images(call))
    marker = call.args.get("marker")
    if marker:
        positions = [i for i, r in enumerate(records) if r["id"] == marker]
        if not positions:
            raise ApiError(400, f"Invalid marker. Image {marker} could not be found.")
        records = records[positions[0] + 1:]
    try:
        limit = int(call.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise ApiError(400, "limit param must be an integer") from None
    if limit < 0:
        raise ApiError(400, "limit param must be positive")
    limit = min(limit, MAX_LIMIT)
    page = records[:limit]
    query = [(k, v) for k, v in call.args.items(multi=True) if k != "marker"]
    body = {"images": [image_view(r) for r in page], "schema": "/v2/schemas/images",
            "first": "/v2/images" + ("?" + urlencode(query) if query else "")}
    if len(records) > limit and page:
        body["next"] = "/v2/images?" + urlencode(query + [("marker", page[-1]["id"])])
    return 200, body


@image.route("/v2/images/<image_id>")
def show_image(call: Call, image_id: str):
    return 200, image_view(_image_for(call, image_id))


@image.route("/v2/images/<image_id>", methods="PATCH")
def update_image(call: Call, image_id: str):
    content_type = (call.request.content_type or "").split(";")[0].strip()
    if content_type not in PATCH_TYPES:
        raise ApiError(415, f"Unsupported Content-Type {content_type}", headers={
            "Accept-Patch": ", ".join(PATCH_TYPES)})
    record = _owned_image(call, image_id, "modify_image")
    operations = call.json()
    if not isinstance(operations, list):
        raise ApiError(400, "Request body must be a JSON array of operation objects.")
    changed = copy.deepcopy(record)
    for operation in operations:
        if not isinstance(operation, dict) or operation.get("op") not in ("add", "remove", "replace"):
            raise ApiError(400, "Operations must be JSON objects.")
        path = operation.get("path")
        if not isinstance(path, str) or not path.startswith("/") or path.count("/") > 2:
            raise ApiError(400, f"Invalid JSON pointer for this resource: '{path}'")
        parts = path[1:].split("/")
        key = parts[0].replace("~1", "/").replace("~0", "~")
        op = operation["op"]
        if op != "remove" and "value" not in operation:
            raise ApiError(400, "Operation objects must contain exactly one member named \"value\".")
        if len(parts) == 2:  # /tags/<index> or /locations/<index>
            if key != "tags":
                raise ApiError(400, f"Invalid JSON pointer for this resource: '{path}'")
            tags = list(changed["tags"])
            if op == "remove":
                index = int(parts[1]) if parts[1].isdigit() else -1
                if not 0 <= index < len(tags):
                    raise ApiError(400, f"Invalid JSON pointer for this resource: '{path}'")
                tags.pop(index)
            else:
                tags.append(operation["value"])
            _set_attribute(call, changed, "tags", tags)
            continue
        if op == "remove":
            if key in CORE_ATTRIBUTES or key in READ_ONLY_ATTRIBUTES:
                raise ApiError(403, f"Properties {key} cannot be removed" if key not in READ_ONLY_ATTRIBUTES
                               else f"Attribute '{key}' is read-only.")
            if key not in changed["properties"]:
                raise ApiError(409, f"Property {key} does not exist.")
            del changed["properties"][key]
            continue
        if op == "replace" and key not in CORE_ATTRIBUTES and key not in changed["properties"] \
                and key not in READ_ONLY_ATTRIBUTES:
            raise ApiError(409, f"Property {key} does not exist.")
        _set_attribute(call, changed, key, operation["value"])
    changed["updated_at"] = isotime()
    record.clear()
    record.update(changed)
    call.state.touch()
    return 200, image_view(record)


@image.route("/v2/images/<image_id>", methods="DELETE")
def delete_image(call: Call, image_id: str):
    record = _owned_image(call, image_id, "delete_image")
    if record.get("protected"):
        raise ApiError(403, f"Image {image_id} is protected and cannot be deleted.")
    call.state.delete("images", image_id)
    for member_key in [k for k in call.state.table("image_members") if k.startswith(image_id + ":")]:
        call.state.delete("image_members", member_key)
    for suffix in ("", ".partial", ".staging"):
        call.state.blocks.remove(call.state.blocks.image_path(image_id) + suffix)
    return json_response(204, None)


def _set_activation(call: Call, image_id: str, action: str, status: str):
    """Admins only, and only between ``active`` and ``deactivated`` (either way, or to where it already is)."""
    if not call.ctx.is_admin:
        raise ApiError(403, f"You are not authorized to complete {action} action.")
    record = _image_for(call, image_id)
    if record["status"] not in ("active", "deactivated"):
        raise ApiError(403, f"Not allowed to {action} image in status '{record['status']}'")
    record["status"] = status
    call.state.touch()
    return json_response(204, None)


@image.route("/v2/images/<image_id>/actions/deactivate", methods="POST")
def deactivate_image(call: Call, image_id: str):
    return _set_activation(call, image_id, "deactivate", "deactivated")


@image.route("/v2/images/<image_id>/actions/reactivate", methods="POST")
def reactivate_image(call: Call, image_id: str):
    return _set_activation(call, image_id, "reactivate", "active")


@image.route("/v2/images/<image_id>/tags/<tag>", methods="PUT")
def add_tag(call: Call, image_id: str, tag: str):
    record = _owned_image(call, image_id, "modify_image")
    if tag not in record["tags"]:
        record["tags"].append(tag)
        record["updated_at"] = isotime()
        call.state.touch()
    return json_response(204, None)


@image.route("/v2/images/<image_id>/tags/<tag>", methods="DELETE")
def delete_tag(call: Call, image_id: str, tag: str):
    record = _owned_image(call, image_id, "modify_image")
    if tag not in record["tags"]:
        raise ApiError(404, f"Tag {tag} not found.")
    record["tags"].remove(tag)
    record["updated_at"] = isotime()
    call.state.touch()
    return json_response(204, None)


# ---------------------------------------------------------------------------------------------------------------
# data: upload (PUT file, PUT stage + POST import) and download, streamed without the state lock


def _receive(call: Call, target: str) -> tuple[int, str, str]:
    """Stream the request body to ``target`` (zero chunks become holes), hashing as it goes."""
    md5, sha512, size = hashlib.md5(usedforsecurity=False), hashlib.sha512(), 0
    stream = call.request.stream
    zero = bytes(UPLOAD_CHUNK)
    with open(target, "wb") as handle:
        while True:
            chunk = stream.read(UPLOAD_CHUNK)
            if not chunk:
                break
            md5.update(chunk)
            sha512.update(chunk)
            size += len(chunk)
            if chunk == zero[:len(chunk)]:
                handle.seek(len(chunk), os.SEEK_CUR)
            else:
                handle.write(chunk)
        handle.truncate(size)
        handle.flush()
        os.fsync(handle.fileno())
    return size, md5.hexdigest(), sha512.hexdigest()


def _begin_upload(call: Call, image_id: str, to_status: str) -> None:
    with call.state.lock:
        record = _owned_image(call, image_id, "upload_image")
        if record["status"] != "queued":
            raise ApiError(409, f"Image status transition from {record['status']} to {to_status} is not allowed")
        record["status"] = to_status
        record["updated_at"] = isotime()
        call.state.touch()


def _abort_upload(call: Call, image_id: str, path: str) -> None:
    call.state.blocks.remove(path)
    with call.state.lock:
        record = call.state.get("images", image_id)
        if record is not None and record["status"] in ("saving", "uploading"):
            record["status"] = "queued"
            call.state.touch()


def _upload(call: Call, image_id: str, to_status: str, target: str) -> tuple[int, str, str]:
    """``queued`` -> ``to_status``, then the body streamed to ``target``; on any failure ``target`` goes and the image
    is ``queued`` again."""
    _begin_upload(call, image_id, to_status)
    try:
        return _receive(call, target)
    except Exception:
        _abort_upload(call, image_id, target)
        raise


@image.route("/v2/images/<image_id>/file", methods="PUT", locked=False)
def upload_image(call: Call, image_id: str):
    path = call.state.blocks.image_path(image_id)
    size, md5, sha512 = _upload(call, image_id, "saving", path + ".partial")
    os.replace(path + ".partial", path)
    glance.finish_upload(call.state, image_id, size, md5, sha512)
    return json_response(204, None)


@image.route("/v2/images/<image_id>/stage", methods="PUT", locked=False)
def stage_image(call: Call, image_id: str):
    size, md5, sha512 = _upload(call, image_id, "uploading", call.state.blocks.image_path(image_id) + ".staging")
    with call.state.lock:
        record = call.state.get("images", image_id)
        if record is not None:
            record["staged"] = {"size": size, "md5": md5, "sha512": sha512}
            call.state.touch()
    return json_response(204, None)


@image.route("/v2/images/<image_id>/import", methods="POST")
def import_image(call: Call, image_id: str):
    record = _owned_image(call, image_id, "import_image")
    method = (call.json().get("method") or {}).get("name") if isinstance(call.json(), dict) else None
    if method != "glance-direct":
        raise ApiError(400, f"Import method {method} is not supported by this cloud (use glance-direct).")
    if record["status"] != "uploading" or not record.get("staged"):
        raise ApiError(409, "Image needs to be staged before 'glance-direct' method can be used")
    record["status"] = "importing"
    call.state.touch()
    call.state.later("glance.import", image_id=image_id)
    return json_response(202, None)


@transition("glance.import")
def _import(state: State, image_id: str) -> None:
    with state.lock:
        record = state.get("images", image_id)
        if record is None or record["status"] != "importing":
            return
        staged = record.pop("staged")
    os.replace(state.blocks.image_path(image_id) + ".staging", state.blocks.image_path(image_id))
    glance.finish_upload(state, image_id, staged["size"], staged["md5"], staged["sha512"])


@image.route("/v2/images/<image_id>/file", locked=False)
def download_image(call: Call, image_id: str):
    with call.state.lock:
        record = _image_for(call, image_id)
        if record["status"] == "deactivated" and not call.ctx.is_admin:
            raise ApiError(403, "The requested image has been deactivated. Image data download is forbidden.")
        if record["status"] != "active":
            return json_response(204, None)
        path = call.state.blocks.image_path(image_id)
        checksum, size = record["checksum"], record["size"]
    handle = open(path, "rb")
    response = Response(wrap_file(call.request.environ, handle, UPLOAD_CHUNK), mimetype="application/octet-stream",
                        direct_passthrough=True)
    response.headers["Content-MD5"] = checksum
    response.content_length = size
    return response.make_conditional(call.request, accept_ranges=True, complete_length=size)


# ---------------------------------------------------------------------------------------------------------------
# members


def _member_view(member: dict) -> dict:
    return {"member_id": member["member_id"], "image_id": member["image_id"], "status": member["status"],
            "created_at": member["created_at"], "updated_at": member["updated_at"], "schema": "/v2/schemas/member"}


def _shared_image(call: Call, image_id: str) -> dict:
    record = _image_for(call, image_id)
    if record["visibility"] != "shared":
        raise ApiError(403, "Only shared images have members.")
    return record


@image.route("/v2/images/<image_id>/members")
def list_members(call: Call, image_id: str):
    record = _image_for(call, image_id)
    members = [m for k, m in call.state.table("image_members").items() if k.startswith(image_id + ":")]
    if record["owner"] != _project(call) and not call.ctx.is_admin:
        members = [m for m in members if m["member_id"] == _project(call)]
    return 200, {"members": [_member_view(m) for m in members], "schema": "/v2/schemas/members"}


@image.route("/v2/images/<image_id>/members", methods="POST")
def add_member(call: Call, image_id: str):
    record = _shared_image(call, image_id)
    if record["owner"] != _project(call) and not call.ctx.is_admin:
        raise ApiError(403, "You are not permitted to add members to this image.")
    _require_writer(call, "add_member")
    member_id = call.json().get("member") if isinstance(call.json(), dict) else None
    if not isinstance(member_id, str) or not member_id:
        raise ApiError(400, "Member to be added not specified")
    key = f"{image_id}:{member_id}"
    if call.state.get("image_members", key):
        raise ApiError(409, f"Member {member_id} already exists for image {image_id}.")
    stamp = isotime()
    member = call.state.put("image_members", {"id": key, "image_id": image_id, "member_id": member_id,
                                              "status": "pending", "created_at": stamp, "updated_at": stamp})
    return 200, _member_view(member)


@image.route("/v2/images/<image_id>/members/<member_id>")
def show_member(call: Call, image_id: str, member_id: str):
    record = _image_for(call, image_id)
    member = call.state.get("image_members", f"{image_id}:{member_id}")
    if member is None or (record["owner"] != _project(call) and member_id != _project(call)
                          and not call.ctx.is_admin):
        raise ApiError(404, f"Member {member_id} not found for image {image_id}.")
    return 200, _member_view(member)


@image.route("/v2/images/<image_id>/members/<member_id>", methods="PUT")
def update_member(call: Call, image_id: str, member_id: str):
    _image_for(call, image_id)
    member = call.state.get("image_members", f"{image_id}:{member_id}")
    if member is None:
        raise ApiError(404, f"Member {member_id} not found for image {image_id}.")
    if member_id != _project(call):
        raise ApiError(403, "You are not permitted to modify the status of this member.")
    _require_writer(call, "modify_member")
    status = call.json().get("status") if isinstance(call.json(), dict) else None
    if status not in ("pending", "accepted", "rejected"):
        raise ApiError(400, f"Invalid status: {status}")
    member["status"] = status
    member["updated_at"] = isotime()
    call.state.touch()
    return 200, _member_view(member)


@image.route("/v2/images/<image_id>/members/<member_id>", methods="DELETE")
def delete_member(call: Call, image_id: str, member_id: str):
    record = _image_for(call, image_id)
    if record["owner"] != _project(call) and not call.ctx.is_admin:
        raise ApiError(403, "You are not permitted to remove members from this image.")
    if call.state.delete("image_members", f"{image_id}:{member_id}") is None:
        raise ApiError(404, f"Member {member_id} not found for image {image_id}.")
    return json_response(204, None)


# ---------------------------------------------------------------------------------------------------------------
# schemas, info, metadefs


@image.route("/v2/schemas/<path:name>")
def show_schema(call: Call, name: str):
    builder = glance_schemas.SCHEMAS.get(name)
    if builder is None:
        raise ApiError(404, f"Schema {name} not found.")
    return 200, builder()


@image.route("/v2/info/import")
def info_import(call: Call):
    return 200, {"import-methods": {"description": "Import methods available.", "type": "array",
                                    "value": ["glance-direct"]}}


@image.route("/v2/info/usage")
def info_usage(call: Call):
    owned = [r for r in call.state.table("images").values() if r["owner"] == _project(call)]
    return 200, {"usage": {"image_size_total": {"limit": -1, "usage": sum(r.get("size") or 0 for r in owned)},
                           "image_count_total": {"limit": -1, "usage": len(owned)},
                           "image_stage_total": {"limit": -1, "usage": 0},
                           "image_count_uploading": {"limit": -1, "usage": 0}}}


def _namespace_view(namespace: dict, full: bool) -> dict:
    stamp = "2024-01-01T00:00:00Z"
    view = {"namespace": namespace["namespace"], "display_name": namespace.get("display_name"),
            "description": namespace.get("description"), "visibility": namespace.get("visibility", "public"),
            "protected": namespace.get("protected", True), "owner": "admin", "created_at": stamp,
            "updated_at": stamp, "self": f"/v2/metadefs/namespaces/{namespace['namespace']}",
            "schema": "/v2/schemas/metadefs/namespace",
            "resource_type_associations": [dict(a, created_at=stamp) for a in
                                           namespace.get("resource_type_associations", [])]}
    if full:
        if namespace.get("properties"):
            view["properties"] = copy.deepcopy(namespace["properties"])
        if namespace.get("objects"):
            view["objects"] = copy.deepcopy(namespace["objects"])
    return view


@image.route("/v2/metadefs/namespaces")
def list_namespaces(call: Call):
    wanted = [t for t in call.args.get("resource_types", "").split(",") if t]
    namespaces = [n for n in glance_metadefs.NAMESPACES
                  if not wanted or any(a["name"] in wanted for a in n.get("resource_type_associations", []))]
    visibility = call.args.get("visibility")
    if visibility:
        namespaces = [n for n in namespaces if n.get("visibility", "public") == visibility]
    return 200, {"namespaces": [_namespace_view(n, full=False) for n in namespaces],
                 "first": "/v2/metadefs/namespaces", "schema": "/v2/schemas/metadefs/namespaces"}


@image.route("/v2/metadefs/namespaces/<name>")
def show_namespace(call: Call, name: str):
    for namespace in glance_metadefs.NAMESPACES:
        if namespace["namespace"] == name:
            view = _namespace_view(namespace, full=True)
            resource_type = call.args.get("resource_type")
            if resource_type and view.get("properties"):
                prefix = next((a.get("prefix", "") for a in namespace.get("resource_type_associations", [])
                               if a["name"] == resource_type), "")
                view["properties"] = {prefix + k: v for k, v in view["properties"].items()}
            return 200, view
    raise ApiError(404, f"Metadata definition namespace={name} was not found.")


@image.route("/v2/metadefs/resource_types")
def list_resource_types(call: Call):
    names = sorted({a["name"] for n in glance_metadefs.NAMESPACES for a in n.get("resource_type_associations", [])})
    stamp = "2024-01-01T00:00:00Z"
    return 200, {"resource_types": [{"name": n, "created_at": stamp, "updated_at": stamp} for n in names]}


@image.route("/v2/metadefs/namespaces/<name>/resource_types")
def list_namespace_resource_types(call: Call, name: str):
    status, view = show_namespace(call, name)
    return 200, {"resource_type_associations": view["resource_type_associations"]}
