# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Errors the service layer raises; each carries the HTTP status the REST API answers with."""
from __future__ import annotations


class ServiceError(Exception):
    status = 500
    code = "error"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(ServiceError):
    """Bad input: always names the field and what is wrong with it."""

    status = 400
    code = "invalid"

    def __init__(self, field: str, message: str):
        super().__init__(message, field)


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    """Also what another project's object looks like: its existence is never revealed."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Gone(ServiceError):
    status = 410
    code = "gone"


class Unprocessable(ServiceError):
    """Well-formed, but the object cannot do it (a volume holding no filesystem this product reads)."""

    status = 422
    code = "unprocessable"


class QuotaExceeded(ServiceError):
    status = 413
    code = "quota_exceeded"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"
