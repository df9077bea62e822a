# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The product's errors for what OpenStack refused or did not do, and the one place openstacksdk's become them.

Every error carries a message an operator can act on (the service's own words where it gave some), and the class
names are what the control plane sorts failures by (``ServiceUnavailable`` is worth a retry, the others are not).
"""
from __future__ import annotations

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions

ERROR_TEXT_LIMIT = 600


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
    """The service account's credentials are missing or unusable, or the cloud cannot serve the pinned versions."""


class BadRequest(CloudError):
    """400: the request is wrong for the resource's current state (the message says why)."""


class AccessDenied(CloudError):
    """401/403: the service account may not do this (role, policy, or project scope)."""


class ResourceNotFound(CloudError):
    """404: the resource does not exist (or is not visible to this token)."""


class ResourceConflict(CloudError):
    """409: the resource is busy or the name is taken."""


class OverQuota(CloudError):
    """413, or Nova's 403 "Quota exceeded": the project's quota does not allow it."""


class ServiceUnavailable(CloudError):
    """5xx, or the service unreachable: a later attempt may succeed (the control plane retries by this class)."""


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


def service_words(error: sdk_exceptions.HttpException) -> str:
    """What the service said: openstacksdk's ``details`` (the ``message`` of Nova's ``{"badRequest": …}``,
    Neutron's ``NeutronError``, Glance's text), else the last meaningful line of the body, else the status line."""
    if error.details:
        return str(error.details)[:ERROR_TEXT_LIMIT]
    response = error.response
    text = ""
    if response is not None:
        try:
            text = (response.text or "").strip()
        except (UnicodeDecodeError, ValueError):
            text = ""
    if text:
        # webob and proxies answer an HTML page: keep its last line that is not markup.
        lines = [line.strip() for line in text.replace("<br />", "\n").splitlines()
                 if line.strip() and not line.strip().startswith("<")]
        return (lines[-1] if lines else text)[:ERROR_TEXT_LIMIT]
    return f"HTTP {error.status_code}"


def _http_error_class(status: int, words: str) -> type[CloudError]:
    lowered = words.lower()
    if status == 413 or (status == 403 and "quota" in lowered and "exceed" in lowered):
        return OverQuota
    if status in (401, 403):
        return AccessDenied
    if status == 404:
        return ResourceNotFound
    if status == 409:
        return ResourceConflict
    if status >= 500:
        return ServiceUnavailable
    if status >= 400:
        return BadRequest
    return CloudError


def from_sdk(error: Exception, what: str, service: str | None = None) -> CloudError:
    """The product's error for what openstacksdk or keystoneauth raised while doing ``what`` (``Cinder could not
    create volume 'x'``): the class by HTTP status, the message ``<what>: <the service's words> (HTTP <status>)``."""
    if isinstance(error, CloudError):
        return error
    if isinstance(error, sdk_exceptions.HttpException) and error.status_code:
        words = service_words(error)
        error_class = _http_error_class(error.status_code, words)
        return error_class(f"{what}: {words} (HTTP {error.status_code})", status=error.status_code, service=service,
                           request_id=error.request_id)
    if isinstance(error, sdk_exceptions.NotFoundException):  # a find_*() that found nothing answers no status
        return ResourceNotFound(f"{what}: {error.message}", status=404, service=service)
    if isinstance(error, (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout,
                          ks_exceptions.RetriableConnectionFailure, ks_exceptions.ServiceUnavailable)):
        return ServiceUnavailable(f"{what}: the service cannot be reached ({error})", service=service)
    if isinstance(error, ks_exceptions.HttpError) and error.http_status:
        # keystoneauth's own errors (logging in, discovery) carry the status the same way.
        error_class = _http_error_class(error.http_status, str(error.message or ""))
        return error_class(f"{what}: {error.message} (HTTP {error.http_status})", status=error.http_status,
                           service=service)
    if isinstance(error, (ks_exceptions.EndpointNotFound, sdk_exceptions.EndpointNotFound)):
        return ConfigurationError(f"{what}: the service catalog has no endpoint for it ({error})", service=service)
    if isinstance(error, (ks_exceptions.DiscoveryFailure, sdk_exceptions.ConfigException)):
        return ConfigurationError(f"{what}: {error}", service=service)
    return CloudError(f"{what}: {error}", service=service)


#: What ``from_sdk`` translates: openstacksdk's and keystoneauth's exceptions (not the product's, nor bugs).
SDK_ERRORS = (sdk_exceptions.SDKException, ks_exceptions.ClientException)
