# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The small HTTP framework the embedded cloud's services are written in.

Each service module owns a ``Service`` (URL prefix, error style, routes). Handlers take a ``Call`` (the request,
the authenticated context, the state) plus URL arguments and return ``(status, body)`` or a werkzeug
``Response``. Errors are raised as ``ApiError`` and rendered in the style of the service that raised them,
because clients parse them (novaclient reads ``{"itemNotFound": {"message": ...}}``, neutronclient reads
``{"NeutronError": ...}``).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from storage_backup_sandbox.state import State

# ---------------------------------------------------------------------------------------------------------------
# errors


class ApiError(Exception):
    """An error a real OpenStack service would answer with."""

    TITLES = {
        400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 405: "methodNotAllowed",
        406: "notAcceptable", 409: "conflictingRequest", 413: "overLimit", 415: "unsupportedMediaType",
        500: "computeFault", 501: "notImplemented", 503: "serviceUnavailable",
    }

    def __init__(self, status: int, message: str, kind: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind or self.TITLES.get(status, "error")
        self.headers = headers or {}


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, f"{what} {ident} could not be found.")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def forbidden(message: str = "Policy doesn't allow this operation to be performed.") -> ApiError:
    return ApiError(403, message)


# ---------------------------------------------------------------------------------------------------------------
# authentication context


@dataclass
class Context:
    token_id: str
    user_id: str
    user_name: str
    project_id: str | None
    project_name: str | None
    domain_id: str | None
    roles: list[str]
    expires_ts: float = 0.0

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def can_write(self) -> bool:
        return bool({"admin", "member"} & set(self.roles))

    def require_writer(self) -> None:
        if not self.can_write:
            raise forbidden()

    def owns(self, record: dict, key: str = "project_id") -> bool:
        return self.is_admin or record.get(key) == self.project_id


# ---------------------------------------------------------------------------------------------------------------
# a request being handled


@dataclass
class Call:
    request: Request
    state: State
    service: Service
    base_url: str
    ctx: Context | None = None
    microversion: tuple[int, int] | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    _json: Any = None

    @property
    def args(self):
        return self.request.args

    @property
    def method(self) -> str:
        return self.request.method

    def json(self, required: bool = True) -> Any:
        if self._json is None:
            raw = self.request.get_data(cache=True)
            if not raw:
                if required:
                    raise bad_request("The request body is empty; a JSON body is required.")
                return {}
            try:
                self._json = json.loads(raw)
            except ValueError as exc:
                raise bad_request(f"Malformed request body: {exc}") from None
        return self._json

    def body_object(self, key: str) -> dict:
        body = self.json()
        if not isinstance(body, dict) or not isinstance(body.get(key), dict):
            raise bad_request(f"Invalid input for request body: '{key}' is a required property")
        return body[key]

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` under this sandbox (``path`` starts with ``/``)."""
        return self.base_url + path

    def mv_at_least(self, major: int, minor: int) -> bool:
        return self.microversion is not None and self.microversion >= (major, minor)

    @property
    def all_tenants(self) -> bool:
        """Admin asked to see every project's resources (``all_tenants`` / ``all_projects``)."""
        value = self.args.get("all_tenants", self.args.get("all_projects"))
        if value is None or not self.ctx or not self.ctx.is_admin:
            return False
        return value.lower() not in ("0", "false", "no", "off")


# ---------------------------------------------------------------------------------------------------------------
# microversions


@dataclass(frozen=True)
class Microversions:
    """How one service negotiates microversions (names from the real services' headers)."""

    service_type: str  # "compute" / "volume"
    minimum: tuple[int, int]
    maximum: tuple[int, int]
    legacy_header: str | None = None  # "X-OpenStack-Nova-API-Version"

    def negotiate(self, request: Request) -> tuple[int, int]:
        wanted = None
        header = request.headers.get("OpenStack-API-Version")
        if header:
            for part in header.split(","):
                words = part.strip().split()
                if len(words) == 2 and words[0].lower() == self.service_type:
                    wanted = words[1]
        if wanted is None and self.legacy_header:
            wanted = request.headers.get(self.legacy_header)
        if not wanted:
            return self.minimum
        if wanted.lower() == "latest":
            return self.maximum
        match = re.fullmatch(r"(\d+)\.(\d+)", wanted.strip())
        if not match:
            raise ApiError(400, f"API Version String {wanted} is of invalid format. "
                                "Must be of format MajorNum.MinorNum.")
        version = (int(match.group(1)), int(match.group(2)))
        if not self.minimum <= version <= self.maximum:
            raise ApiError(
                406,
                f"Version {wanted} is not supported by the API. Minimum is "
                f"{self.minimum[0]}.{self.minimum[1]} and maximum is {self.maximum[0]}.{self.maximum[1]}.",
            )
        return version

    def headers(self, version: tuple[int, int]) -> dict[str, str]:
        text = f"{version[0]}.{version[1]}"
        headers = {"OpenStack-API-Version": f"{self.service_type} {text}", "Vary": "OpenStack-API-Version"}
        if self.legacy_header:
            headers[self.legacy_header] = text
            headers["Vary"] += ", " + self.legacy_header
        return headers


# ---------------------------------------------------------------------------------------------------------------
# services and routes

Handler = Callable[..., Any]


def nova_error_body(error: ApiError) -> dict:
    return {error.kind: {"code": error.status, "message": error.message}}


def neutron_error_body(error: ApiError) -> dict:
    kinds = {404: "NotFound", 409: "Conflict", 400: "BadRequest", 403: "Forbidden", 413: "OverQuota"}
    return {"NeutronError": {"type": kinds.get(error.status, error.kind), "message": error.message, "detail": ""}}


def keystone_error_body(error: ApiError) -> dict:
    titles = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}
    return {"error": {"code": error.status, "message": error.message, "title": titles.get(error.status, "Error")}}


def glance_error_body(error: ApiError) -> dict:
    titles = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
              413: "Request Entity Too Large"}
    return {"message": error.message, "code": f"{error.status} {titles.get(error.status, 'Error')}",
            "title": titles.get(error.status, "Error")}


class Service:
    """One OpenStack service: a URL prefix, a set of routes and an error style."""

    def __init__(self, name: str, prefix: str, error_body: Callable[[ApiError], dict] = nova_error_body,
                 microversions: Microversions | None = None, public_paths: Iterable[str] = ()):
        self.name = name
        self.prefix = prefix.rstrip("/")
        self.error_body = error_body
        self.microversions = microversions
        self.rules: list[Rule] = []
        self.public_paths = set(public_paths)  # paths (after the prefix) that need no token

    def route(self, path: str, methods: str | Iterable[str] = "GET", public: bool = False, locked: bool = True):
        """Register a handler for ``path`` (werkzeug syntax, relative to the service prefix).

        ``public``: no token needed (version documents). ``locked=False``: the handler takes ``state.lock`` itself,
        for handlers that stream data (image upload and download) and must not stop the rest of the cloud.
        """
        method_list = [methods] if isinstance(methods, str) else list(methods)

        def register(fn: Handler) -> Handler:
            full = self.prefix + path
            self.rules.append(Rule(full, endpoint=(self, fn, public, locked), methods=method_list,
                                   strict_slashes=False))
            return fn

        return register


def json_response(status: int, body: Any, headers: dict | None = None) -> Response:
    if body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def build_map(services: Iterable[Service]) -> Map:
    rules: list[Rule] = []
    for service in services:
        rules.extend(service.rules)
    return Map(rules, strict_slashes=False, merge_slashes=False)


# ---------------------------------------------------------------------------------------------------------------
# listing helpers shared by the services


def paginate(call: Call, items: list[dict], key: str, default_sort: str = "created_at",
             default_dir: str = "desc", link_path: str | None = None, max_limit: int = 1000) -> tuple[list[dict], list]:
    """Sort, page with ``marker``/``limit`` and build the ``*_links`` list the way Nova and Cinder do."""
    sort_keys = call.args.getlist("sort_key") or [default_sort]
    sort_dirs = call.args.getlist("sort_dir") or [default_dir]
    if call.args.get("sort"):  # cinder's "sort=name:asc,created_at"
        sort_keys, sort_dirs = [], []
        for part in call.args["sort"].split(","):
            name, _, direction = part.partition(":")
            sort_keys.append(name.strip())
            sort_dirs.append((direction or default_dir).strip())
    for direction in sort_dirs:
        if direction not in ("asc", "desc"):
            raise bad_request(f"Invalid sort direction: {direction}")
    ordered = list(items)
    for index in range(len(sort_keys) - 1, -1, -1):
        sort_key = sort_keys[index]
        direction = sort_dirs[index] if index < len(sort_dirs) else sort_dirs[-1]
        ordered.sort(key=lambda item, k=sort_key: (item.get(k) is None, str(item.get(k) or "")),
                     reverse=direction == "desc")
    marker = call.args.get("marker")
    if marker:
        positions = [i for i, item in enumerate(ordered) if item.get(key) == marker]
        if not positions:
            raise bad_request(f"marker [{marker}] not found")
        ordered = ordered[positions[0] + 1:]
    limit_text = call.args.get("limit")
    links: list = []
    if limit_text is not None:
        try:
            limit = int(limit_text)
        except ValueError:
            raise bad_request("limit param must be an integer") from None
        if limit < 0:
            raise bad_request("limit param must be positive")
        limit = min(limit, max_limit)
        if len(ordered) > limit:
            ordered = ordered[:limit]
            if ordered and link_path:
                query = {k: v for k, v in call.args.items() if k != "marker"}
                query["marker"] = ordered[-1][key]
                from urllib.parse import urlencode

                links = [{"rel": "next", "href": call.url(link_path) + "?" + urlencode(query)}]
    return ordered, links


def bool_arg(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        return value.lower() in ("true", "1", "yes", "on")
    raise bad_request(f"Invalid value '{value}' for {name}: it must be a boolean.")
