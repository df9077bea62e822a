# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The embedded cloud's WSGI application and HTTP server.

One process, one port, the devstack URL layout: ``/identity``, ``/compute/v2.1``, ``/volume/v3/<project>``,
``/image``, ``/network``, plus ``/_sandbox`` for fault injection and health. Every request is token-checked
(except the public version documents and token issue), negotiates its microversion, runs under the state lock
and leaves the state saved before the answer goes out.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from storage_backup_sandbox import keystone
from storage_backup_sandbox.http import ApiError, Call, Service, build_map, json_response
from storage_backup_sandbox.state import State

LOG = logging.getLogger("storage_backup_sandbox")


def all_services() -> list[Service]:
    """Every service module's ``Service``; importing them registers their routes and transitions."""
    from storage_backup_sandbox import cinder, faults, glance, neutron, nova

    return [keystone.identity, nova.compute, nova.nova_placement.placement, cinder.volume, glance.image,
            neutron.network, faults.control]


class SandboxApp:
    """WSGI entry point: route, authenticate, negotiate, call, render."""

    def __init__(self, state: State, services: Iterable[Service] | None = None):
        self.state = state
        self.services = list(services) if services is not None else all_services()
        self.url_map = build_map(self.services)
        self.unrouted: list[str] = []  # what a client asked for that this cloud does not serve (see /_sandbox)

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def _service_for_path(self, path: str) -> Service | None:
        for service in self.services:
            if path == service.prefix or path.startswith(service.prefix + "/"):
                return service
        return None

    def handle(self, request: Request) -> Response:
        started = time.time()
        request_id = "req-" + str(uuid.uuid4())
        adapter = self.url_map.bind_to_environ(request.environ)
        service = self._service_for_path(request.path)
        base_url = request.host_url.rstrip("/")
        try:
            try:
                (service, handler, public, locked), url_args = adapter.match()
            except NotFound:
                self.unrouted.append(f"{request.method} {request.path}")
                LOG.warning("UNROUTED %s %s", request.method, request.full_path)
                raise ApiError(404, f"The resource could not be found: {request.method} {request.path}") from None
            except MethodNotAllowed:
                raise ApiError(405, f"Method {request.method} is not allowed for {request.path}") from None
            call = Call(request=request, state=self.state, service=service, base_url=base_url)
            call.request_id = request_id  # Nova records it in a server's instance actions
            call.ctx = keystone.context_for_token(self.state, request.headers.get("X-Auth-Token"))
            if call.ctx is None and not public:
                raise ApiError(401, "The request you have made requires authentication.", headers={
                    "WWW-Authenticate": f'Keystone uri="{base_url}/identity"'})
            if service.microversions is not None:
                call.microversion = service.microversions.negotiate(request)
                call.response_headers.update(service.microversions.headers(call.microversion))
            if locked:
                with self.state.lock:
                    result = handler(call, **url_args)
            else:
                result = handler(call, **url_args)
            response = self._render(result, call.response_headers)
        except ApiError as error:
            body_service = service or keystone.identity
            headers = dict(error.headers)
            response = json_response(error.status, body_service.error_body(error), headers)
        except Exception:
            LOG.exception("sandbox failure on %s %s", request.method, request.path)
            error = ApiError(500, "The server has either erred or is incapable of performing the requested operation.")
            response = json_response(500, (service or keystone.identity).error_body(error))
        self.state.save()
        response.headers["x-openstack-request-id"] = request_id
        if service is not None and service.name == "compute":
            response.headers["x-compute-request-id"] = request_id
        LOG.info("%s %s -> %s (%.0f ms)", request.method, request.full_path.rstrip("?"), response.status_code,
                 (time.time() - started) * 1000)
        return response

    @staticmethod
    def _render(result, extra_headers: dict) -> Response:
        if isinstance(result, Response):
            response = result
        else:
            status, body = result
            response = json_response(status, body)
        for key, value in extra_headers.items():
            response.headers.setdefault(key, value)
        return response


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's request handler without its per-request stderr line (the app logs requests itself)."""

    def log_request(self, code="-", size="-"):
        pass


class SandboxServer:
    """The embedded cloud bound to a port, serving in a thread (tests) or in the foreground (``__main__``)."""

    def __init__(self, state_dir: str, host: str = "127.0.0.1", port: int = 0, transition_delay: float = 0.3):
        self.state = State(state_dir, transition_delay=transition_delay)
        keystone.seed_identity(self.state)
        self.app = SandboxApp(self.state)
        self.httpd: BaseWSGIServer = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.host = host
        self.port = self.httpd.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/identity/v3"

    def start(self) -> None:
        self.state.start()
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        self.state.start()
        try:
            self.httpd.serve_forever()
        finally:
            self.state.stop()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.state.stop()

    def write_endpoint_file(self) -> str:
        """``DIR/sandbox.json``: where this sandbox listens, for scripts and test fixtures."""
        path = os.path.join(self.state.state_dir, "sandbox.json")
        with open(path + ".tmp", "w") as handle:
            json.dump({"url": self.url, "auth_url": self.auth_url, "pid": os.getpid(),
                       "clouds_yaml": os.path.join(self.state.state_dir, "clouds.yaml")}, handle)
        os.replace(path + ".tmp", path)
        return path
