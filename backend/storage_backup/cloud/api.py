# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``ApiClient``: one OpenStack service behind a keystoneauth1 ``Adapter``, with errors turned into ``CloudError``s.

Each service client (``compute``, ``volume``, ``image``, ``network``) pins its microversion explicitly, so what it
sends and parses never changes with the cloud's newest version, and says which fields it relies on.
"""
from __future__ import annotations

import json as jsonlib
from collections.abc import Iterator

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session

from .errors import BadRequest, CloudError, Conflict, Forbidden, NotFound, OverQuota, ServiceUnavailable

ERROR_TEXT_LIMIT = 600


def error_message(response) -> str:
    """The service's own words from an error response (Nova/Cinder ``{"badRequest": {"message"}}``, Neutron's
    ``{"NeutronError": {"message"}}``, Glance's text or ``{"message"}``), else the status line."""
    text = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and value.get("message"):
                return str(value["message"])[:ERROR_TEXT_LIMIT]
        if body.get("message"):
            return str(body["message"])[:ERROR_TEXT_LIMIT]
        if isinstance(body.get("error"), dict) and body["error"].get("message"):
            return str(body["error"]["message"])[:ERROR_TEXT_LIMIT]
    try:
        text = (response.text or "").strip()
    except (UnicodeDecodeError, ValueError):
        text = ""
    if text:
        # Glance and webob answer an HTML-ish page: keep its last meaningful line.
        lines = [line.strip() for line in text.replace("<br />", "\n").splitlines() if line.strip()
                 and not line.strip().startswith("<")]
        return (lines[-1] if lines else text)[:ERROR_TEXT_LIMIT]
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def error_for(service: str, method: str, path: str, response, what: str | None = None) -> CloudError:
    status = response.status_code
    message = error_message(response)
    request_id = response.headers.get("x-openstack-request-id") or response.headers.get("x-compute-request-id")
    prefix = f"{what}: " if what else f"{service} {method} {path}: "
    text = f"{prefix}{message} (HTTP {status})"
    lowered = message.lower()
    if status == 413 or (status == 403 and ("quota" in lowered and "exceed" in lowered)):
        error_class = OverQuota
    elif status in (401, 403):
        error_class = Forbidden
    elif status == 404:
        error_class = NotFound
    elif status == 409:
        error_class = Conflict
    elif status >= 500:
        error_class = ServiceUnavailable
    elif status >= 400:
        error_class = BadRequest
    else:
        error_class = CloudError
    return error_class(text, status=status, service=service, request_id=request_id)


class ApiClient:
    """A service's REST API through the given session (which decides the user and project)."""

    service_type = ""
    service_name = ""  # how errors name the service: Nova, Cinder, Glance, Neutron
    microversion: str | None = None

    def __init__(self, session: ks_session.Session, *, region_name: str | None = None,
                 interface: str | None = "public", endpoint_override: str | None = None) -> None:
        self.session = session
        self.adapter = ks_adapter.Adapter(
            session, service_type=self.service_type, interface=interface, region_name=region_name,
            endpoint_override=endpoint_override, default_microversion=self.microversion, raise_exc=False,
            connect_retries=3, connect_retry_delay=1.0)

    def request(self, method: str, path: str, *, json=None, params=None, headers: dict | None = None,
                data=None, stream: bool = False, what: str | None = None, ok_statuses=None):
        kwargs = {}
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        if params:
            kwargs["params"] = params
        if headers:
            kwargs["headers"] = headers
        if stream:
            kwargs["stream"] = True
        try:
            response = self.adapter.request(path, method, **kwargs)
        except ks_exceptions.EndpointNotFound as error:
            raise CloudError(f"the service catalog has no {self.service_type} endpoint: {error}",
                             service=self.service_name) from None
        if response.status_code >= 400 and (ok_statuses is None or response.status_code not in ok_statuses):
            raise error_for(self.service_name, method, path, response, what)
        return response

    def get(self, path: str, *, params=None, what: str | None = None) -> dict:
        return self._json(self.request("GET", path, params=params, what=what))

    def post(self, path: str, body: dict | None = None, *, what: str | None = None, headers=None) -> dict:
        return self._json(self.request("POST", path, json=body if body is not None else {}, what=what,
                                       headers=headers))

    def put(self, path: str, body: dict | None = None, *, what: str | None = None) -> dict:
        return self._json(self.request("PUT", path, json=body, what=what))

    def delete(self, path: str, *, what: str | None = None, missing_ok: bool = False) -> None:
        try:
            self.request("DELETE", path, what=what)
        except NotFound:
            if not missing_ok:
                raise

    @staticmethod
    def _json(response) -> dict:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            return {}

    def paginate(self, path: str, key: str, params: dict | None = None, links_key: str | None = None,
                 limit: int = 1000) -> Iterator[dict]:
        """Every item of a list, following markers (Nova/Cinder ``*_links``, Neutron ``*_links``)."""
        query = dict(params or {})
        query.setdefault("limit", limit)
        links_key = links_key or f"{key}_links"
        seen_marker = None
        while True:
            body = self.get(path, params=query)
            items = body.get(key) or []
            yield from items
            next_link = next((link for link in body.get(links_key) or [] if link.get("rel") == "next"), None)
            if not items or next_link is None or len(items) < 1:
                return
            marker = items[-1].get("id") or items[-1].get("name")
            if marker is None or marker == seen_marker:
                return
            seen_marker = marker
            query["marker"] = marker


def dumps(value) -> str:
    return jsonlib.dumps(value, sort_keys=True)
