# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder v3 REST API of the embedded cloud: shared helpers, version documents, and the resource modules.

Every resource is served both under ``/v3/{project_id}/...`` and, as Cinder allows since 3.67, under ``/v3/...``.
The project in the URL is not trusted: the token's project decides what a caller sees, as in Cinder.
"""
from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterable

from storage_backup_sandbox import cinder
from storage_backup_sandbox import cinder_views as views
from storage_backup_sandbox.cinder import volume
from storage_backup_sandbox.http import ApiError, Call, bad_request, forbidden, json_response, not_found

API_UPDATED = "2023-08-31T00:00:00Z"


def v3(path: str, methods: str | Iterable[str] = "GET", **options) -> Callable:
    """Register a handler for ``/v3/{project_id}<path>`` and ``/v3<path>``; it gets ``project_id`` or None."""

    def register(fn: Callable) -> Callable:
        volume.route("/v3/<project_id>" + path, methods, **options)(fn)
        volume.route("/v3" + path, methods, **options)(fn)
        return fn

    return register


# ---------------------------------------------------------------------------------------------------------------
# who may see and do what (Cinder's default policies, 2024.1)


def require_project(call: Call) -> str:
    if not call.ctx.project_id:
        raise forbidden("Policy doesn't allow this operation to be performed: a project-scoped token is required.")
    return call.ctx.project_id


def require_writer(call: Call, action: str = "this operation") -> None:
    if not call.ctx.can_write:
        raise forbidden(f"Policy doesn't allow {action} to be performed.")


def require_admin(call: Call, action: str = "this operation") -> None:
    if not call.ctx.is_admin:
        raise forbidden(f"Policy doesn't allow {action} to be performed.")


def visible(call: Call, record: dict | None) -> bool:
    return record is not None and (call.ctx.is_admin or record.get("project_id") == call.ctx.project_id)


def record_for(call: Call, kind: str, noun: str, ident: str) -> dict:
    """The record if the caller may see it; another project's is 404 (``<noun> <id> could not be found.``), as in
    Cinder."""
    require_project(call)
    record = call.state.get(kind, ident)
    if not visible(call, record):
        raise not_found(noun, ident)
    return record


def volume_for(call: Call, volume_id: str) -> dict:
    return record_for(call, "volumes", "Volume", volume_id)


def snapshot_for(call: Call, snapshot_id: str) -> dict:
    return record_for(call, "snapshots", "Snapshot", snapshot_id)


def body_of(call: Call, key: str) -> dict:
    body = call.json()
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise bad_request(f"Invalid input for field/attribute {key}. Value: {json.dumps(body)[:200]}. "
                          f"'{key}' is a required property")
    return body[key]


def parse_bool(value, name: str) -> bool:
    """``strutils.bool_from_string(strict=True)``, as Cinder parses booleans in bodies and queries."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "t", "true", "on", "y", "yes"):
        return True
    if text in ("0", "f", "false", "off", "n", "no"):
        return False
    raise bad_request(f"Invalid input received: Unrecognized value '{value}' for {name}, acceptable values are: "
                      "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'")


def parse_int(value, name: str, minimum: int | None = None) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise bad_request(f"Invalid input for field/attribute {name}. Value: {value}. "
                          f"{value!r} is not of type 'integer'") from None
    if minimum is not None and number < minimum:
        raise bad_request(f"Invalid input for field/attribute {name}. Value: {value}. "
                          f"{number} is less than the minimum of {minimum}")
    return number


def parse_dict_filter(text: str, name: str) -> dict:
    """Cinder accepts dict filters as Python or JSON literals (cinderclient sends ``str(dict)``)."""
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, dict):
            return value
    raise bad_request(f"Invalid input received: Invalid filter {name}: {text}")


def check_metadata(metadata, name: str = "metadata") -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise bad_request(f"Invalid input for field/attribute {name}. Value: {metadata}. "
                          f"{metadata!r} is not of type 'object'")
    for key, value in metadata.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 255:
            raise bad_request("Invalid input received: Metadata property key must be 1-255 characters.")
        if not isinstance(value, str) or len(value) > 255:
            raise bad_request(f"Invalid input for field/attribute {name}. Value: {metadata}. "
                              f"{value!r} is not of type 'string'")
    return dict(metadata)


# ---------------------------------------------------------------------------------------------------------------
# metadata of a volume or a snapshot: the caller has checked the policy and found the record


def write_metadata(call: Call, record: dict, merge: bool) -> tuple[int, dict]:
    """POST merges the body's ``metadata`` into the record's; PUT replaces it."""
    body = call.json()
    metadata = check_metadata(body.get("metadata") if isinstance(body, dict) else None)
    record["metadata"] = {**record["metadata"], **metadata} if merge else metadata
    cinder._touch(record)
    call.state.touch()
    return 200, {"metadata": dict(record["metadata"])}


def show_metadata_item(metadata: dict, key: str, noun: str, ident: str) -> tuple[int, dict]:
    if key not in metadata:
        raise ApiError(404, f"{noun} {ident} has no metadata with key {key}.")
    return 200, {"meta": {key: metadata[key]}}


def write_metadata_item(call: Call, record: dict, key: str) -> tuple[int, dict]:
    """The body is ``{"meta": {key: value}}`` with the key of the URL and nothing else."""
    body = call.json()
    meta = check_metadata(body.get("meta") if isinstance(body, dict) else None, "meta")
    if key not in meta:
        raise bad_request("Request body and URI mismatch")
    if len(meta) > 1:
        raise bad_request("Request body contains too many items")
    record["metadata"][key] = meta[key]
    cinder._touch(record)
    call.state.touch()
    return 200, {"meta": meta}


def remove_metadata_item(call: Call, record: dict, key: str, noun: str):
    if key not in record["metadata"]:
        raise ApiError(404, f"{noun} {record['id']} has no metadata with key {key}.")
    del record["metadata"][key]
    cinder._touch(record)
    call.state.touch()
    return json_response(200, None)


# ---------------------------------------------------------------------------------------------------------------
# listing: sort, marker, limit, offset and the next link, as cinder.api.common does


def _sort_value(value):
    if value is None:
        return (1, 0, "")
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (0, 0, str(value))


SORT_ALIASES = {"display_name": "name", "display_description": "description", "project_id": "project_id"}


def sort_params(call: Call, default_keys=("created_at", "id")) -> list[tuple[str, str]]:
    keys: list[str] = []
    dirs: list[str] = []
    if call.args.get("sort"):
        if call.args.get("sort_key") or call.args.get("sort_dir"):
            raise bad_request("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with "
                              "the 'sort' parameter.")
        for part in call.args["sort"].split(","):
            name, _, direction = part.strip().partition(":")
            keys.append(name.strip())
            dirs.append((direction or "desc").strip().lower())
    else:
        keys = [k.strip() for text in call.args.getlist("sort_key") for k in text.split(",")]
        dirs = [d.strip().lower() for text in call.args.getlist("sort_dir") for d in text.split(",")]
        if not keys:
            keys = list(default_keys)
        dirs += [dirs[-1] if dirs else "desc"] * (len(keys) - len(dirs))
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise bad_request("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'")
    return [(SORT_ALIASES.get(k, k), d) for k, d in zip(keys, dirs, strict=False)]


def page(call: Call, items: list[dict], collection: str, default_keys=("created_at", "id"),
         view_links: bool = True) -> tuple[list[dict], list[dict]]:
    ordered = list(items)
    for key, direction in reversed(sort_params(call, default_keys)):
        ordered.sort(key=lambda item, k=key: _sort_value(item.get(k)), reverse=direction == "desc")
    marker = call.args.get("marker")
    if marker:
        positions = [i for i, item in enumerate(ordered) if item.get("id") == marker]
        if not positions:
            raise ApiError(404, f"Marker {marker} could not be found.")
        ordered = ordered[positions[0] + 1:]
    offset = call.args.get("offset")
    if offset:
        ordered = ordered[parse_int(offset, "offset", 0):]
    limit_text = call.args.get("limit")
    links: list[dict] = []
    if limit_text is not None:
        limit = parse_int(limit_text, "limit")
        if limit < 0:
            raise bad_request("Invalid input received: limit param must be positive")
        ordered = ordered[:min(limit, 1000)]
        if view_links and ordered and limit <= len(ordered):
            links = views.collection_links(call, collection, ordered, True)
    return ordered, links


def listing(call: Call, collection: str, filtered: Callable[[Call], list[dict]],
            render: Callable[[Call, dict], dict], detail: bool) -> tuple[int, dict]:
    """``GET /<collection>`` or ``/<collection>/detail`` of volumes or snapshots: one page of the filtered records,
    the next link, and with ``with_count`` (3.45) how many match in all."""
    records, links = page(call, filtered(call), f"{collection}/detail" if detail else collection)
    body: dict = {collection: [render(call, r) for r in records]}
    if links:
        body[f"{collection}_links"] = links
    if call.mv_at_least(3, 45) and call.args.get("with_count") and parse_bool(call.args["with_count"], "with_count"):
        body["count"] = len(filtered(call))
    return 200, body


def tenant_scope(call: Call, records: Iterable[dict]) -> list[dict]:
    """What a listing covers: the caller's project; every project for an admin with ``all_tenants``;
    a named project for an admin with ``all_tenants`` and ``project_id``."""
    project_id = require_project(call)
    if call.all_tenants:
        wanted = call.args.get("project_id")
        return [r for r in records if not wanted or r.get("project_id") == wanted]
    return [r for r in records if r.get("project_id") == project_id]


def scoped_page(call: Call, records: Iterable[dict], collection: str, filter_keys: tuple[str, ...]) -> list[dict]:
    """One page (no links) of the records the listing covers (``tenant_scope``), filtered by exact match on the
    ``filter_keys`` the query names."""
    records = tenant_scope(call, records)
    for key in filter_keys:
        if call.args.get(key):
            records = [r for r in records if r.get(key) == call.args[key]]
    return page(call, records, collection, view_links=False)[0]


# ---------------------------------------------------------------------------------------------------------------
# version documents


def version_v3(call: Call) -> dict:
    return {"id": "v3.0", "status": "CURRENT", "version": "3.71", "min_version": "3.0", "updated": API_UPDATED,
            "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                      {"rel": "self", "href": call.url("/volume/v3/")}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.volume+json;version=3"}]}


@volume.route("/", public=True)
def versions(call: Call):
    return 300, {"versions": [version_v3(call)]}


@volume.route("/v3/", public=True)
def version_document(call: Call):
    return 200, {"versions": [version_v3(call)]}


# The resources (routes register on import). Kept last: they import the helpers above.
from storage_backup_sandbox import (  # noqa: E402,F401
    cinder_admin,
    cinder_attachments,
    cinder_groups,
    cinder_snapshots,
    cinder_transfers,
    cinder_volumes,
)
