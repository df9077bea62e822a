# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Backup panels' door to the backup service (its REST API) and to the cloud (through Horizon's own api).

The backup service is called over HTTP with the logged-in user's Keystone token, at the ``data-protection``
endpoint of the user's service catalog, exactly as manila-ui calls Manila: the service enforces tenancy and roles
itself, so what a user sees here is what the API lets that token see.

As Horizon's ``api/cinder.py``: one function per call, taking the request first and returning wrapped objects
(attribute access); each calls a public method of the REST client (``storage_backup_dashboard.client``, one per
request), is traced by Horizon's profiler (a no-op unless ``OPENSTACK_PROFILER['enabled']``), and lets the
client's errors out as the plugin's exceptions (``storage_backup_dashboard.exceptions``, which
``horizon.exceptions.handle`` knows) through one decorator, ``service_errors``.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from horizon.utils import functions as horizon_utils
from horizon.utils.memoized import memoized
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from openstack_dashboard.api import base, cinder, keystone, neutron, nova
from openstack_dashboard.contrib.developer.profiler import api as profiler

from storage_backup_dashboard import exceptions
from storage_backup_dashboard.client import BackupApiError, BackupClient

LOG = logging.getLogger(__name__)

SERVICE_TYPE = "data-protection"
PROTECTION_NOT_PROTECTED = "not_protected"
PROTECTION_PROTECTED = "protected"
ACTIVE_JOB_STATES = ("queued", "running")
TIMEOUT = 30
# What a form's choices or a detail page lists at most (policies to choose from, instances a policy protects).
CHOICES_LIMIT = 1000
POLICY_INSTANCES_LIMIT = 200
# Nova answers with the attached volumes under this extension name (microversion 2.3 adds delete_on_termination).
VOLUMES_ATTACHED = "os-extended-volumes:volumes_attached"
AVAILABILITY_ZONE = "OS-EXT-AZ:availability_zone"
# keystoneauth's ways of saying the service did not answer at all.
UNREACHABLE = (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout, ks_exceptions.RetriableConnectionFailure,
               ks_exceptions.EndpointNotFound)


# -- the client --------------------------------------------------------------------------------------------------

def is_service_enabled(request) -> bool:
    """True when the user's catalog has the backup service (the panels hide themselves otherwise)."""
    return base.is_service_enabled(request, SERVICE_TYPE)


def _endpoint(request) -> str:
    url = base.url_for(request, SERVICE_TYPE).rstrip("/")
    # The catalog names the versioned root (``…/v1``); the client's paths carry the version.
    return url[:-3] if url.endswith("/v1") else url


@memoized
def backupclient(request) -> BackupClient:
    endpoint = _endpoint(request)
    auth = token_endpoint.Token(endpoint, request.user.token.id)
    verify = getattr(settings, "OPENSTACK_SSL_CACERT", None) or not getattr(settings, "OPENSTACK_SSL_NO_VERIFY",
                                                                             False)
    session = ks_session.Session(auth=auth, verify=verify, timeout=TIMEOUT)
    return BackupClient(session, endpoint=endpoint, timeout=TIMEOUT)


def service_errors(function: Callable) -> Callable:
    """The client's failures as the plugin's exceptions, with the service's own message: 401 logs the user out,
    404 is not found, other 4xx are refusals the user can act on, the rest (and no answer) the service being
    unavailable."""

    @functools.wraps(function)
    def wrapper(request, *args, **kwargs):
        try:
            return function(request, *args, **kwargs)
        except BackupApiError as error:
            kind = {401: exceptions.BackupUnauthorized, 404: exceptions.BackupNotFound}.get(error.status)
            if kind is None:
                kind = (exceptions.BackupRequestRefused if 400 <= error.status < 500
                        else exceptions.BackupServiceUnavailable)
            raise kind(error.message, error.status, error.code, error.field) from error
        except UNREACHABLE as error:
            raise exceptions.BackupServiceUnavailable(
                _("The backup service at %(endpoint)s cannot be reached (%(error)s); try again in a moment or ask "
                  "your cloud administrator.") % {"endpoint": backupclient(request).endpoint,
                                                  "error": type(error).__name__},
                503, "unavailable") from error

    return wrapper


# -- wrapped objects ---------------------------------------------------------------------------------------------

def as_datetime(value) -> dt.datetime | None:
    """A time of the service's answers (ISO 8601, ``Z`` for UTC) as an aware datetime."""
    if not value or isinstance(value, dt.datetime):
        return value or None
    return parse_datetime(str(value).replace("Z", "+00:00"))


class Wrapper(base.APIDictWrapper):
    """A backup service object: attribute access to its fields, times parsed."""

    _times: tuple[str, ...] = ()

    def __init__(self, apidict: dict):
        data = dict(apidict)
        for name in self._times:
            if name in data:
                data[name] = as_datetime(data[name])
        super().__init__(data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._apidict.get('id')}>"


class Policy(Wrapper):
    _times = ("created_at", "updated_at", "last_scheduled_at", "next_run_at")
    destination_name = ""
    vault_name = ""  # the vault its restore points are copied into, or ""
    in_use = None  # instances it protects, when known

    @property
    def retention(self) -> dict:
        return {name: self._apidict.get(f"keep_{name}", 0) for name in ("last", "daily", "weekly", "monthly",
                                                                          "yearly")}

    @property
    def scope(self) -> str:
        return "shared" if self.shared else "project"

    @property
    def schedule_error(self) -> str:
        """Why the schedule cannot run, or "" (a service older than the field says nothing)."""
        return self._apidict.get("schedule_error") or ""


class RestorePoint(Wrapper):
    _times = ("created_at", "retention_lock_until")
    instance_document: dict | None = None

    @property
    def status(self) -> str:
        if self.vault_only:
            return "vault_only"
        return "locked" if self.locked else "available"

    @property
    def vault_only(self) -> bool:
        """Deleted from its primary and recovered from its vault copy: restored from the vault only (a service
        before vault-only points says nothing)."""
        return bool(self._apidict.get("vault_only"))

    @property
    def name(self) -> str:
        return f"{self.instance_name or self.instance_id} @ {self.created_at:%Y-%m-%d %H:%M}" if self.created_at \
            else self.id

    @property
    def volume_count(self) -> int:
        return len(self.volumes or [])

    @property
    def copy_list(self) -> list[dict]:
        """Every copy: the primary, then each vault copy with its state and time (a service before vault copies
        shows the primary alone)."""
        copies = self._apidict.get("copies") or [{"kind": "primary", "destination_id": self.destination_id,
                                                  "destination_name": "", "state": "stored",
                                                  "at": self._apidict.get("created_at")}]
        return [{**copy, "at": as_datetime(copy.get("at"))} for copy in copies]

    @property
    def vault_copied(self) -> bool:
        """A vault holds a complete copy: it can be restored from there (also while the primary is lost)."""
        return any(copy.get("kind") == "vault" and copy.get("state") == "copied"
                   for copy in self._apidict.get("copies") or [])


class VaultCopy(Wrapper):
    """A vault copy whose restore point was deleted from the catalog (``GET /v1/vault-copies``)."""

    _times = ("created_at", "copied_at", "primary_deleted_at")

    @property
    def name(self) -> str:
        return f"{self.instance_name or self.instance_id} @ {self.created_at:%Y-%m-%d %H:%M}" if self.created_at \
            else self.restore_point_id


#: What a job without an instance (the data plane's work on a destination) is called, by its type.
JOB_LABELS = {
    "verify": gettext_lazy("Verification"),
    "delete": gettext_lazy("Deletion of restore points"),
    "prune": gettext_lazy("Prune"),
    "lock": gettext_lazy("Retention lock"),
    "rebuild": gettext_lazy("Catalog rebuild"),
    "lock_maintenance": gettext_lazy("Object Lock maintenance"),
    "vanished_check": gettext_lazy("Check of locked restore points"),
    "retention": gettext_lazy("Retention"),
}


class Job(Wrapper):
    _times = ("created_at", "started_at", "finished_at")
    destination_name = ""  # set where the destinations are listed (the administrators' tables)

    @property
    def name(self) -> str:
        """The instance it works for; a job on a destination alone (retention, prune, …) by what it does and
        where ("Prune of shared-fs"), never a raw ID."""
        if self.instance_name or self.instance_id:
            return self.instance_name or self.instance_id
        label = JOB_LABELS.get(self.type) or self.type or _("Job")
        destination = self.destination_name or self._apidict.get("destination_id")
        if destination:
            return _("%(job)s of %(destination)s") % {"job": label, "destination": destination}
        return str(label)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES

    @property
    def percent(self) -> float | None:
        value = (self.progress or {}).get("percent")
        if value is None and self.state == "succeeded":
            return 100.0
        return value

    @property
    def rate(self) -> float | None:
        return (self.progress or {}).get("rate")

    @property
    def eta(self) -> float | None:
        return (self.progress or {}).get("eta")

    @property
    def step(self) -> str:
        return (self.progress or {}).get("step") or ""

    @property
    def duration(self) -> dt.timedelta | None:
        if not self.started_at:
            return None
        end = self.finished_at or dt.datetime.now(dt.UTC)
        return end - self.started_at


class Destination(Wrapper):
    _times = ("created_at",)
    usage: dict | None = None

    @property
    def scope(self) -> str:
        return "project" if self.project_id else "shared"

    @property
    def is_vault(self) -> bool:
        return bool(self._apidict.get("vault"))


class Proxy(Wrapper):
    """A proxy worker; ``running_jobs`` and ``queue_depth`` (its zone's queued jobs) are counted by the service."""

    _times = ("last_heartbeat",)

    @property
    def id(self) -> str:
        return self.hostname

    @property
    def name(self) -> str:
        return self.hostname


class Webhook(Wrapper):
    """A project's webhook; ``secret`` only in the answer that created it."""

    _times = ("created_at", "last_delivery_at")

    @property
    def events(self) -> list[str]:
        """The event types it wants; empty, every event (a service from before the filter sends none)."""
        return list(self._apidict.get("events") or [])


class Usage(Wrapper):
    project_name = ""

    @property
    def id(self) -> str:
        return self.project_id


# -- pages of the service's lists --------------------------------------------------------------------------------------

def _paged_with_page_menu(request, list_page: Callable, wrapper: type, search_opts: dict | None,
                          page_number: int, **options) -> tuple[list, int, int, int]:
    """One page of a list the service pages by offset and counts, as Horizon's
    ``volume_backup_list_paged_with_page_menu`` answers: ``(items, page_size, count, number_of_pages)``."""
    page_size = horizon_utils.get_page_size(request)
    page = list_page(offset=(max(page_number, 1) - 1) * page_size, limit=page_size, **options,
                     **(search_opts or {}))
    return [wrapper(item) for item in page.items], page_size, page.count, math.ceil(page.count / page_size)


# -- policies ------------------------------------------------------------------------------------------------------

def _name_destinations(request, policies: list[Policy], all_projects: bool = False) -> list[Policy]:
    if policies:
        try:
            names = {d.id: d.name for d in destination_list(request, all_projects=all_projects)}
        except exceptions.BackupServiceError as error:  # the IDs still show
            LOG.info("cannot name the policies' destinations: %s", error)
            names = {}
        for policy in policies:
            policy.destination_name = names.get(policy.destination_id, policy.destination_id)
            vault_id = policy._apidict.get("vault_destination_id")
            policy.vault_name = names.get(vault_id, vault_id) if vault_id else ""
    return policies


@profiler.trace
@service_errors
def policy_list_paged_with_page_menu(request, search_opts: dict | None = None, page_number: int = 1,
                                     all_projects: bool = False) -> tuple[list[Policy], int, int, int]:
    """``search_opts``: ``name``, ``shared``, ``project_id``."""
    policies, page_size, count, pages = _paged_with_page_menu(
        request, backupclient(request).policy_page, Policy, search_opts, page_number, all_projects=all_projects)
    _name_destinations(request, policies, all_projects)
    return policies, page_size, count, pages


@profiler.trace
@service_errors
def policy_list(request, all_projects: bool = False) -> list[Policy]:
    """The policies the user may use (the project's and the shared ones), for choices."""
    return [Policy(item) for item in backupclient(request).policy_list(all_projects, limit=CHOICES_LIMIT)]


@profiler.trace
@service_errors
def policy_get(request, policy_id: str) -> Policy:
    policy = Policy(backupclient(request).policy_get(policy_id))
    _name_destinations(request, [policy], all_projects=request.user.is_superuser)
    return policy


@profiler.trace
@service_errors
def policy_instances(request, policy_id: str) -> list[dict]:
    """The instances a policy protects (``instance_id``, ``name``, ``availability_zone``, ``source``)."""
    return backupclient(request).protected_instance_list(all_projects=request.user.is_superuser,
                                                         policy_id=policy_id, limit=POLICY_INSTANCES_LIMIT)


@profiler.trace
@service_errors
def policy_create(request, **fields) -> Policy:
    return Policy(backupclient(request).policy_create(**fields))


@profiler.trace
@service_errors
def policy_update(request, policy_id: str, **fields) -> Policy:
    return Policy(backupclient(request).policy_update(policy_id, **fields))


@profiler.trace
@service_errors
def policy_delete(request, policy_id: str) -> None:
    backupclient(request).policy_delete(policy_id)


@profiler.trace
@service_errors
def schedule_preview(request, schedule: str, timezone: str = "UTC", window_start: str | None = None,
                     window_end: str | None = None, count: int = 5) -> list[dt.datetime]:
    runs = backupclient(request).schedule_preview(schedule, timezone, window_start, window_end, count)
    return [as_datetime(run) for run in runs]


# -- protected instances ---------------------------------------------------------------------------------------------

class AttachedVolume:
    """A volume attached to an instance: enough to name it and link to it."""

    def __init__(self, volume_id: str, name: str = "", size: int | None = None):
        self.id = volume_id
        self.name = name or volume_id
        self.size = size

    def __repr__(self) -> str:
        return f"<AttachedVolume {self.id} {self.name!r}>"


class ProtectedInstance:
    """One instance of the project, seen from the backup side: where it runs, what it holds, how it is protected."""

    def __init__(self, server, volumes: Iterable[AttachedVolume], protection: str = PROTECTION_NOT_PROTECTED,
                 policy_name: str | None = None, status: dict | None = None):
        self.id = server.id
        self.name = server.name or server.id
        self.status = (server.status or "").lower()
        self.availability_zone = getattr(server, AVAILABILITY_ZONE, None) or ""
        self.volumes = list(volumes)
        self.protection = protection
        self.policy_name = policy_name
        self.apply_status(status or {})

    def apply_status(self, status: dict) -> None:
        """What the backup service knows of it (``GET /v1/instance-status``)."""
        self.protected = bool(status.get("protected"))
        if self.protected:
            self.protection = PROTECTION_PROTECTED
        self.policy_id = status.get("policy_id")
        self.policy_name = status.get("policy_name") or self.policy_name
        self.assignment_source = status.get("source") or ""
        self.next_run_at = as_datetime(status.get("next_run_at"))
        point = status.get("last_restore_point")
        self.last_restore_point = RestorePoint(point) if point else None
        # Disks its last restore point does not hold (the flavor's ephemeral disk and swap).
        self.unprotected_disks = list(status.get("unprotected_disks") or [])
        job = status.get("last_job")
        self.last_job = Job(job) if job else None
        job = status.get("active_job")
        self.active_job = Job(job) if job else None

    @property
    def volume_ids(self) -> list[str]:
        return [volume.id for volume in self.volumes]

    def __repr__(self) -> str:
        return f"<ProtectedInstance {self.id} {self.name!r} {self.protection}>"


def _attached_volume_ids(server) -> list[str]:
    # Horizon's Server wrapper only exposes a fixed list of attributes; the attachments are on novaclient's object.
    resource = server._apiresource if isinstance(server, base.APIResourceWrapper) else server
    return [attachment["id"] for attachment in getattr(resource, VOLUMES_ATTACHED, None) or []]


def _attached_volume_ids(server) -> list[str]:
    # Horizon's Server wrapper only exposes a fixed list of attributes; the attachments are on novaclient's object.
    resource = server._apiresource if isinstance(server, base.APIResourceWrapper) else server
    return [attachment["id"] for attachment in getattr(resource, VOLUMES_ATTACHED, None) or []]


@profiler.trace
@service_errors
def instance_status(request, instance_ids: list[str]) -> dict[str, dict]:
    """Instance ID → how the backup service protects it (a page of instances at a time)."""
    return {entry["instance_id"]: entry for entry in backupclient(request).instance_status(instance_ids)}


@profiler.trace
def protected_instance_list(request, search_opts: dict | None = None,
                            sort_dir: str = "desc") -> tuple[list[ProtectedInstance], bool, bool]:
    """The project's instances with their volumes and protection, one page at a time.

    ``search_opts`` takes Nova's filters plus ``marker`` and ``paginate`` as Horizon's ``server_list_paged`` does.
    The backup service answers for the page's instances only. Returns ``(instances, has_more_data,
    has_prev_data)``.
    """
    servers, has_more, has_prev = nova.server_list_paged(request, search_opts=dict(search_opts or {}),
                                                         sort_dir=sort_dir)
    wanted = {volume_id for server in servers for volume_id in _attached_volume_ids(server)}
    known: dict[str, AttachedVolume] = {}
    if wanted:
        for volume in cinder.volume_list(request):
            if volume.id in wanted:
                known[volume.id] = AttachedVolume(volume.id, volume.name, volume.size)
    statuses = {}
    if servers and is_service_enabled(request):
        statuses = instance_status(request, [server.id for server in servers])
    instances = [
        ProtectedInstance(server, [known.get(volume_id) or AttachedVolume(volume_id)
                                   for volume_id in _attached_volume_ids(server)], status=statuses.get(server.id))
        for server in servers
    ]
    return instances, has_more, has_prev


@profiler.trace
def protected_instance_get(request, instance_id: str) -> ProtectedInstance:
    server = nova.server_get(request, instance_id)
    instance = ProtectedInstance(server, [AttachedVolume(v) for v in _attached_volume_ids(server)])
    instance.apply_status(instance_status(request, [instance_id]).get(instance_id) or {})
    return instance


@profiler.trace
@service_errors
def protect(request, instance_id: str, policy_id: str) -> dict:
    """Assign the instance to the policy; an instance protected by another policy moves to this one."""
    client = backupclient(request)
    try:
        current = client.protected_instance_get(instance_id)
    except BackupApiError as error:
        if error.status != 404:
            raise
        current = None
    if current is not None:
        if current["policy_id"] == policy_id:
            return current
        client.unprotect(instance_id)
    return client.protect(instance_id, policy_id)


@profiler.trace
@service_errors
def unprotect(request, instance_id: str) -> None:
    backupclient(request).unprotect(instance_id)


@profiler.trace
@service_errors
def backup_create(request, instance_id: str, strategy: str | None = None) -> Job:
    return Job(backupclient(request).backup_create(instance_id, strategy or None))


# -- restore points ----------------------------------------------------------------------------------------------------

@profiler.trace
@service_errors
def restore_point_list_paged_with_page_menu(request, search_opts: dict | None = None, page_number: int = 1,
                                            all_projects: bool = False) -> tuple[list[RestorePoint], int, int, int]:
    """``search_opts``: ``instance_id``, ``instance_name``, ``strategy``, ``locked``, ``policy_id``,
    ``project_id``."""
    return _paged_with_page_menu(request, backupclient(request).restore_point_page, RestorePoint, search_opts,
                                 page_number, all_projects=all_projects)


@profiler.trace
@service_errors
def restore_point_get(request, restore_point_id: str, with_instance: bool = False) -> RestorePoint:
    point = RestorePoint(backupclient(request).restore_point_get(restore_point_id))
    if with_instance:
        point.instance_document = restore_point_instance(request, restore_point_id)
    return point


@memoized
@profiler.trace
@service_errors
def restore_point_instance(request, restore_point_id: str) -> dict:
    """The instance as the restore point recorded it: flavor, NICs, volumes, image, boot source."""
    return backupclient(request).restore_point_instance(restore_point_id) or {}


@profiler.trace
@service_errors
def restore_point_delete(request, restore_point_id: str) -> None:
    backupclient(request).restore_point_delete(restore_point_id)


@profiler.trace
@service_errors
def restore_point_verify(request, restore_point_id: str) -> Job:
    """Start a job that reads every chunk of the restore point and checks its hash (writes nothing)."""
    return Job(backupclient(request).verify(restore_point_id))


@profiler.trace
@service_errors
def restore_create(request, restore_point_id: str, **options) -> Job:
    """Restore the whole instance (``name``, ``availability_zone``, ``flavor_id``, ``network_mapping``,
    ``volume_types``, ``volumes``, ``volume_names``) or, with ``volume_id``, one volume (``volume_name``, ...)."""
    options = {key: value for key, value in options.items() if value not in (None, "", {}, [])}
    return Job(backupclient(request).restore(restore_point_id, **options))


# -- vault copies whose restore point was deleted ------------------------------------------------------------------

@profiler.trace
@service_errors
def vault_copy_list_paged_with_page_menu(request, search_opts: dict | None = None, page_number: int = 1,
                                         all_projects: bool = False) -> tuple[list[VaultCopy], int, int, int]:
    """``search_opts``: ``instance_name``, ``instance_id``, ``state``, ``in_catalog``, ``project_id``."""
    return _paged_with_page_menu(request, backupclient(request).vault_copy_page, VaultCopy, search_opts,
                                 page_number, all_projects=all_projects)


@profiler.trace
@service_errors
def vault_copy_recover(request, copy_id: str) -> RestorePoint:
    """Put the copy's deleted restore point back into the catalog (same id) as a vault-only restore point."""
    return RestorePoint(backupclient(request).vault_copy_recover(copy_id))


# -- files inside a restore point (file-level restore) ---------------------------------------------------------------

@profiler.trace
@service_errors
def file_list(request, restore_point_id: str, volume_id: str, path: str = "/", search: str | None = None,
              partition: int | None = None) -> dict:
    """A folder's entries (or, with ``search``, the matches below it) inside a volume of a restore point, read on
    the service's data plane: ``entries``, ``truncated``, ``filesystem``, ``partition``, ``partitions``."""
    return backupclient(request).file_list(restore_point_id, volume_id, path, search=search or None,
                                           partition=partition)


@profiler.trace
@service_errors
def file_download(request, restore_point_id: str, volume_id: str, path: str, fmt: str = "auto",
                  partition: int | None = None) -> tuple[str, int | None, Iterator[bytes]]:
    """Start a file restore, wait for it (``STORAGE_BACKUP_FILE_DOWNLOAD_WAIT`` seconds, 300 by default) and
    return the download's name, size and bytes as they arrive, for Horizon to pass on to the browser."""
    client = backupclient(request)
    job = client.file_download_start(restore_point_id, volume_id, path, fmt, partition)
    job = client.wait_file_restore(job, wait=float(getattr(settings, "STORAGE_BACKUP_FILE_DOWNLOAD_WAIT", 300)))
    return client.job_download_stream(job["id"])


@profiler.trace
@service_errors
def restore_point_revert(request, restore_point_id: str, volume_id: str | None = None, instance: bool = False,
                         confirm=None, stop_server: bool = False) -> Job:
    """Overwrite one data volume (``volume_id``) or the whole instance (``instance``) in place; ``confirm`` is what
    the person typed back (or True); ``stop_server``: the server is stopped while its data volume is reverted."""
    return Job(backupclient(request).revert(restore_point_id, volume_id=volume_id or None, instance=instance,
                                            confirm=confirm, stop_server=stop_server))


# -- jobs --------------------------------------------------------------------------------------------------------------

@profiler.trace
@service_errors
def job_list_paged_with_page_menu(request, search_opts: dict | None = None, page_number: int = 1,
                                  all_projects: bool = False) -> tuple[list[Job], int, int, int]:
    """``search_opts``: ``state``, ``type``, ``exclude_type``, ``instance_id``, ``instance_name``, ``active``,
    ``project_id``."""
    return _paged_with_page_menu(request, backupclient(request).job_page, Job, search_opts, page_number,
                                 all_projects=all_projects)


@profiler.trace
@service_errors
def job_get(request, job_id: str) -> Job:
    return Job(backupclient(request).job_get(job_id))


@profiler.trace
@service_errors
def job_cancel(request, job_id: str) -> Job:
    return Job(backupclient(request).job_cancel(job_id))


# -- operators' views --------------------------------------------------------------------------------------------------

@profiler.trace
@service_errors
def destination_list(request, all_projects: bool = False) -> list[Destination]:
    return [Destination(item) for item in backupclient(request).destination_list(all_projects)]


@profiler.trace
@service_errors
def destination_list_with_usage(request) -> list[Destination]:
    client = backupclient(request)
    usage = {row["destination_id"]: row for row in client.destination_usage()}
    destinations = [Destination(item) for item in client.destination_list(all_projects=True)]
    for destination in destinations:
        destination.usage = usage.get(destination.id)
    return destinations


@profiler.trace
@service_errors
def destination_get(request, destination_id: str) -> Destination:
    return Destination(backupclient(request).destination_get(destination_id))


@profiler.trace
@service_errors
def destination_create(request, **fields) -> Destination:
    return Destination(backupclient(request).destination_create(**fields))


@profiler.trace
@service_errors
def destination_delete(request, destination_id: str) -> None:
    """Remove an unused destination from the catalog (the service refuses, saying why, while anything uses it)."""
    backupclient(request).destination_delete(destination_id)


#: Object Lock modes an S3 destination offers ("" is none).
S3_LOCK_MODES = ("", "COMPLIANCE", "GOVERNANCE")


def s3_location(endpoint: str, bucket: str, prefix: str = "", region: str = "", path_style: bool = False,
                lock_mode: str = "", lock_days: float | None = None, noncurrent_days: int | None = None) -> str:
    """The ``path`` of an S3 destination as the service takes it, ``s3://BUCKET/PREFIX?endpoint=…&lock=…``, from
    the form's fields. It never holds credentials: those go to the service separately (``credentials``)."""
    query = {}
    if endpoint:
        query["endpoint"] = endpoint.strip()
    if region:
        query["region"] = region.strip()
    if path_style:
        query["path_style"] = "1"
    if lock_mode:
        query["lock"] = lock_mode
        query["lock_days"] = f"{lock_days:g}" if lock_days is not None else ""
    if noncurrent_days:
        query["noncurrent_days"] = str(noncurrent_days)
    prefix = (prefix or "").strip().strip("/")
    path = f"/{urllib.parse.quote(prefix, safe='/')}" if prefix else ""
    suffix = f"?{urllib.parse.urlencode(query, safe=':/')}" if query else ""
    return f"s3://{bucket.strip()}{path}{suffix}"


def swift_location(auth_url: str, container: str, prefix: str = "", region: str = "") -> str:
    """The ``path`` of a Swift destination as the service takes it, ``swift://CONTAINER/PREFIX?auth_url=…``, from
    the form's fields; never with credentials (those go to the service as ``credentials``)."""
    query = {"auth_url": auth_url.strip()}
    if region:
        query["region"] = region.strip()
    prefix = (prefix or "").strip().strip("/")
    path = f"/{urllib.parse.quote(prefix, safe='/')}" if prefix else ""
    return f"swift://{container.strip()}{path}?{urllib.parse.urlencode(query, safe=':/')}"


@profiler.trace
@service_errors
def destination_update(request, destination_id: str, **fields) -> Destination:
    return Destination(backupclient(request).destination_update(destination_id, **fields))


@profiler.trace
@service_errors
def proxy_list(request) -> list[Proxy]:
    """Every proxy worker with the jobs it runs and the jobs waiting in its availability zone's queue."""
    return [Proxy(item) for item in backupclient(request).proxy_list()]


@profiler.trace
@service_errors
def webhook_list(request) -> list[Webhook]:
    """The project's webhooks (never their secrets)."""
    return [Webhook(item) for item in backupclient(request).webhook_list()]


@profiler.trace
@service_errors
def webhook_get(request, webhook_id: str) -> Webhook:
    return Webhook(backupclient(request).webhook_get(webhook_id))


@profiler.trace
@service_errors
def webhook_create(request, url: str, description: str = "", events: list[str] | None = None) -> Webhook:
    """The new webhook, with its signing ``secret``: the one answer that holds it. ``events``: the event types it
    wants; none or empty, every event."""
    return Webhook(backupclient(request).webhook_create(url, description=description, events=events))


@profiler.trace
@service_errors
def webhook_update(request, webhook_id: str, **fields) -> Webhook:
    """``fields``: any of ``url``, ``description``, ``enabled``, ``events`` (an empty list: every event)."""
    return Webhook(backupclient(request).webhook_update(webhook_id, **fields))


@profiler.trace
@service_errors
def webhook_new_secret(request, webhook_id: str) -> Webhook:
    """The webhook with a new signing ``secret``, in this answer only."""
    return Webhook(backupclient(request).webhook_new_secret(webhook_id))


@profiler.trace
@service_errors
def webhook_delete(request, webhook_id: str) -> None:
    backupclient(request).webhook_delete(webhook_id)


def _name_usage(request, rows: list[Usage]) -> list[Usage]:
    names = project_names(request)
    for row in rows:
        row.project_name = names.get(row.project_id, "")
    return rows


@profiler.trace
@service_errors
def usage_list_paged_with_page_menu(request, page_number: int = 1) -> tuple[list[Usage], int, int, int]:
    """Per project (every project for an administrator), the most stored first: protected instances, restore
    points, stored bytes and quotas, counted by the service."""
    rows, page_size, count, pages = _paged_with_page_menu(request, backupclient(request).usage_page, Usage, None,
                                                          page_number)
    return _name_usage(request, rows), page_size, count, pages


@profiler.trace
@service_errors
def usage_list(request) -> list[Usage]:
    """Every project's usage (the CSV summary), page after page from the service."""
    return _name_usage(request, [Usage(row) for row in backupclient(request).usage()])


#: A project's backup quotas, as the service names them (``None``: the cloud's default, unlimited without one).
QUOTA_LIMITS = ("protected_instances", "restore_points", "stored_bytes")


@profiler.trace
@service_errors
def quota_get(request, project_id: str) -> dict:
    """A project's limits in effect (its own, else the cloud's default; ``None`` is unlimited)."""
    return backupclient(request).quota_get(project_id)


@profiler.trace
@service_errors
def quota_update(request, project_id: str, **limits) -> dict:
    """Set a project's limits (administrators); ``None`` puts a limit back to the cloud's default."""
    return backupclient(request).quota_set(project_id, **{name: limits[name] for name in QUOTA_LIMITS
                                                          if name in limits})


@profiler.trace
@service_errors
def overview(request, days: int = 7) -> dict:
    return backupclient(request).overview(days)


# -- the cloud, for the forms ---------------------------------------------------------------------------------------

@memoized
def project_names(request) -> dict[str, str]:
    """Project ID → name, for administrators' tables (empty when Keystone does not let the user list them)."""
    try:
        projects, _ = keystone.tenant_list(request)
    except Exception as error:  # names are a nicety; the IDs still show
        LOG.info("cannot list projects for their names: %s", error)
        return {}
    return {project.id: project.name for project in projects}


@dataclass
class Choices:
    """What a restore target may use: zones, flavors, networks, volume types of the user's project."""

    zones: list[str] = field(default_factory=list)
    flavors: list = field(default_factory=list)
    networks: list = field(default_factory=list)
    volume_types: list = field(default_factory=list)


def restore_target_choices(request) -> Choices:
    choices = Choices()
    # Horizon's nova api answers with openstacksdk's zones: ``name`` and ``state`` ({"available": bool}).
    choices.zones = sorted(zone.name for zone in nova.availability_zone_list(request)
                           if (getattr(zone, "state", None) or {}).get("available", True))
    choices.flavors = sorted(nova.flavor_list(request), key=lambda flavor: (flavor.vcpus, flavor.ram, flavor.name))
    choices.networks = neutron.network_list_for_tenant(request, request.user.project_id)
    choices.volume_types = cinder.volume_type_list(request)
    return choices
