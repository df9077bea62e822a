# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""One error shape for every failure: ``{"error": {"code", "message", "field"}}``; a 400 always names the field.

DRF's views answer through ``exception_handler``; what fails outside a view (an unknown URL, a response that cannot
be rendered) through Django's ``handler404``/``handler500`` (``urls``), so no answer is ever Django's HTML page.
Anything no layer expected is a 500 that carries a request id, logged with its traceback under that id: the caller
quotes the id, the operator finds the traceback; the message says nothing of the cause.
"""
from __future__ import annotations

import logging
import uuid

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from storage_backup.services.errors import ServiceError

LOG = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-OpenStack-Request-ID"


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


def _internal_error(request, error: BaseException | None) -> tuple[dict, str]:
    """The body of an unexpected failure, logged with its traceback under a new request id."""
    request_id = f"req-{uuid.uuid4()}"
    where = f"{getattr(request, 'method', '?')} {getattr(request, 'path', '?')}"
    LOG.error("request %s (%s) failed unexpectedly", request_id, where,
              exc_info=(type(error), error, error.__traceback__) if error is not None else None)
    answer = body("internal_error", f"The backup service failed unexpectedly; quote request {request_id} to "
                                    "your cloud administrator.")
    answer["error"]["request_id"] = request_id
    return answer, request_id


def exception_handler(exc, context):
    if isinstance(exc, RecursionError):  # input nested beyond what any layer can walk
        return Response(body("invalid", "body: is nested too deeply", "body"), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response(body("too_large", f"body: {exc}", "body"), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        return Response(body("invalid", f"request: {exc}", "request"), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
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
        answer, request_id = _internal_error(context.get("request"), exc)
        return Response(answer, status=status.HTTP_500_INTERNAL_SERVER_ERROR, headers={REQUEST_ID_HEADER: request_id})
    codes = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             406: "not_acceptable", 415: "unsupported_media_type", 429: "throttled"}
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if response.status_code == 401:
        detail = "Authentication required: send a valid project-scoped Keystone token in X-Auth-Token."
    response.data = body(codes.get(response.status_code, "error"), str(detail))
    return response


def not_found(request: HttpRequest, exception: BaseException | None = None) -> JsonResponse:
    """Django's ``handler404``: a URL no route matches."""
    return JsonResponse(body("not_found", f"No resource at {request.path}; the API's routes are in "
                                          "/v1/openapi.json."), status=404)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> JsonResponse:
    """Django's ``handler400`` (a suspicious request refused before any view)."""
    return JsonResponse(body("invalid", "request: the request was refused as malformed", "request"), status=400)


def forbidden(request: HttpRequest, exception: BaseException | None = None) -> JsonResponse:
    """Django's ``handler403``."""
    return JsonResponse(body("forbidden", "You do not have permission to perform this action."), status=403)


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's ``handler500``: what failed outside a view's own handling (the traceback is logged by Django)."""
    import sys

    answer, request_id = _internal_error(request, sys.exc_info()[1])
    response = JsonResponse(answer, status=500)
    response[REQUEST_ID_HEADER] = request_id
    return response
