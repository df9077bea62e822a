"""The control plane's view of the cloud, through the OpenStack APIs with the backup service account.

Used to check that an instance belongs to the caller's project (Nova, ``all_tenants``), to find its availability
zone and addresses, to find instances to auto-assign, and by the sweeper to find and remove leftovers.
"""
from __future__ import annotations

import functools
import ipaddress
import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from backend.services.errors import Unavailable

LOG = logging.getLogger(__name__)
NOVA_MICROVERSION = "2.79"  # 2.26 server tags in the body, 2.47 flavor in the body; 2024.1 serves up to 2.96
TIMEOUT = 30
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

    def ip_addresses(self) -> list[str]:
        """Fixed addresses first, then floating ones, IPv4 before IPv6: the order SSH should try them."""
        found = []
        for network_addresses in self.addresses.values():
            for entry in network_addresses:
                kind = entry.get("OS-EXT-IPS:type", "fixed")
                address = entry.get("addr")
                if address:
                    found.append((kind != "fixed", ipaddress.ip_address(address).version, address))
        return [address for _, _, address in sorted(found)]


@functools.cache
def _cached_session() -> ks_session.Session:
    config = settings.KEYSTONE
    if config.get("cloud"):
        import openstack.config

        region = openstack.config.OpenStackConfig().get_one(config["cloud"])
        return region.get_session()
    if not config.get("auth_url"):
        raise Unavailable("The backup service account is not configured: set STORAGE_BACKUP_AUTH_URL and "
                          "STORAGE_BACKUP_PASSWORD, or STORAGE_BACKUP_CLOUD.")
    auth = v3.Password(auth_url=config["auth_url"], username=config["username"], password=config["password"],
                       project_name=config["project_name"], user_domain_id=config["user_domain_id"],
                       project_domain_id=config["project_domain_id"])
    return ks_session.Session(auth=auth, timeout=TIMEOUT)


def service_session() -> ks_session.Session:
    with _lock:
        return _cached_session()


def reset_session() -> None:
    with _lock:
        _cached_session.cache_clear()


def _endpoint(service_type: str) -> dict:
    filters = {"service_type": service_type, "interface": "public"}
    if settings.KEYSTONE.get("region_name"):
        filters["region_name"] = settings.KEYSTONE["region_name"]
    return filters


def request(service_type: str, method: str, path: str, *, json: dict | None = None, ok=(200, 201, 202, 204),
            headers: dict | None = None, raise_exc: bool = True):
    """One call to an OpenStack API with the service account; connection problems become ``Unavailable``."""
    all_headers = {"OpenStack-API-Version": f"compute {NOVA_MICROVERSION}"} if service_type == "compute" else {}
    all_headers.update(headers or {})
    try:
        response = service_session().request(path, method, endpoint_filter=_endpoint(service_type), json=json,
                                              headers=all_headers, raise_exc=False)
    except (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout, ks_exceptions.EndpointNotFound,
            ks_exceptions.DiscoveryFailure, ks_exceptions.Unauthorized) as error:
        raise Unavailable(f"The cloud's {service_type} API cannot be reached: {error}") from error
    if raise_exc and response.status_code not in ok and response.status_code != 404:
        raise Unavailable(f"{method} {path} on {service_type} answered {response.status_code}: "
                          f"{response.text[:300]}")
    return response


def _instance(body: dict) -> Instance:
    return Instance(id=body["id"], name=body.get("name", ""), project_id=body.get("tenant_id", ""),
                    availability_zone=body.get("OS-EXT-AZ:availability_zone") or "",
                    status=body.get("status", ""), metadata=body.get("metadata") or {},
                    tags=body.get("tags") or [], addresses=body.get("addresses") or {})


def get_instance(instance_id: str) -> Instance | None:
    """The instance with this ID in any project, or None."""
    if not instance_id or "/" in instance_id:
        return None
    response = request("compute", "GET", f"/servers/{instance_id}")
    if response.status_code == 404:
        return None
    return _instance(response.json()["server"])


def list_instances() -> list[Instance]:
    """Every instance of every project (for auto-assignment)."""
    found: list[Instance] = []
    marker = None
    while True:
        path = "/servers/detail?all_tenants=1&limit=500" + (f"&marker={marker}" if marker else "")
        servers = request("compute", "GET", path).json().get("servers", [])
        found += [_instance(server) for server in servers]
        if len(servers) < 500:
            return found
        marker = servers[-1]["id"]


def availability_zones() -> list[str]:
    response = request("compute", "GET", "/os-availability-zone")
    if response.status_code != 200:
        return []
    return [zone["zoneName"] for zone in response.json().get("availabilityZoneInfo", [])
            if zone.get("zoneState", {}).get("available", True)]
