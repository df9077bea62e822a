# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Proxy VMs that set themselves up: the cloud-init user-data of a proxy (``etc/cloud-init/proxy-user-data.yaml``
filled for one AZ) and booting one per availability zone through Nova (``storage-backup proxy-vm create``).

The VM belongs to the service account's project (volumes are attached to it there), so the command connects as the
service account, from the same ``STORAGE_BACKUP_*`` variables as the control plane (run it on a control host with
``set -a; . /etc/storage-backup/storage-backup.env``). The user-data carries the service account and the broker URL
into the VM's ``worker.env`` (mode 0600); the worker's key pair is made inside the VM and never leaves it.
"""
from __future__ import annotations

import base64
import os
import sys
from dataclasses import dataclass

import yaml

#: Where the template and the units are: installed (data_files under share/storage-backup) or in a checkout.
_SHARE_DIRS = (os.path.join(sys.prefix, "share", "storage-backup"),
               os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "etc"))
TEMPLATE = os.path.join("cloud-init", "proxy-user-data.yaml")
UNIT = os.path.join("systemd", "storage-backup-proxy@.service")
#: Nova refuses user-data longer than this (base64).
USER_DATA_LIMIT = 65535
SERVER_WAIT = float(os.environ.get("STORAGE_BACKUP_PROXY_VM_WAIT", "600"))
ACCOUNT_VARIABLES = ("STORAGE_BACKUP_AUTH_URL", "STORAGE_BACKUP_USERNAME", "STORAGE_BACKUP_PASSWORD",
                     "STORAGE_BACKUP_PROJECT", "STORAGE_BACKUP_USER_DOMAIN", "STORAGE_BACKUP_PROJECT_DOMAIN",
                     "STORAGE_BACKUP_REGION")


class ProxyVmError(Exception):
    """A request that cannot be carried out, naming the option to change."""


def shared_file(relative: str) -> str:
    for base in _SHARE_DIRS:
        candidate = os.path.join(base, relative)
        if os.path.exists(candidate):
            return candidate
    raise ProxyVmError(f"{relative} is not installed (looked in {', '.join(_SHARE_DIRS)}): reinstall storage-backup")


def service_account(env: dict[str, str]) -> dict[str, str]:
    """The service account's variables as the control plane has them; the first three are required."""
    missing = [name for name in ACCOUNT_VARIABLES[:3] if not env.get(name)]
    if missing:
        raise ProxyVmError(f"{', '.join(missing)} not set: run on a control host with its storage-backup.env "
                           "loaded (set -a; . /etc/storage-backup/storage-backup.env)")
    return {name: env[name] for name in ACCOUNT_VARIABLES if env.get(name)}


def render_user_data(zone: str, broker_url: str, account: dict[str, str], package: str,
                     ca_pem: str | None = None) -> str:
    """The proxy's cloud-config for availability zone ``zone``: the template with its fields filled, the product's
    unit and (for a ``rediss://`` broker) the CA the worker checks Redis against."""
    with open(shared_file(TEMPLATE), encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    with open(shared_file(UNIT), encoding="utf-8") as handle:
        unit = handle.read()
    worker_env = {"STORAGE_BACKUP_BROKER_URL": broker_url, "STORAGE_BACKUP_PROXY_AZ": zone, **account}
    fields = {"@WORKER_ENV@": "".join(f"{name}={value}\n" for name, value in sorted(worker_env.items())),
              "@PACKAGE@": package, "@AZ@": zone}
    config = _fill(config, fields)
    config["write_files"].append({"path": "/etc/systemd/system/storage-backup-proxy@.service", "content": unit,
                                  "permissions": "0644"})
    if ca_pem:
        config["write_files"].append({"path": "/etc/storage-backup/tls/ca.pem", "content": ca_pem,
                                      "permissions": "0644"})
    return "#cloud-config\n" + yaml.dump(config, Dumper=_BlockDumper, sort_keys=False, width=1000)


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the env file, the unit) as literal blocks, readable in the VM's user-data."""


def _represent_str(dumper: yaml.SafeDumper, text: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_BlockDumper.add_representer(str, _represent_str)


def _fill(value, fields: dict[str, str]):
    if isinstance(value, str):
        for placeholder, text in fields.items():
            value = value.replace(placeholder, text)
        return value
    if isinstance(value, list):
        return [_fill(item, fields) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, fields) for key, item in value.items()}
    return value


@dataclass
class ProxyVm:
    zone: str
    server_id: str
    name: str
    status: str
    addresses: dict

    def to_dict(self) -> dict:
        return {"availability_zone": self.zone, "id": self.server_id, "name": self.name, "status": self.status,
                "addresses": self.addresses}


def create(conn, zones: list[str], flavor: str, network: str, image: str, key_name: str | None,
           user_data_for, name_prefix: str = "storage-backup-proxy", wait: bool = True) -> list[ProxyVm]:
    """One proxy VM per zone; every name is checked before the first server is booted, so a typo boots nothing."""
    known_zones = {zone.name for zone in conn.compute.availability_zones() if zone.state.get("available", True)}
    unknown = [zone for zone in zones if zone not in known_zones]
    if unknown:
        raise ProxyVmError(f"--az {', '.join(unknown)}: no such availability zone (Nova has "
                           f"{', '.join(sorted(known_zones)) or 'none'})")
    found_flavor = conn.compute.find_flavor(flavor, ignore_missing=True)
    if found_flavor is None:
        raise ProxyVmError(f"--flavor {flavor}: no such flavor (openstack flavor list)")
    found_image = conn.image.find_image(image, ignore_missing=True)
    if found_image is None:
        raise ProxyVmError(f"--image {image}: no such image (openstack image list)")
    found_network = conn.network.find_network(network, ignore_missing=True)
    if found_network is None:
        raise ProxyVmError(f"--network {network}: no such network (openstack network list)")
    if key_name and conn.compute.find_keypair(key_name, ignore_missing=True) is None:
        raise ProxyVmError(f"--key-name {key_name}: no such key pair for this account (openstack keypair list)")
    payloads = {}
    for zone in zones:
        encoded = base64.b64encode(user_data_for(zone).encode()).decode()
        if len(encoded) > USER_DATA_LIMIT:
            raise ProxyVmError(f"the user-data for {zone} is {len(encoded)} bytes in base64, more than Nova's "
                               f"{USER_DATA_LIMIT}")
        payloads[zone] = encoded
    created = []
    for zone in zones:
        attributes = {"name": f"{name_prefix}-{zone}", "flavor_id": found_flavor.id, "image_id": found_image.id,
                      "networks": [{"uuid": found_network.id}], "availability_zone": zone,
                      "user_data": payloads[zone],
                      "metadata": {"storage_backup_role": "proxy", "storage_backup_az": zone}}
        if key_name:
            attributes["key_name"] = key_name
        server = conn.compute.create_server(**attributes)
        if wait:
            server = conn.compute.wait_for_server(server, status="ACTIVE", wait=SERVER_WAIT)
        created.append(ProxyVm(zone, server.id, server.name, server.status, dict(server.addresses or {})))
    return created
