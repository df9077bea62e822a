# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""One error shape for every failure: ``{"error": {"code", "message", "field"}}``; a 400 always names the field."""
from __future__ import annotations

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from storage_backup.services.errors import ServiceError


def _first_field_error(detail, prefix: str = "") -> tuple[str, str]:
    """The first failing field of a DRF validation error, as a dotted path, and its message."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" and prefix else (f"{prefix}.{key}" if prefix else str(key))
            return _first_field_error(value, name)
    if isinstance(detail, list) and detail:
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and value:
                return _first_field_error(value, f"{prefix}.{index}" if prefix else str(index))
        return prefix or "body", str(detail[0])
    return prefix or "body", str(detail)


def body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(body(exc.code, exc.message, exc.field), status=exc.status)
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_field_error(exc.detail)
        if field == "non_field_errors":
            field = "body"
        return Response(body("invalid", f"{field}: {message}", field), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        return Response(body("invalid", f"body: {exc.detail}", "body"), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    codes = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             406: "not_acceptable", 415: "unsupported_media_type", 429: "throttled"}
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if response.status_code == 401:
        detail = "Authentication required: send a valid project-scoped Keystone token in X-Auth-Token."
    response.data = body(codes.get(response.status_code, "error"), str(detail))
    return response
