# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Neutron (network v2.0) reads the backup service makes: a server's ports, networks, subnets, security groups."""
from __future__ import annotations

import ipaddress

from .api import ApiClient
from .errors import NotFound


class Network(ApiClient):
    service_type = "network"
    service_name = "Neutron"

    def list_ports(self, **filters) -> list[dict]:
        return self.get("/v2.0/ports", params=filters)["ports"]

    def ports_of_server(self, server_id: str) -> list[dict]:
        return self.list_ports(device_id=server_id)

    def get_network(self, network_id: str) -> dict:
        return self.get(f"/v2.0/networks/{network_id}", what=f"Neutron has no network {network_id}")["network"]

    def find_network(self, network_id: str) -> dict | None:
        try:
            return self.get_network(network_id)
        except NotFound:
            return None

    def get_subnet(self, subnet_id: str) -> dict:
        return self.get(f"/v2.0/subnets/{subnet_id}", what=f"Neutron has no subnet {subnet_id}")["subnet"]

    def list_subnets(self, **filters) -> list[dict]:
        return self.get("/v2.0/subnets", params=filters)["subnets"]

    def get_security_group(self, group_id: str) -> dict:
        return self.get(f"/v2.0/security-groups/{group_id}",
                        what=f"Neutron has no security group {group_id}")["security_group"]

    def list_security_groups(self, **filters) -> list[dict]:
        return self.get("/v2.0/security-groups", params=filters)["security_groups"]

    def ip_is_free(self, network_id: str, ip_address: str) -> bool:
        """True when ``ip_address`` lies in one of the network's subnets and no port holds it."""
        address = ipaddress.ip_address(ip_address)
        subnets = self.list_subnets(network_id=network_id)
        if not any(address in ipaddress.ip_network(subnet["cidr"], strict=False) for subnet in subnets):
            return False
        holders = self.list_ports(network_id=network_id, fixed_ips=f"ip_address={ip_address}")
        return not any(fixed.get("ip_address") == ip_address for port in holders for fixed in port.get("fixed_ips", []))
