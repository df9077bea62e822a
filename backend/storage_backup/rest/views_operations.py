# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What an operator's monitoring and orchestration read from the REST API: ``/healthz``, ``/readyz``, ``/metrics``.

``/healthz`` (liveness) answers 200 as long as the process serves requests, with no detail and no authentication: a
restart is the only remedy it can call for. ``/readyz`` (readiness) asks the catalog database and Redis, each within
``STORAGE_BACKUP_READY_CHECK_TIMEOUT``, and answers 503 naming which is down (a name and the kind of error, never an
address or a credential), so a load balancer stops sending requests this process cannot serve.

``/metrics`` is Prometheus's. Prometheus scrapes with a static credential and cannot obtain Keystone tokens, so the
operator gives it a bearer token (``STORAGE_BACKUP_METRICS_TOKEN_FILE``, optionally limited to the addresses of
``STORAGE_BACKUP_METRICS_ALLOW_FROM``); a person with a Keystone token that passes ``storage_backup:admin:metrics``
(administrators) reads it too. Nothing else does: the figures describe every project's activity.
"""
from __future__ import annotations

import concurrent.futures
import hmac
import ipaddress
import logging

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from storage_backup.policies import usage as usage_rules
from storage_backup.rest.auth import KeystoneAuthentication
from storage_backup.rest.errors import body
from storage_backup.services.context import authorize
from storage_backup.services.metrics import CatalogCollector

LOG = logging.getLogger(__name__)


class HealthView(APIView):
    """Liveness: the process answers."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, auth=[])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


def _check_database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this thread's own connection: nothing keeps it afterwards


def _check_redis(timeout: float) -> None:
    client = redis.Redis.from_url(settings.BROKER_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def readiness() -> dict[str, str]:
    """What is down, by name: ``{"catalog": "OperationalError", "redis": "no answer within 3 s"}`` (empty: ready).
    Both are asked at once, each on a thread of its own, so a hung one costs the timeout and no more."""
    timeout = settings.HEALTH["check_timeout"]
    checks = {"catalog": _check_database, "redis": lambda: _check_redis(timeout)}
    down: dict[str, str] = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(check) for name, check in checks.items()}
        for name, future in futures.items():
            try:
                future.result(timeout=timeout)
            except concurrent.futures.TimeoutError:
                down[name] = f"no answer within {timeout:g} s"
            except Exception as error:  # the kind of error only: its text may hold an address
                LOG.warning("readyz: %s is down: %s", name, error)
                down[name] = type(error).__name__
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return down


class ReadyView(APIView):
    """Readiness: the catalog database and Redis answer."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT}, auth=[])
    def get(self, request: Request) -> Response:
        down = readiness()
        if down:
            return Response({"status": "not ready", "down": down}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"status": "ready"})


def metrics_token() -> str:
    """The scraper's bearer token: the file's first line, else the variable; empty when none is configured."""
    path = settings.METRICS["token_file"]
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().strip()
    return settings.METRICS["token"]


def address_allowed(address: str) -> bool:
    networks = settings.METRICS["allow_from"]
    if not networks:
        return True
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(network, strict=False) for network in networks)


class MetricsView(APIView):
    """The Prometheus text exposition, computed at each scrape (``services/metrics.py``)."""

    authentication_classes = [KeystoneAuthentication]
    permission_classes = [AllowAny]  # decided in get: a bearer token or a Keystone token with the rule

    @extend_schema(responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR,
                                                                   description="Prometheus text format"),
                              401: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT})
    def get(self, request: Request):
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            expected = metrics_token()
            offered = header[len("bearer "):].strip()
            if not expected or not hmac.compare_digest(offered.encode(), expected.encode()):
                return self._unauthenticated("the bearer token is not the one configured "
                                             "(STORAGE_BACKUP_METRICS_TOKEN_FILE)")
            if not address_allowed(request.META.get("REMOTE_ADDR", "")):
                return Response(body("forbidden", "metrics: this address is not in "
                                                  "STORAGE_BACKUP_METRICS_ALLOW_FROM"),
                                status=status.HTTP_403_FORBIDDEN)
        elif request.user is not None:
            authorize(request.user.caller, usage_rules.METRICS)
        else:
            return self._unauthenticated("send the scraper's bearer token (Authorization: Bearer …) or an "
                                         "administrator's Keystone token in X-Auth-Token")
        registry = CollectorRegistry(auto_describe=False)
        registry.register(CatalogCollector())
        return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    @staticmethod
    def _unauthenticated(why: str) -> Response:
        return Response(body("not_authenticated", f"metrics: {why}"), status=status.HTTP_401_UNAUTHORIZED,
                        headers={"WWW-Authenticate": 'Bearer realm="storage-backup metrics"'})
