# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Errors of the OpenStack access layer.

Every error carries a message an operator can act on (the service's own words where it gave some), and the class
names are what the control plane sorts failures by (``ServiceUnavailable`` is worth a retry, the others are not).
"""
from __future__ import annotations


class CloudError(Exception):
    """An OpenStack API refused a request, or a resource did not get where it had to."""

    def __init__(self, message: str, *, status: int | None = None, service: str | None = None,
                 request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.service = service
        self.request_id = request_id


class ConfigurationError(CloudError):
    """The service account's credentials are missing or unusable."""


class BadRequest(CloudError):
    """400: the request is wrong for the resource's current state (the message says why)."""


class Forbidden(CloudError):
    """401/403: the service account may not do this (role, policy, or project scope)."""


class NotFound(CloudError):
    """404: the resource does not exist (or is not visible to this token)."""


class Conflict(CloudError):
    """409: the resource is busy or the name is taken."""


class OverQuota(CloudError):
    """413, or Nova's 403 "Quota exceeded": the project's quota does not allow it."""


class ServiceUnavailable(CloudError):
    """5xx: the service failed; a later attempt may succeed (the control plane retries by this class name)."""


class ResourceFailed(CloudError):
    """A resource went to an error status (``error``, ``error_deleting``, ``killed``, ``ERROR``)."""

    def __init__(self, message: str, *, resource: str = "", resource_id: str = "", status: str = "") -> None:
        super().__init__(message)
        self.resource = resource
        self.resource_id = resource_id
        self.resource_status = status


class ResourceTimeout(CloudError):
    """A resource stayed in a status longer than its timeout; the message names it and the status."""

    def __init__(self, message: str, *, resource: str = "", resource_id: str = "", status: str = "",
                 timeout: float = 0.0) -> None:
        super().__init__(message)
        self.resource = resource
        self.resource_id = resource_id
        self.resource_status = status
        self.timeout = timeout
