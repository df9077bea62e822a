# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``Cloud``: an openstacksdk ``Connection`` of the backup service account, its service proxies raising the
product's errors, and the same account scoped to a tenant's project.

The account comes from ``clouds.yaml`` (``OS_CLIENT_CONFIG_FILE`` + ``OS_CLOUD``, the way the ``openstack`` CLI
finds it) or from ``OS_*`` environment variables. It is typically admin in the ``service`` project (to snapshot,
attach and clean up any project's volumes) and ``member`` in the projects it restores into: a restored volume or
server must belong to the tenant's project, so it is created through a connection scoped to that project.

Microversions are pinned, so what the product sends and reads never changes with the cloud's newest version nor
with openstacksdk's per-resource maximum (``Resource._max_microversion``, negotiated against the version document
when no default is set): ``compute_default_microversion`` / ``block_storage_default_microversion`` make the pin the
microversion of every request of those proxies, and openstacksdk refuses (``ConfigurationError`` here) a cloud whose
version document does not serve it. The exceptions are openstacksdk's own, for actions whose answer it parses
itself: ``createImage`` at 2.45 (the image id in the body) and Cinder's snapshot actions (``os-force_delete``) at
3.65; and the product's own ``rebuild`` at 2.93 (``rebuild.py``: from 2.93 it reimages a volume-backed server's boot
volume in place, the in-place revert's mechanism).

* Nova **2.89** (2024.1 serves up to 2.96): 2.26 ``tags`` in the server body, 2.45 ``createImage`` answers the
  image id in its body, 2.47 the flavor embedded in the server, 2.52 ``tags`` on create, 2.79
  ``delete_on_termination`` per attachment, 2.89 the attachment and BDM UUIDs.
* Cinder **3.66** (2024.1 serves up to 3.71): 3.13 ``group_id`` on volumes, 3.14 group snapshots, 3.22 metadata
  filters on snapshots, 3.27+ the attachments API, 3.42 extending in-use volumes, 3.66 snapshots of in-use volumes
  without ``force`` (``force: true`` is still accepted and sent).
* Glance v2, Neutron v2.0 and Keystone v3 have no microversions.
"""
from __future__ import annotations

import functools
import inspect
import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import openstack.config
from openstack import connection as sdk_connection

from .errors import SDK_ERRORS, ConfigurationError, ResourceNotFound, from_sdk

T = TypeVar("T")

NOVA_MICROVERSION = "2.89"
CINDER_MICROVERSION = "3.66"
DEFAULT_HTTP_TIMEOUT = 60.0  # seconds for one HTTP request (connect + read); waits have their own timeouts
DEFAULT_POLL_INTERVAL = 2.0  # seconds between two looks at a resource being waited for (openstacksdk's default)
APP_NAME = "storage-backup"

#: The pins and the HTTP behaviour every connection of the product gets, whatever ``clouds.yaml`` says.
PINNED_CONFIG = {
    "compute_api_version": "2", "compute_default_microversion": NOVA_MICROVERSION,
    "block_storage_api_version": "3", "block_storage_default_microversion": CINDER_MICROVERSION,
    "image_api_version": "2", "identity_api_version": "3",
    "connect_retries": 3,
}

#: How errors name each service.
SERVICE_NAMES = {"compute": "Nova", "block_storage": "Cinder", "image": "Glance", "network": "Neutron",
                 "identity": "Keystone"}
_VERBS = frozenset({"get", "find", "create", "delete", "update", "set", "reset", "upload", "download", "extend",
                    "add", "remove", "attach", "detach", "post", "put", "patch", "head"})
_KWARGS_NAMED_IN_ERRORS = ("name", "volume_id", "snapshot_id", "image_id", "group_id", "device_id", "network_id",
                           "status")


def _describe(service: str, method: str, args: tuple, kwargs: dict) -> str:
    """``Cinder could not create volume (name 'x', snapshot_id 'y')``: what a failed call was doing, for its
    error message (the service's own words follow)."""
    words = method.split("_")
    # openstacksdk names its list calls by the plural alone (``servers``, ``volume_attachments``).
    phrase = " ".join(words) if words[0] in _VERBS else "list " + " ".join(words)
    subjects = [getattr(arg, "id", arg) for arg in args[:2]]  # ids, or resources standing for them
    subjects = [subject for subject in subjects if isinstance(subject, str)]
    text = f"{service} could not {phrase}" + (f" {', '.join(subjects)}" if subjects else "")
    named = [f"{key} {kwargs[key]!r}" for key in _KWARGS_NAMED_IN_ERRORS if kwargs.get(key)]
    return text + (f" ({', '.join(named)})" if named else "")


def get_or_none(get: Callable[[str], T], resource_id: str) -> T | None:
    """``get(resource_id)`` (``cloud.compute.get_server``…), or None where the service has no such resource.
    Unlike openstacksdk's ``find_*``, never matches a *name* equal to the id."""
    try:
        return get(resource_id)
    except ResourceNotFound:
        return None


def without_none(**attrs) -> dict:
    """The attributes that have a value: openstacksdk sends an attribute set to None as ``null``, which some
    services refuse where they accept its absence."""
    return {key: value for key, value in attrs.items() if value is not None}


class ServiceProxy:
    """An openstacksdk service proxy (``conn.compute``, ``conn.block_storage``…) whose calls raise the product's
    errors (``errors.from_sdk``) instead of openstacksdk's, lists included. ``.sdk`` is the proxy itself, for what
    takes a proxy as its session (``openstack.resource.wait_for_status``)."""

    def __init__(self, connection: sdk_connection.Connection, attribute: str) -> None:
        self._connection = connection
        self._attribute = attribute
        self.service_name = SERVICE_NAMES[attribute]

    @functools.cached_property
    def sdk(self):
        """The openstacksdk proxy: made on first use, which reads the service's version document (and checks
        that it serves the pinned microversion)."""
        try:
            return getattr(self._connection, self._attribute)
        except SDK_ERRORS as error:
            raise from_sdk(error, f"{self.service_name} is not usable", self.service_name) from error

    def __getattr__(self, name: str):
        target = getattr(self.sdk, name)
        if not callable(target):
            return target
        service = self.service_name

        @functools.wraps(target)
        def call(*args, **kwargs):
            what = _describe(service, name, args, kwargs)
            try:
                result = target(*args, **kwargs)
            except SDK_ERRORS as error:
                raise from_sdk(error, what, service) from error
            if inspect.isgenerator(result):
                return _mapped_items(result, what, service)
            return result

        return call


def _mapped_items(items: Iterator, what: str, service: str) -> Iterator:
    """A list call's items; a page that fails to load raises the product's error."""
    try:
        yield from items
    except SDK_ERRORS as error:
        raise from_sdk(error, what, service) from error


class Cloud:
    """The product's one door to OpenStack: ``cloud.compute`` (Nova), ``cloud.block_storage`` (Cinder),
    ``cloud.image`` (Glance), ``cloud.network`` (Neutron), ``cloud.identity`` (Keystone): openstacksdk's proxies,
    with the product's errors.

        cloud = Cloud.from_environment()                  # the backup service account
        server = cloud.compute.get_server(server_id)
        tenant = cloud.for_project(server.project_id)     # same account, scoped to the tenant's project
        tenant.block_storage.create_volume(size=10, name="restored")

    ``poll_interval`` is how often the waits of ``storage_backup.cloud.waiting`` look at a resource.
    """

    def __init__(self, connection: sdk_connection.Connection, *,
                 poll_interval: float = DEFAULT_POLL_INTERVAL) -> None:
        self.connection = connection
        self.poll_interval = poll_interval
        self.compute = ServiceProxy(connection, "compute")
        self.block_storage = ServiceProxy(connection, "block_storage")
        self.image = ServiceProxy(connection, "image")
        self.network = ServiceProxy(connection, "network")
        self.identity = ServiceProxy(connection, "identity")
        self._projects: dict[str, Cloud] = {}
        self._lock = threading.Lock()

    # -- making one -------------------------------------------------------------------------------------------------

    @classmethod
    def connect(cls, cloud: str | None = None, clouds_yaml: str | None = None, *, auth: dict | None = None,
                auth_type: str = "password", region_name: str | None = None,
                http_timeout: float = DEFAULT_HTTP_TIMEOUT, poll_interval: float = DEFAULT_POLL_INTERVAL) -> Cloud:
        """A ``clouds.yaml`` entry (``clouds_yaml`` or the standard locations), the ``OS_*`` variables, or an
        explicit ``auth`` dict (``auth_url``, ``username``…)."""
        if clouds_yaml and not os.path.exists(clouds_yaml):
            raise ConfigurationError(f"{clouds_yaml} does not exist: set OS_CLIENT_CONFIG_FILE to the clouds.yaml "
                                     "that holds the backup service account")
        source = cloud or ("(explicit credentials)" if auth else "(from OS_* variables)")
        options = dict(PINNED_CONFIG, api_timeout=http_timeout)
        if auth is not None:
            options.update(auth_type=auth_type, auth={k: v for k, v in auth.items() if v not in (None, "")})
        if region_name:
            options["region_name"] = region_name
        try:
            # With an explicit file (or explicit credentials) the process environment must not win: openstacksdk
            # otherwise reads $OS_CLIENT_CONFIG_FILE and OS_*, and a process serving two clouds (the tests do)
            # reads the wrong one.
            loader = openstack.config.OpenStackConfig(
                config_files=[clouds_yaml] if clouds_yaml else None, app_name=APP_NAME,
                load_yaml_config=auth is None, load_envvars=not clouds_yaml and auth is None)
            region = loader.get_one(cloud=cloud or None, **options)
        except Exception as error:  # openstack.config raises its own exception types for every mistake
            raise ConfigurationError(f"cannot load the cloud {source}"
                                     f"{' from ' + clouds_yaml if clouds_yaml else ''}: {error}") from None
        if not (region.config.get("auth") or {}).get("auth_url"):
            raise ConfigurationError(f"the cloud {source} has no auth_url: set OS_CLOUD and OS_CLIENT_CONFIG_FILE, "
                                     "or OS_AUTH_URL and the other OS_* variables")
        return cls(sdk_connection.Connection(config=region), poll_interval=poll_interval)

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> Cloud:
        """``OS_CLOUD`` (or ``STORAGE_BACKUP_CLOUD``) from ``OS_CLIENT_CONFIG_FILE``, else plain ``OS_*``;
        ``STORAGE_BACKUP_HTTP_TIMEOUT`` and ``STORAGE_BACKUP_POLL_INTERVAL`` in seconds."""
        env = os.environ if environ is None else environ
        return cls.connect(env.get("OS_CLOUD") or env.get("STORAGE_BACKUP_CLOUD") or None,
                           env.get("OS_CLIENT_CONFIG_FILE") or None,
                           http_timeout=float(env.get("STORAGE_BACKUP_HTTP_TIMEOUT") or DEFAULT_HTTP_TIMEOUT),
                           poll_interval=float(env.get("STORAGE_BACKUP_POLL_INTERVAL") or DEFAULT_POLL_INTERVAL))

    # -- who it is --------------------------------------------------------------------------------------------------

    def _session_value(self, read: Callable[[], str], what: str) -> str:
        try:
            return read()
        except SDK_ERRORS as error:
            raise from_sdk(error, f"Keystone could not log in {what}", "Keystone") from error

    @property
    def project_id(self) -> str:
        return self._session_value(self.connection.session.get_project_id, "the backup service account")

    @property
    def user_id(self) -> str:
        return self._session_value(self.connection.session.get_user_id, "the backup service account")

    def for_project(self, project_id: str) -> Cloud:
        """The same account with a token scoped to ``project_id`` (it needs a role there, e.g. ``member``); kept
        for reuse. Application credentials are bound to one project and cannot be rescoped: say so."""
        if project_id == self.project_id:
            return self
        with self._lock:
            scoped = self._projects.get(project_id)
            if scoped is None:
                auth_type = str(self.connection.config.config.get("auth_type") or "")
                if "applicationcredential" in auth_type:
                    raise ConfigurationError(
                        "the backup service account logs in with an application credential, which is bound to one "
                        f"project; it cannot act in project {project_id}. Give it a password, or a role in that "
                        "project through a password account.")
                try:
                    connection = self.connection.connect_as(project_id=project_id)
                except SDK_ERRORS as error:
                    raise from_sdk(error, f"cannot scope the backup service account to project {project_id}",
                                   "Keystone") from error
                scoped = self._projects[project_id] = Cloud(connection, poll_interval=self.poll_interval)
            return scoped

    def close(self) -> None:
        for scoped in self._projects.values():
            scoped.close()
        self.connection.close()
