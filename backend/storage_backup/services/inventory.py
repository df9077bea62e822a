# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the cloud holds, as the control plane sees it (instances, zones, projects): ``storage_backup.cloud`` logged
in as the backup service account of the settings.

Used to check that an instance belongs to the caller's project (Nova, ``all_tenants``), to find its availability
zone and addresses, to find instances to auto-assign, and by the sweeper to find and remove leftovers. The settings
only say how to log in (``settings.KEYSTONE``: a clouds.yaml entry, or an auth URL and password); every call is
``storage_backup.cloud``'s, and its errors become the service layer's ``Unavailable`` here, where the control plane
expects them.
"""
from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

from storage_backup.cloud import Cloud, CloudError, ResourceNotFound, get_or_none
from storage_backup.cloud.connection import DEFAULT_POLL_INTERVAL
from storage_backup.services.errors import Unavailable

_lock = threading.Lock()


@dataclass
class Instance:
    id: str
    name: str
    project_id: str
    availability_zone: str
    status: str
    metadata: dict = field(default_factory=dict)
    tags: list = field(default_factory=list)
    addresses: dict = field(default_factory=dict)
    volume_ids: list = field(default_factory=list)


def connect() -> Cloud:
    """The backup service account as ``settings.KEYSTONE`` says it logs in (a clouds.yaml entry, or an auth URL
    and password); ``STORAGE_BACKUP_POLL_INTERVAL`` paces the sweeper's waits."""
    config = settings.KEYSTONE
    poll_interval = float(os.environ.get("STORAGE_BACKUP_POLL_INTERVAL") or DEFAULT_POLL_INTERVAL)
    if config.get("cloud"):
        return Cloud.connect(config["cloud"], os.environ.get("OS_CLIENT_CONFIG_FILE") or None,
                             poll_interval=poll_interval)
    if not config.get("auth_url"):
        raise Unavailable("The backup service account is not configured: set STORAGE_BACKUP_AUTH_URL and "
                          "STORAGE_BACKUP_PASSWORD, or STORAGE_BACKUP_CLOUD.")
    auth = {key: config[key] for key in ("auth_url", "username", "password", "project_name", "user_domain_id",
                                         "project_domain_id")}
    return Cloud.connect(auth=auth, region_name=config.get("region_name") or None, poll_interval=poll_interval)


@functools.cache
def _cached_cloud() -> Cloud:
    return connect()


def service_cloud() -> Cloud:
    """The backup service account (connected once per process; keystoneauth renews the token)."""
    with _lock, unavailable_on_error("the backup service account"):
        return _cached_cloud()


def reset_session() -> None:
    with _lock:
        _cached_cloud.cache_clear()


@contextlib.contextmanager
def unavailable_on_error(what: str) -> Iterator[None]:
    """The cloud's failures (refusals, 5xx, unreachable, bad credentials: ``storage_backup.cloud`` maps them all to
    ``CloudError``) as the service layer's ``Unavailable``."""
    try:
        yield
    except CloudError as error:
        raise Unavailable(f"The cloud could not answer about {what}: {error}") from error


def _instance(server) -> Instance:
    """openstacksdk's ``Server`` as the service layer's ``Instance``."""
    return Instance(id=server.id, name=server.name or "", project_id=server.project_id or "",
                    availability_zone=server.availability_zone or "", status=server.status or "",
                    metadata=dict(server.metadata or {}), tags=list(server.tags or []),
                    addresses=dict(server.addresses or {}),
                    volume_ids=[v.get("id") for v in server.attached_volumes or [] if v.get("id")])


def get_instance(instance_id: str) -> Instance | None:
    """The instance with this ID in any project, or None."""
    if not instance_id or "/" in instance_id:
        return None
    with unavailable_on_error(f"instance {instance_id}"):
        try:
            return _instance(service_cloud().compute.get_server(instance_id))
        except ResourceNotFound:
            return None


@dataclass
class VolumeInfo:
    id: str
    name: str
    project_id: str
    size: int  # GiB
    status: str
    attached_to: list = field(default_factory=list)  # server ids


def get_volume(volume_id: str) -> VolumeInfo | None:
    """The volume with this ID in any project, or None."""
    if not volume_id or "/" in volume_id:
        return None
    with unavailable_on_error(f"volume {volume_id}"):
        volume = get_or_none(service_cloud().block_storage.get_volume, volume_id)
    if volume is None:
        return None
    return VolumeInfo(id=volume.id, name=volume.name or "", project_id=volume.project_id or "",
                      size=int(volume.size or 0), status=volume.status or "",
                      attached_to=[a.get("server_id") for a in volume.attachments or [] if a.get("server_id")])


def list_instances() -> list[Instance]:
    """Every instance of every project (for auto-assignment)."""
    with unavailable_on_error("the instances of every project"):
        return [_instance(server) for server in service_cloud().compute.servers(details=True, all_projects=True)]


def availability_zones() -> list[str]:
    with unavailable_on_error("availability zones"):
        return [zone.name for zone in service_cloud().compute.availability_zones()
                if (zone.state or {}).get("available", True)]


def find_project_id(name_or_id: str) -> str | None:
    """A Keystone project's ID, by name or ID (``None`` when there is none)."""
    with unavailable_on_error(f"project {name_or_id}"):
        identity = service_cloud().identity
        # By name first (in any domain the account sees: the first one), then as an id.
        project = next(iter(identity.projects(name=name_or_id)), None) or get_or_none(identity.get_project,
                                                                                      name_or_id)
        return project.id if project is not None else None


def encrypted_volumes(volume_ids: list[str]) -> list[dict]:
    """``[{"id", "name", "volume_type"}]`` of the volumes among ``volume_ids`` that Cinder encrypts."""
    found = []
    with unavailable_on_error("the instance's volumes"):
        cloud = service_cloud()
        for volume_id in volume_ids:
            volume = get_or_none(cloud.block_storage.get_volume, volume_id)
            if volume is not None and volume.is_encrypted:
                found.append({"id": volume.id, "name": volume.name or "", "volume_type": volume.volume_type})
    return found


def volume_type_encrypted(name_or_id: str) -> bool | None:
    """Whether Cinder encrypts volumes of this type (its encryption spec, an admin's read); None: no such type."""
    with unavailable_on_error(f"volume type {name_or_id}"):
        cloud = service_cloud()
        vtype = next((t for t in cloud.block_storage.types(is_public="None")
                      if name_or_id in (t.id, t.name)), None)
        if vtype is None:
            return None
        spec = cloud.block_storage.get_type_encryption(vtype.id)
        return bool(getattr(spec, "encryption_id", None) or getattr(spec, "provider", None))


# -- what a restore may use in a project (``restore_targets``) ---------------------------------------------------------

@dataclass
class NetworkInfo:
    id: str
    name: str
    project_id: str
    shared: bool
    external: bool


@dataclass
class FlavorInfo:
    id: str
    name: str
    ram: int
    disk: int
    public: bool
    projects: list[str] = field(default_factory=list)  # the access list of a private flavor


def _plain_id(ident: str) -> bool:
    """An ID that can go into a URL path as it is (a slash or a dot segment would address something else)."""
    return bool(ident) and "/" not in ident and ident not in (".", "..")


def get_network(network_id: str) -> NetworkInfo | None:
    if not _plain_id(network_id):
        return None
    with unavailable_on_error(f"network {network_id}"):
        network = get_or_none(service_cloud().network.get_network, network_id)
        if network is None:
            return None
        return NetworkInfo(id=network.id, name=network.name or "", project_id=network.project_id or "",
                           shared=bool(network.is_shared), external=bool(network.is_router_external))


def _flavor_info(flavor) -> FlavorInfo:
    info = FlavorInfo(id=flavor.id, name=flavor.name or "", ram=int(flavor.ram or 0), disk=int(flavor.disk or 0),
                      public=flavor.is_public is not False)
    if not info.public:
        info.projects = [entry["tenant_id"] for entry in service_cloud().compute.get_flavor_access(flavor)]
    return info


def get_flavor(flavor_id: str) -> FlavorInfo | None:
    """A flavor by ID (private ones with their access list), or None."""
    if not _plain_id(flavor_id):
        return None
    with unavailable_on_error(f"flavor {flavor_id}"):
        flavor = get_or_none(service_cloud().compute.get_flavor, flavor_id)
        return _flavor_info(flavor) if flavor is not None else None


def find_flavor_by_name(name: str) -> FlavorInfo | None:
    with unavailable_on_error(f"flavor {name}"):
        flavor = next((f for f in service_cloud().compute.flavors(details=True, is_public="None") if f.name == name),
                      None)
        return _flavor_info(flavor) if flavor is not None else None


def volume_types() -> dict[str, str]:
    """Every volume type the cloud has, private ones included, by name and by ID (the value: its name)."""
    with unavailable_on_error("volume types"):
        found: dict[str, str] = {}
        # An admin's plain list is the public types only; "None" asks for every one.
        for volume_type in service_cloud().block_storage.types(is_public="None"):
            found[volume_type.id] = found[volume_type.name] = volume_type.name
        return found
