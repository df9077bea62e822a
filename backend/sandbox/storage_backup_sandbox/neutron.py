# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Neutron v2.0 of the embedded cloud: networks, subnets, ports, security groups, routers, floating IPs, quotas.

Records are kept in the shape Neutron's API returns them (plus nothing else), so views only hide the
admin-only attributes and apply ``fields=``. Neutron's conventions are followed where clients depend on them:
an admin lists every project's resources without asking, a project sees its own and shared ones (another
project's resource is a 404), any attribute is a filter (``?device_id=...&device_id=...`` is an OR), ``fields``
selects attributes, ``limit``/``marker`` page with ``<collection>_links``, and each project gets its ``default``
security group the first time it needs one.

Nova calls the model functions (``create_port``, ``bind_port``, ``delete_port``, ``server_addresses`` ...)
with the state lock held, as the real Nova calls Neutron's API.
"""
from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from storage_backup_sandbox.http import ApiError, Call, Service, bool_arg
from storage_backup_sandbox.state import State, new_id

# ---------------------------------------------------------------------------------------------------------------
# errors in Neutron's style: {"NeutronError": {"type": "NetworkNotFound", "message": ..., "detail": ""}}

_DEFAULT_TYPES = {400: "BadRequest", 401: "NotAuthorized", 403: "PolicyNotAuthorized", 404: "NotFound",
                  405: "MethodNotAllowed", 409: "Conflict", 413: "OverQuota", 500: "InternalServerError"}


def _error_body(error: ApiError) -> dict:
    kind = error.kind if error.kind not in ApiError.TITLES.values() else _DEFAULT_TYPES.get(error.status, "Error")
    return {"NeutronError": {"type": kind, "message": error.message, "detail": ""}}


network = Service("network", "/network", error_body=_error_body)


def _not_found(kind: str, ident: str) -> ApiError:
    label, type_name = {
        "networks": ("Network", "NetworkNotFound"), "subnets": ("Subnet", "SubnetNotFound"),
        "ports": ("Port", "PortNotFound"), "security_groups": ("Security group", "SecurityGroupNotFound"),
        "security_group_rules": ("Security group rule", "SecurityGroupRuleNotFound"),
        "floatingips": ("Floating IP", "FloatingIPNotFound"), "routers": ("Router", "RouterNotFound"),
    }[kind]
    return ApiError(404, f"{label} {ident} could not be found.", kind=type_name)


def _policy_error(action: str) -> ApiError:
    return ApiError(403, f"({action}) is disallowed by policy", kind="PolicyNotAuthorized")


# ---------------------------------------------------------------------------------------------------------------
# defaults and constants

DEFAULT_QUOTAS = {"network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50,
                  "security_group": 10, "security_group_rule": 100, "rbac_policy": 10, "subnetpool": -1}
QUOTA_KINDS = {"network": "networks", "subnet": "subnets", "port": "ports", "router": "routers",
               "floatingip": "floatingips", "security_group": "security_groups",
               "security_group_rule": "security_group_rules"}
MTU = 1442  # a Geneve overlay, as ML2/OVN gives tenant networks
NETWORK_AZ = "nova"
HOSTS = {"nova": "compute-nova", "az2": "compute-az2"}  # one compute host per AZ (nova.py uses the same names)
CONTROLLER_HOST = "controller"

# (alias, name, description) of the extensions this Neutron serves; Horizon and the SDK look them up by alias.
EXTENSIONS = (
    ("agent", "agent", "The agent management extension."),
    ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
    ("availability_zone", "Availability Zone", "The availability zone extension."),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("binding-extended", "Port Bindings Extended", "Expose port bindings of a virtual port to external application"),
    ("default-subnetpools", "Default Subnetpools", "Provides ability to mark and use a subnetpool as the default."),
    ("dhcp_agent_scheduler", "DHCP Agent Scheduler", "Schedule networks among dhcp agents"),
    ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode",
     "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
    ("extra_dhcp_opt", "Neutron Extra DHCP options",
     "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified"),
    ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
    ("filter-validation", "Filter parameters validation", "Provides validation on filter parameters."),
    ("fip-port-details", "Floating IP Port Details Extension", "Add port_details attribute to Floating IP resource"),
    ("ip-substring-filtering", "IP address substring filtering", "Provides IP address substring filtering when "
                                                                 "listing ports"),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("network-ip-availability", "Network IP Availability", "Provides IP availability data for each network and "
                                                           "subnet."),
    ("network_availability_zone", "Network Availability Zone", "Availability zone support for network."),
    ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
    ("port-security", "Port Security", "Provides port security"),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
    ("quotas", "Quota management support", "Expose functions for quotas management per project"),
    ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per "
                                                           "project"),
    ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and "
                                    "access to external networks via a NAT gateway."),
    ("router_availability_zone", "Router Availability Zone", "Availability zone support for router."),
    ("security-group", "security-group", "The security groups extension."),
    ("security-groups-default-rules", "Security group default rules template",
     "Configure set of security group rules used as default security group rules for new Security Groups"),
    ("security-groups-shared-filtering", "Security group filtering on the shared field",
     "Support filtering security groups on the shared field"),
    ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard "
                                                               "attributes"),
    ("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of "
                                                             "neutron resources."),
    ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, "
                          "router, network, policy, subnetpool, port, security_group, floatingip",
     "Enables to set tag on resources with standard attribute."),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron "
                                                       "resources that have Neutron standard attributes."),
    ("stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not"),
    ("subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a subnet pool"),
)

# Attributes only an admin sees (Neutron's default policy).
ADMIN_ONLY = {
    "networks": ("provider:network_type", "provider:physical_network", "provider:segmentation_id"),
    "ports": ("binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details"),
    "routers": ("distributed", "ha"),
}
# Query arguments that are not attribute filters.
NOT_FILTERS = {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse", "tags", "tags-any", "not-tags",
               "not-tags-any", "fixed_ips", "ip_address_substr"}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _standard(project_id: str, name: str = "", description: str = "") -> dict:
    now = _now()
    return {"id": new_id(), "name": name, "tenant_id": project_id, "project_id": project_id,
            "description": description, "tags": [], "created_at": now, "updated_at": now, "revision_number": 0}


def _touch(record: dict) -> None:
    record["updated_at"] = _now()
    record["revision_number"] = record.get("revision_number", 0) + 1


# ---------------------------------------------------------------------------------------------------------------
# model: networks and subnets


def create_network(state: State, *, project_id: str, name: str, shared: bool = False, external: bool = False,
                   admin_state_up: bool = True, description: str = "", port_security_enabled: bool = True,
                   mtu: int | None = None, network_type: str = "geneve") -> dict:
    record = _standard(project_id, name, description)
    segmentation_id = None
    if network_type in ("geneve", "vxlan", "vlan"):
        taken = {n.get("provider:segmentation_id") for n in state.table("networks").values()}
        segmentation_id = next(i for i in range(1, 65536) if i not in taken)
    record.update({
        "admin_state_up": admin_state_up, "status": "ACTIVE", "subnets": [], "shared": shared,
        "router:external": external, "mtu": mtu or (1500 if network_type == "flat" else MTU),
        "availability_zone_hints": [], "availability_zones": [NETWORK_AZ], "ipv4_address_scope": None,
        "ipv6_address_scope": None, "port_security_enabled": port_security_enabled, "qos_policy_id": None,
        "l2_adjacency": True, "is_default": False,
        "provider:network_type": network_type,
        "provider:physical_network": "public" if network_type in ("flat", "vlan") else None,
        "provider:segmentation_id": segmentation_id,
    })
    return state.put("networks", record)


def create_subnet(state: State, *, project_id: str, network_id: str, cidr: str, name: str = "",
                  gateway_ip: str | None | bool = True, allocation_pools: list[dict] | None = None,
                  enable_dhcp: bool = True, dns_nameservers: list[str] | None = None, ip_version: int = 4,
                  description: str = "", host_routes: list | None = None) -> dict:
    net = state.get("networks", network_id)
    if net is None:
        raise _not_found("networks", network_id)
    try:
        prefix = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise ApiError(400, f"Invalid input for cidr. Reason: '{cidr}' is not a valid IP subnet.") from None
    if prefix.version != ip_version:
        raise ApiError(400, "Invalid input for operation: cidr and ip_version do not match.")
    for other_id in net["subnets"]:
        other = state.get("subnets", other_id)
        if other and ipaddress.ip_network(other["cidr"]).overlaps(prefix):
            raise ApiError(400, f"Invalid input for operation: Requested subnet with cidr: {prefix} for network: "
                                f"{network_id} overlaps with another subnet.")
    hosts = list(prefix.hosts()) if prefix.num_addresses <= 65536 else None
    if gateway_ip is True:
        gateway_ip = str(next(iter(prefix.hosts())))
    if gateway_ip is False:
        gateway_ip = None
    if allocation_pools is None:
        if hosts is None:
            first, last = prefix.network_address + 2, prefix.broadcast_address - 1
        else:
            usable = [h for h in hosts if str(h) != gateway_ip]
            first, last = usable[0], usable[-1]
        allocation_pools = [{"start": str(first), "end": str(last)}]
    for pool in allocation_pools:
        for key in ("start", "end"):
            if ipaddress.ip_address(pool[key]) not in prefix:
                raise ApiError(400, f"The allocation pool {pool['start']}-{pool['end']} spans beyond the subnet "
                                    f"cidr {prefix}.")
    record = _standard(project_id, name, description)
    record.update({
        "network_id": network_id, "ip_version": ip_version, "subnetpool_id": None, "enable_dhcp": enable_dhcp,
        "ipv6_ra_mode": None, "ipv6_address_mode": None, "gateway_ip": gateway_ip, "cidr": str(prefix),
        "allocation_pools": allocation_pools, "host_routes": host_routes or [],
        "dns_nameservers": dns_nameservers or [], "service_types": [], "segment_id": None,
        "dns_publish_fixed_ip": False,
    })
    state.put("subnets", record)
    net["subnets"].append(record["id"])
    _touch(net)
    if enable_dhcp:  # the DHCP port Neutron's agent (or OVN's metadata port) holds
        create_port(state, project_id=project_id, network_id=network_id, device_owner="network:distributed",
                    device_id=f"ovnmeta-{network_id}", fixed_ips=[{"subnet_id": record["id"]}],
                    security_groups=[], bind_host=CONTROLLER_HOST)
    return record


def _used_ips(state: State, subnet_id: str) -> set[str]:
    used = set()
    for port in state.table("ports").values():
        for fixed in port["fixed_ips"]:
            if fixed["subnet_id"] == subnet_id:
                used.add(fixed["ip_address"])
    return used


def _pool_addresses(subnet: dict) -> Iterable[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    for pool in subnet["allocation_pools"]:
        address, last = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        while address <= last:
            yield address
            address += 1


def _allocate_ip(state: State, subnet: dict, wanted: str | None = None, allow_gateway: bool = False) -> str:
    used = _used_ips(state, subnet["id"])
    if wanted:
        try:
            address = ipaddress.ip_address(wanted)
        except ValueError:
            raise ApiError(400, f"Invalid input for operation: '{wanted}' is not a valid IP address.") from None
        if address not in ipaddress.ip_network(subnet["cidr"]):
            raise ApiError(400, f"IP address {wanted} is not a valid IP for the specified subnet.",
                           kind="InvalidIpForSubnet")
        if wanted in used or (wanted == subnet["gateway_ip"] and not allow_gateway):
            raise ApiError(409, f"IP address {wanted} already allocated in subnet {subnet['id']}",
                           kind="IpAddressAlreadyAllocated")
        return wanted
    for address in _pool_addresses(subnet):
        text = str(address)
        if text not in used and text != subnet["gateway_ip"]:
            return text
    raise ApiError(409, f"No more IP addresses available on network {subnet['network_id']}.",
                   kind="IpAddressGenerationFailure")


def _new_mac(state: State) -> str:
    taken = {port["mac_address"] for port in state.table("ports").values()}
    while True:
        mac = "fa:16:3e:" + ":".join(f"{random.randrange(256):02x}" for _ in range(3))
        if mac not in taken:
            return mac


# ---------------------------------------------------------------------------------------------------------------
# model: security groups


def _sg_rule(state: State, group: dict, *, direction: str, ethertype: str = "IPv4", protocol: str | None = None,
             port_range_min: int | None = None, port_range_max: int | None = None,
             remote_ip_prefix: str | None = None, remote_group_id: str | None = None, description: str = "") -> dict:
    now = _now()
    normalized = None
    if remote_ip_prefix:
        normalized = str(ipaddress.ip_network(remote_ip_prefix, strict=False))
    rule = {"id": new_id(), "tenant_id": group["project_id"], "project_id": group["project_id"],
            "security_group_id": group["id"], "direction": direction, "ethertype": ethertype,
            "protocol": protocol, "port_range_min": port_range_min, "port_range_max": port_range_max,
            "remote_ip_prefix": remote_ip_prefix, "remote_group_id": remote_group_id,
            "remote_address_group_id": None, "normalized_cidr": normalized, "description": description,
            "belongs_to_default_sg": group["name"] == "default", "created_at": now, "updated_at": now,
            "revision_number": 0}
    return state.put("security_group_rules", rule)


def create_security_group(state: State, *, project_id: str, name: str, description: str = "",
                          stateful: bool = True) -> dict:
    record = _standard(project_id, name, description)
    record.update({"stateful": stateful, "shared": False})
    state.put("security_groups", record)
    # Every new group lets everything out, as Neutron's default rules do.
    for ethertype in ("IPv4", "IPv6"):
        _sg_rule(state, record, direction="egress", ethertype=ethertype)
    return record


def ensure_default_security_group(state: State, project_id: str) -> dict:
    """The project's ``default`` group, created the first time the project needs it (as Neutron does)."""
    for group in state.table("security_groups").values():
        if group["project_id"] == project_id and group["name"] == "default":
            return group
    group = create_security_group(state, project_id=project_id, name="default",
                                  description="Default security group")
    for ethertype in ("IPv4", "IPv6"):  # members of the group reach each other
        _sg_rule(state, group, direction="ingress", ethertype=ethertype, remote_group_id=group["id"])
    return group


def find_security_group(state: State, project_id: str, ref: str) -> dict | None:
    """A group of ``project_id`` by ID or by name (Nova passes names)."""
    if ref == "default":
        return ensure_default_security_group(state, project_id)
    group = state.get("security_groups", ref)
    if group is not None and group["project_id"] == project_id:
        return group
    matches = [g for g in state.table("security_groups").values()
               if g["project_id"] == project_id and g["name"] == ref]
    if len(matches) > 1:
        raise ApiError(409, f"Multiple security_group matches found for name '{ref}', use an ID to be more "
                            "specific.", kind="NoUniqueMatch")
    return matches[0] if matches else None


def _group_view_rules(state: State, group_id: str) -> list[dict]:
    return [dict(r) for r in state.table("security_group_rules").values() if r["security_group_id"] == group_id]


# ---------------------------------------------------------------------------------------------------------------
# model: ports


def create_port(state: State, *, project_id: str, network_id: str, name: str = "", device_id: str = "",
                device_owner: str = "", fixed_ips: list[dict] | None = None, mac_address: str | None = None,
                security_groups: list[str] | None = None, admin_state_up: bool = True,
                port_security_enabled: bool | None = None, description: str = "", bind_host: str | None = None,
                vnic_type: str = "normal", allowed_address_pairs: list | None = None) -> dict:
    """A port with its fixed IPs and MAC; ``security_groups=None`` means the project's default group."""
    net = state.get("networks", network_id)
    if net is None:
        raise _not_found("networks", network_id)
    if port_security_enabled is None:
        port_security_enabled = net["port_security_enabled"]
    allocations = []
    requests = fixed_ips if fixed_ips is not None else [{"subnet_id": s} for s in net["subnets"][:1]]
    for wanted in requests:
        subnet = None
        if wanted.get("subnet_id"):
            subnet = state.get("subnets", wanted["subnet_id"])
            if subnet is None or subnet["network_id"] != network_id:
                raise ApiError(400, f"Invalid input for operation: Failed to create port on network {network_id}, "
                                    f"because fixed_ips included invalid subnet {wanted['subnet_id']}.",
                               kind="InvalidInput")
        elif wanted.get("ip_address"):
            for subnet_id in net["subnets"]:
                candidate = state.get("subnets", subnet_id)
                if ipaddress.ip_address(wanted["ip_address"]) in ipaddress.ip_network(candidate["cidr"]):
                    subnet = candidate
                    break
            if subnet is None:
                raise ApiError(400, f"IP address {wanted['ip_address']} is not a valid IP for any subnet of "
                                    f"network {network_id}.", kind="InvalidIpForNetwork")
        else:
            raise ApiError(400, "Invalid input for fixed_ips: it must name a subnet_id or an ip_address.")
        address = _allocate_ip(state, subnet, wanted.get("ip_address"),
                               allow_gateway=device_owner == "network:router_interface")
        allocations.append({"subnet_id": subnet["id"], "ip_address": address})
    if mac_address is None:
        mac_address = _new_mac(state)
    elif any(p["mac_address"] == mac_address and p["network_id"] == network_id
             for p in state.table("ports").values()):
        raise ApiError(409, f"Unable to complete operation for network {network_id}. The mac address "
                            f"{mac_address} is in use.", kind="MacAddressInUse")
    if security_groups is None:
        security_groups = [ensure_default_security_group(state, project_id)["id"]] if port_security_enabled else []
    if security_groups and not port_security_enabled:
        raise ApiError(400, "Port has no security group and port security enabled... Port security must be "
                            "enabled and port must have an IP address in order to use security groups.",
                       kind="PortSecurityAndIPRequiredForSecurityGroups")
    record = _standard(project_id, name, description)
    record.update({
        "network_id": network_id, "mac_address": mac_address, "admin_state_up": admin_state_up,
        "status": "DOWN", "device_id": device_id, "device_owner": device_owner, "fixed_ips": allocations,
        "allowed_address_pairs": allowed_address_pairs or [], "extra_dhcp_opts": [],
        "security_groups": list(security_groups), "port_security_enabled": port_security_enabled,
        "binding:vnic_type": vnic_type, "binding:host_id": "", "binding:profile": {},
        "binding:vif_type": "unbound", "binding:vif_details": {}, "qos_policy_id": None,
        "qos_network_policy_id": None, "ip_allocation": "immediate", "propagate_uplink_status": False,
        "resource_request": None,
    })
    state.put("ports", record)
    if bind_host:
        bind_port(state, record["id"], bind_host, device_id, device_owner)
    return record


def bind_port(state: State, port_id: str, host: str, device_id: str | None = None,
              device_owner: str | None = None) -> dict:
    """What Nova's port update at spawn does: bind to the compute host; the port goes ACTIVE."""
    port = state.get("ports", port_id)
    if port is None:
        raise _not_found("ports", port_id)
    if device_id is not None:
        port["device_id"] = device_id
    if device_owner is not None:
        port["device_owner"] = device_owner
    port.update({"binding:host_id": host, "binding:vif_type": "ovs", "status": "ACTIVE",
                 "binding:vif_details": {"port_filter": True, "connectivity": "l2", "bridge_name": "br-int",
                                         "datapath_type": "system"}})
    _touch(port)
    state.touch()
    return port


def unbind_port(state: State, port_id: str) -> None:
    """Nova detaching a port it did not create: the port stays, free for the next server."""
    port = state.get("ports", port_id)
    if port is None:
        return
    port.update({"device_id": "", "device_owner": "", "binding:host_id": "", "binding:vif_type": "unbound",
                 "binding:vif_details": {}, "status": "DOWN"})
    _touch(port)
    state.touch()


def delete_port(state: State, port_id: str) -> None:
    port = state.get("ports", port_id)
    if port is None:
        return
    for fip in state.table("floatingips").values():
        if fip["port_id"] == port_id:
            _disassociate(fip)
    state.delete("ports", port_id)


def ports_of_device(state: State, device_id: str) -> list[dict]:
    ports = [p for p in state.table("ports").values() if p["device_id"] == device_id]
    return sorted(ports, key=lambda p: p["created_at"])


def server_addresses(state: State, server_id: str, extended: bool = True) -> dict[str, list[dict]]:
    """Nova's ``addresses`` of a server: per network name, fixed IPs then their floating IPs."""
    addresses: dict[str, list[dict]] = {}
    for port in ports_of_device(state, server_id):
        net = state.get("networks", port["network_id"])
        if net is None:
            continue
        entries = addresses.setdefault(net["name"] or net["id"], [])
        for fixed in port["fixed_ips"]:
            version = ipaddress.ip_address(fixed["ip_address"]).version
            entry = {"version": version, "addr": fixed["ip_address"]}
            if extended:
                entry.update({"OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]})
            entries.append(entry)
            for fip in state.table("floatingips").values():
                if fip["port_id"] == port["id"] and fip["fixed_ip_address"] == fixed["ip_address"]:
                    entry = {"version": 4, "addr": fip["floating_ip_address"]}
                    if extended:
                        entry.update({"OS-EXT-IPS:type": "floating", "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]})
                    entries.append(entry)
    return addresses


def security_group_names_of_device(state: State, device_id: str) -> list[str]:
    names: list[str] = []
    for port in ports_of_device(state, device_id):
        for group_id in port["security_groups"]:
            group = state.get("security_groups", group_id)
            if group and group["name"] not in names:
                names.append(group["name"])
    return names


def networks_available_to(state: State, project_id: str) -> list[dict]:
    """What Nova may plug a server of ``project_id`` into: its own networks, then shared ones."""
    own = [n for n in state.table("networks").values() if n["project_id"] == project_id]
    shared = [n for n in state.table("networks").values() if n["shared"] and n["project_id"] != project_id]
    return sorted(own, key=lambda n: n["created_at"]) + sorted(shared, key=lambda n: n["created_at"])


# ---------------------------------------------------------------------------------------------------------------
# model: routers and floating IPs


def create_router(state: State, *, project_id: str, name: str, external_network_id: str | None = None,
                  enable_snat: bool = True, description: str = "", admin_state_up: bool = True) -> dict:
    record = _standard(project_id, name, description)
    record.update({"admin_state_up": admin_state_up, "status": "ACTIVE", "external_gateway_info": None,
                   "availability_zone_hints": [], "availability_zones": [NETWORK_AZ], "routes": [],
                   "flavor_id": None, "distributed": False, "ha": False, "enable_ndp_proxy": None})
    state.put("routers", record)
    if external_network_id:
        _set_gateway(state, record, {"network_id": external_network_id, "enable_snat": enable_snat})
    return record


def _set_gateway(state: State, router: dict, info: dict | None) -> None:
    for port in list(state.table("ports").values()):
        if port["device_id"] == router["id"] and port["device_owner"] == "network:router_gateway":
            state.delete("ports", port["id"])
    if not info or not info.get("network_id"):
        router["external_gateway_info"] = None
        return
    net = state.get("networks", info["network_id"])
    if net is None or not net["router:external"]:
        raise ApiError(400, f"Bad router request: Network {info.get('network_id')} is not a valid external network.",
                       kind="BadRequest")
    port = create_port(state, project_id="", network_id=net["id"], device_id=router["id"],
                       device_owner="network:router_gateway", security_groups=[], port_security_enabled=False,
                       bind_host=CONTROLLER_HOST)
    router["external_gateway_info"] = {"network_id": net["id"], "enable_snat": bool(info.get("enable_snat", True)),
                                       "external_fixed_ips": [dict(f) for f in port["fixed_ips"]]}


def add_router_interface(state: State, router: dict, subnet_id: str | None = None,
                         port_id: str | None = None) -> dict:
    if port_id:
        port = state.get("ports", port_id)
        if port is None:
            raise _not_found("ports", port_id)
        if port["device_id"]:
            raise ApiError(409, f"Port {port_id} is in use by {port['device_id']}.", kind="PortInUse")
        port.update({"device_id": router["id"], "device_owner": "network:router_interface"})
        subnet_id = port["fixed_ips"][0]["subnet_id"] if port["fixed_ips"] else None
    else:
        subnet = state.get("subnets", subnet_id or "")
        if subnet is None:
            raise _not_found("subnets", subnet_id or "")
        if not subnet["gateway_ip"]:
            raise ApiError(400, f"Bad router request: Subnet {subnet_id} has no gateway_ip.")
        for other in ports_of_device(state, router["id"]):
            if any(f["subnet_id"] == subnet_id for f in other["fixed_ips"]):
                raise ApiError(400, f"Bad router request: Router already has a port on subnet {subnet_id}.")
        port = create_port(state, project_id=router["project_id"], network_id=subnet["network_id"],
                           device_id=router["id"], device_owner="network:router_interface",
                           fixed_ips=[{"subnet_id": subnet_id, "ip_address": subnet["gateway_ip"]}],
                           security_groups=[], port_security_enabled=False, bind_host=CONTROLLER_HOST)
    _touch(router)
    return {"id": router["id"], "tenant_id": router["project_id"], "project_id": router["project_id"],
            "port_id": port["id"], "network_id": port["network_id"], "subnet_id": subnet_id,
            "subnet_ids": [subnet_id] if subnet_id else []}


def _router_for(state: State, subnet_id: str, external_network_id: str) -> dict | None:
    """The router that connects ``subnet_id`` to the external network (floating IPs need one)."""
    for router in state.table("routers").values():
        gateway = router["external_gateway_info"] or {}
        if gateway.get("network_id") != external_network_id:
            continue
        for port in ports_of_device(state, router["id"]):
            if port["device_owner"] == "network:router_interface" and any(
                    f["subnet_id"] == subnet_id for f in port["fixed_ips"]):
                return router
    return None


def _disassociate(fip: dict) -> None:
    fip.update({"port_id": None, "fixed_ip_address": None, "router_id": None, "status": "DOWN",
                "port_details": None})
    _touch(fip)


def _associate(state: State, fip: dict, port_id: str | None, fixed_ip: str | None) -> None:
    if not port_id:
        _disassociate(fip)
        return
    port = state.get("ports", port_id)
    if port is None:
        raise _not_found("ports", port_id)
    if port["project_id"] != fip["project_id"]:
        raise _not_found("ports", port_id)
    candidates = [f for f in port["fixed_ips"] if fixed_ip in (None, f["ip_address"])
                  and ipaddress.ip_address(f["ip_address"]).version == 4]
    if not candidates:
        raise ApiError(400, f"Port {port_id} does not have fixed ip {fixed_ip}." if fixed_ip else
                            f"Bad floatingip request: Port {port_id} does not have any IPv4 address.")
    chosen = candidates[0]
    router = _router_for(state, chosen["subnet_id"], fip["floating_network_id"])
    if router is None:
        raise ApiError(404, f"External network {fip['floating_network_id']} is not reachable from subnet "
                            f"{chosen['subnet_id']}.  Therefore, cannot associate Port {port_id} with a Floating IP.",
                       kind="ExternalGatewayForFloatingIPNotFound")
    for other in state.table("floatingips").values():
        if other is not fip and other["port_id"] == port_id and other["fixed_ip_address"] == chosen["ip_address"]:
            raise ApiError(409, f"Cannot associate floating IP {fip['floating_ip_address']} ({fip['id']}) with port "
                                f"{port_id} using fixed IP {chosen['ip_address']}, as that fixed IP already has a "
                                f"floating IP on external network {fip['floating_network_id']}.",
                           kind="FloatingIPPortAlreadyAssociated")
    fip.update({"port_id": port_id, "fixed_ip_address": chosen["ip_address"], "router_id": router["id"],
                "status": "ACTIVE",
                "port_details": {"name": port["name"], "network_id": port["network_id"],
                                 "mac_address": port["mac_address"], "admin_state_up": port["admin_state_up"],
                                 "status": port["status"], "device_id": port["device_id"],
                                 "device_owner": port["device_owner"]}})
    _touch(fip)


def create_floating_ip(state: State, *, project_id: str, floating_network_id: str, port_id: str | None = None,
                       fixed_ip_address: str | None = None, floating_ip_address: str | None = None,
                       description: str = "") -> dict:
    net = state.get("networks", floating_network_id)
    if net is None:
        raise _not_found("networks", floating_network_id)
    if not net["router:external"]:
        raise ApiError(400, f"Bad floatingip request: Network {floating_network_id} is not a valid external network.")
    record = _standard(project_id, "", description)
    record.pop("name")
    request = [{"ip_address": floating_ip_address}] if floating_ip_address else None
    gateway_port = create_port(state, project_id="", network_id=floating_network_id, device_id=record["id"],
                               device_owner="network:floatingip", fixed_ips=request, security_groups=[],
                               port_security_enabled=False)
    record.update({"floating_ip_address": gateway_port["fixed_ips"][0]["ip_address"],
                   "floating_network_id": floating_network_id, "router_id": None, "port_id": None,
                   "fixed_ip_address": None, "status": "DOWN", "qos_policy_id": None, "port_details": None,
                   "port_forwardings": [], "dns_domain": "", "dns_name": ""})
    state.put("floatingips", record)
    if port_id:
        _associate(state, record, port_id, fixed_ip_address)
    return record


def delete_floating_ip(state: State, fip_id: str) -> None:
    for port in list(state.table("ports").values()):
        if port["device_id"] == fip_id and port["device_owner"] == "network:floatingip":
            state.delete("ports", port["id"])
    state.delete("floatingips", fip_id)


# ---------------------------------------------------------------------------------------------------------------
# quotas


def quota_limits(state: State, project_id: str) -> dict[str, int]:
    limits = dict(DEFAULT_QUOTAS)
    limits.update(state.table("neutron_quotas").get(project_id, {}).get("limits", {}))
    return limits


def quota_usage(state: State, project_id: str) -> dict[str, int]:
    return {name: sum(1 for r in state.table(kind).values() if r.get("project_id") == project_id)
            for name, kind in QUOTA_KINDS.items()}


def _check_quota(state: State, project_id: str, resource: str, count: int = 1) -> None:
    limit = quota_limits(state, project_id)[resource]
    if limit >= 0 and quota_usage(state, project_id)[resource] + count > limit:
        raise ApiError(409, f"Quota exceeded for resources: ['{resource}'].", kind="OverQuota")


# ---------------------------------------------------------------------------------------------------------------
# seed


def _project_id(state: State, name: str) -> str | None:
    for project in state.table("projects").values():
        if project["name"] == name and project.get("domain_id") == "default":
            return project["id"]
    return None


PROJECT_NETWORKS = (("demo", "demo-net", "10.0.10.0/24"), ("alt", "alt-net", "10.0.20.0/24"),
                    ("service", "service-net", "10.0.30.0/24"))


def _find(state: State, kind: str, **match) -> dict | None:
    for record in state.table(kind).values():
        if all(record.get(k) == v for k, v in match.items()):
            return record
    return None


def seed_base(state: State) -> None:
    """The public external network, one private network + subnet + router per project, default groups."""
    with state.lock:
        admin_project = _project_id(state, "admin")
        if admin_project is None:
            return
        public = _find(state, "networks", name="public", project_id=admin_project)
        if public is None:
            public = create_network(state, project_id=admin_project, name="public", shared=True, external=True,
                                    network_type="flat", mtu=1500)
            create_subnet(state, project_id=admin_project, network_id=public["id"], name="public-subnet",
                          cidr="172.24.4.0/24", gateway_ip="172.24.4.1", enable_dhcp=False,
                          allocation_pools=[{"start": "172.24.4.10", "end": "172.24.4.250"}])
        for project_name in ("admin", "service", "demo", "alt"):
            project_id = _project_id(state, project_name)
            if project_id:
                ensure_default_security_group(state, project_id)
        for project_name, net_name, cidr in PROJECT_NETWORKS:
            project_id = _project_id(state, project_name)
            if project_id is None or _find(state, "networks", name=net_name, project_id=project_id):
                continue
            net = create_network(state, project_id=project_id, name=net_name)
            subnet = create_subnet(state, project_id=project_id, network_id=net["id"], name=f"{net_name}-subnet",
                                   cidr=cidr, dns_nameservers=["8.8.8.8"])
            router = create_router(state, project_id=project_id, name=f"{project_name}-router",
                                   external_network_id=public["id"])
            add_router_interface(state, router, subnet_id=subnet["id"])
        state.touch()


# ---------------------------------------------------------------------------------------------------------------
# views and listing


def _visible(call: Call, kind: str, record: dict) -> bool:
    ctx = call.ctx
    if ctx.is_admin:
        return True
    if record.get("project_id") == ctx.project_id:
        return True
    if kind == "networks":
        return record["shared"] or record["router:external"]
    if kind == "subnets":
        net = call.state.get("networks", record["network_id"])
        return bool(net and (net["shared"] or net["router:external"]))
    if kind == "security_group_rules":
        group = call.state.get("security_groups", record["security_group_id"])
        return bool(group and group["project_id"] == ctx.project_id)
    return False


def _view(call: Call, kind: str, record: dict) -> dict:
    view = dict(record)
    if kind == "security_groups":
        view["security_group_rules"] = _group_view_rules(call.state, record["id"])
    if not call.ctx.is_admin:
        for key in ADMIN_ONLY.get(kind, ()):
            view.pop(key, None)
    return view


def _select_fields(call: Call, view: dict) -> dict:
    fields = [f for value in call.args.getlist("fields") for f in value.split(",") if f]
    if not fields:
        return view
    return {k: v for k, v in view.items() if k in fields}


def _matches(value, wanted: list[str]) -> bool:
    if isinstance(value, list):
        return any(str(item) in wanted for item in value)
    if isinstance(value, bool):
        return any(w.lower() in (("true", "1") if value else ("false", "0")) for w in wanted)
    if value is None:
        return any(w in ("", "None", "null") for w in wanted)
    return str(value) in wanted


def _filter(call: Call, kind: str, records: list[dict]) -> list[dict]:
    args = call.args
    known = set().union(*(r.keys() for r in records)) if records else set()
    if kind == "security_groups":
        known.add("security_group_rules")
    result = records
    for key in set(args.keys()) - NOT_FILTERS:
        if key not in known and records:
            raise ApiError(400, f"{key} is invalid attribute for filtering", kind="HTTPBadRequest")
        wanted = args.getlist(key)
        result = [r for r in result if _matches(r.get(key), wanted)]
    for spec in args.getlist("fixed_ips"):  # fixed_ips=ip_address=10.0.0.5 / subnet_id=...
        name, _, value = spec.partition("=")
        result = [r for r in result if any(str(f.get(name)) == value for f in r.get("fixed_ips", []))]
    if args.get("ip_address_substr"):
        sub = args["ip_address_substr"]
        result = [r for r in result if any(sub in f["ip_address"] for f in r.get("fixed_ips", []))]
    for arg, mode in (("tags", all), ("tags-any", any)):
        if args.get(arg):
            tags = args[arg].split(",")
            result = [r for r in result if mode(t in r.get("tags", []) for t in tags)]
    for arg, mode in (("not-tags", all), ("not-tags-any", any)):
        if args.get(arg):
            tags = args[arg].split(",")
            result = [r for r in result if not mode(t in r.get("tags", []) for t in tags)]
    return result


def _list(call: Call, kind: str, collection: str, records: Iterable[dict] | None = None,
          view: Callable[[Call, str, dict], dict] = _view):
    records = call.state.table(kind).values() if records is None else records
    items = [view(call, kind, r) for r in records if _visible(call, kind, r)]
    items = _filter(call, kind, items)
    sort_keys = call.args.getlist("sort_key")
    sort_dirs = call.args.getlist("sort_dir")
    items.sort(key=lambda r: (r.get("created_at") or "", r.get("id") or ""))
    for index in range(len(sort_keys) - 1, -1, -1):
        direction = sort_dirs[index] if index < len(sort_dirs) else "asc"
        if direction not in ("asc", "desc"):
            raise ApiError(400, f"Sort direction {direction!r} is not valid; use asc or desc.")
        key = sort_keys[index]
        items.sort(key=lambda r, k=key: (r.get(k) is None, str(r.get(k))), reverse=direction == "desc")
    links = []
    marker = call.args.get("marker")
    reverse = str(call.args.get("page_reverse", "false")).lower() == "true"
    if marker:
        ids = [r["id"] for r in items]
        if marker not in ids:
            raise ApiError(404, f"Marker {marker} could not be found.", kind="NotFound")
        position = ids.index(marker)
        items = items[:position] if reverse else items[position + 1:]
    if call.args.get("limit"):
        try:
            limit = int(call.args["limit"])
        except ValueError:
            raise ApiError(400, f"'{call.args['limit']}' is not an integer") from None
        if limit > 0:
            more = len(items) > limit
            items = items[-limit:] if reverse else items[:limit]
            base = call.url(f"/network/v2.0/{collection}")
            query = [(k, v) for k, v in call.args.items(multi=True) if k not in ("marker", "page_reverse")]
            if items and (more or reverse):
                links.append({"rel": "next", "href": base + "?" + urlencode(query + [("marker", items[-1]["id"])])})
            if items and (marker or reverse and more):
                links.append({"rel": "previous", "href": base + "?" + urlencode(
                    query + [("marker", items[0]["id"]), ("page_reverse", "True")])})
    body = {collection.replace("-", "_"): [_select_fields(call, item) for item in items]}
    if links:
        body[collection.replace("-", "_") + "_links"] = links
    return 200, body


def _get(call: Call, kind: str, ident: str) -> dict:
    record = call.state.get(kind, ident)
    if record is None or not _visible(call, kind, record):
        raise _not_found(kind, ident)
    return record


def _writable(call: Call, kind: str, record: dict, action: str) -> None:
    """Only the owner (or an admin) changes a resource; a reader never does."""
    ctx = call.ctx
    if not ctx.can_write:
        raise _policy_error(action)
    if not ctx.is_admin and record.get("project_id") != ctx.project_id:
        raise _not_found(kind, record["id"])


def _project_for_create(call: Call, body: dict, action: str) -> str:
    ctx = call.ctx
    if not ctx.can_write:
        raise _policy_error(action)
    project_id = body.get("project_id") or body.get("tenant_id") or ctx.project_id
    if project_id != ctx.project_id and not ctx.is_admin:
        raise _policy_error(action)
    return project_id


def _body(call: Call, key: str) -> dict:
    body = call.json()
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise ApiError(400, f"Resource body required: '{key}'.", kind="BadRequest")
    return body[key]


def _only(body: dict, allowed: Iterable[str], resource: str) -> None:
    unknown = set(body) - set(allowed)
    if unknown:
        name = sorted(unknown)[0]
        raise ApiError(400, f"Unrecognized attribute(s) '{name}'", kind="HTTPBadRequest")


def _apply_update(record: dict, changes: dict, allowed: Iterable[str], resource: str) -> None:
    _only(changes, allowed, resource)
    record.update(changes)
    _touch(record)


# ---------------------------------------------------------------------------------------------------------------
# handlers: versions, extensions, availability zones, agents


@network.route("/", public=True)
def versions(call: Call):
    return 200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                               "links": [{"rel": "self", "href": call.url("/network/v2.0/")}]}]}


@network.route("/v2.0/", public=True)
def version_root(call: Call):
    names = ("subnets", "networks", "ports", "security-groups", "security-group-rules", "floatingips", "routers",
             "extensions", "quotas", "availability_zones", "agents", "network-ip-availabilities", "subnetpools")
    return 200, {"resources": [{"name": n.rstrip("s"), "collection": n,
                                "links": [{"rel": "self", "href": call.url(f"/network/v2.0/{n}")}]} for n in names]}


def _extension_view(alias: str, name: str, description: str) -> dict:
    return {"alias": alias, "name": name, "description": description, "updated": "2013-01-20T00:00:00-00:00",
            "links": []}


@network.route("/v2.0/extensions")
def list_extensions(call: Call):
    return 200, {"extensions": [_extension_view(*entry) for entry in EXTENSIONS]}


@network.route("/v2.0/extensions/<alias>")
def show_extension(call: Call, alias: str):
    for entry in EXTENSIONS:
        if entry[0] == alias:
            return 200, {"extension": _extension_view(*entry)}
    raise ApiError(404, f"Extension with alias {alias} does not exist", kind="NotFound")


@network.route("/v2.0/availability_zones")
def list_availability_zones(call: Call):
    zones = [{"name": NETWORK_AZ, "resource": resource, "state": "available"} for resource in ("network", "router")]
    for key in ("name", "resource", "state"):
        if call.args.get(key):
            zones = [z for z in zones if z[key] in call.args.getlist(key)]
    return 200, {"availability_zones": zones}


def _agents() -> list[dict]:
    started = "2024-04-01T00:00:00Z"
    agents = []
    specs = [("DHCP agent", "neutron-dhcp-agent", CONTROLLER_HOST, "dhcp_agent", NETWORK_AZ),
             ("L3 agent", "neutron-l3-agent", CONTROLLER_HOST, "l3_agent", NETWORK_AZ),
             ("Metadata agent", "neutron-metadata-agent", CONTROLLER_HOST, "N/A", None)]
    specs += [("Open vSwitch agent", "neutron-openvswitch-agent", host, "N/A", None) for host in HOSTS.values()]
    for index, (agent_type, binary, host, topic, zone) in enumerate(specs):
        agents.append({"id": f"5e0c1f3a-6f7b-4c4e-9a2b-00000000000{index}", "agent_type": agent_type,
                       "binary": binary, "host": host, "topic": topic, "availability_zone": zone, "alive": True,
                       "admin_state_up": True, "created_at": started, "started_at": started,
                       "heartbeat_timestamp": _now().replace("T", " ").rstrip("Z"), "description": None,
                       "configurations": {}, "resources_synced": None, "ha_state": None})
    return agents


@network.route("/v2.0/agents")
def list_agents(call: Call):
    if not call.ctx.is_admin:
        raise _policy_error("get_agent")
    agents = _agents()
    for key in ("agent_type", "host", "binary", "topic"):
        if call.args.get(key):
            agents = [a for a in agents if a[key] in call.args.getlist(key)]
    return 200, {"agents": agents}


@network.route("/v2.0/networks/<network_id>/dhcp-agents")
def list_network_dhcp_agents(call: Call, network_id: str):
    _get(call, "networks", network_id)
    if not call.ctx.is_admin:
        raise _policy_error("get_dhcp-agents")
    return 200, {"agents": [a for a in _agents() if a["agent_type"] == "DHCP agent"]}


@network.route("/v2.0/routers/<router_id>/l3-agents")
def list_router_l3_agents(call: Call, router_id: str):
    _get(call, "routers", router_id)
    if not call.ctx.is_admin:
        raise _policy_error("get_l3-agents")
    return 200, {"agents": [a for a in _agents() if a["agent_type"] == "L3 agent"]}


@network.route("/v2.0/service-providers")
def list_service_providers(call: Call):
    return 200, {"service_providers": [{"service_type": "L3_ROUTER_NAT", "name": "ovs", "default": True}]}


@network.route("/v2.0/subnetpools")
def list_subnetpools(call: Call):
    return 200, {"subnetpools": []}


@network.route("/v2.0/address-scopes")
def list_address_scopes(call: Call):
    return 200, {"address_scopes": []}


# ---------------------------------------------------------------------------------------------------------------
# handlers: networks

NETWORK_CREATE = {"name", "admin_state_up", "shared", "router:external", "description", "port_security_enabled",
                  "mtu", "tenant_id", "project_id", "availability_zone_hints", "provider:network_type",
                  "provider:physical_network", "provider:segmentation_id", "qos_policy_id", "dns_domain",
                  "is_default"}
NETWORK_UPDATE = {"name", "admin_state_up", "shared", "router:external", "description", "port_security_enabled",
                  "mtu", "qos_policy_id", "dns_domain", "is_default"}


@network.route("/v2.0/networks")
def list_networks(call: Call):
    if not call.ctx.is_admin:
        ensure_default_security_group(call.state, call.ctx.project_id)
    return _list(call, "networks", "networks")


@network.route("/v2.0/networks", methods="POST")
def post_network(call: Call):
    body = _body(call, "network")
    _only(body, NETWORK_CREATE, "network")
    project_id = _project_for_create(call, body, "create_network")
    for admin_only in ("shared", "router:external", "provider:network_type", "provider:physical_network",
                       "provider:segmentation_id"):
        if body.get(admin_only) and not call.ctx.is_admin:
            raise _policy_error(f"create_network:{admin_only}")
    _check_quota(call.state, project_id, "network")
    record = create_network(call.state, project_id=project_id, name=body.get("name", ""),
                            shared=bool_arg(body.get("shared", False), "shared"),
                            external=bool_arg(body.get("router:external", False), "router:external"),
                            admin_state_up=bool_arg(body.get("admin_state_up", True), "admin_state_up"),
                            description=body.get("description", ""),
                            port_security_enabled=bool_arg(body.get("port_security_enabled", True),
                                                           "port_security_enabled"),
                            mtu=body.get("mtu"), network_type=body.get("provider:network_type", "geneve"))
    if body.get("availability_zone_hints"):
        record["availability_zone_hints"] = list(body["availability_zone_hints"])
    return 201, {"network": _view(call, "networks", record)}


@network.route("/v2.0/networks/<network_id>")
def get_network(call: Call, network_id: str):
    return 200, {"network": _select_fields(call, _view(call, "networks", _get(call, "networks", network_id)))}


@network.route("/v2.0/networks/<network_id>", methods="PUT")
def put_network(call: Call, network_id: str):
    record = _get(call, "networks", network_id)
    _writable(call, "networks", record, "update_network")
    changes = _body(call, "network")
    if any(k in changes for k in ("shared", "router:external")) and not call.ctx.is_admin:
        raise _policy_error("update_network:shared")
    _apply_update(record, changes, NETWORK_UPDATE, "network")
    return 200, {"network": _view(call, "networks", record)}


@network.route("/v2.0/networks/<network_id>", methods="DELETE")
def delete_network(call: Call, network_id: str):
    record = _get(call, "networks", network_id)
    _writable(call, "networks", record, "delete_network")
    state = call.state
    busy = [p for p in state.table("ports").values() if p["network_id"] == network_id
            and p["device_owner"] not in ("network:dhcp", "network:distributed", "network:router_interface")]
    if busy:
        raise ApiError(409, f"Unable to complete operation on network {network_id}. There are one or more ports "
                            "still in use on the network.", kind="NetworkInUse")
    for port in [p for p in state.table("ports").values() if p["network_id"] == network_id]:
        state.delete("ports", port["id"])
    for subnet_id in record["subnets"]:
        state.delete("subnets", subnet_id)
    state.delete("networks", network_id)
    return 204, None


# ---------------------------------------------------------------------------------------------------------------
# handlers: subnets

SUBNET_CREATE = {"name", "network_id", "cidr", "ip_version", "gateway_ip", "allocation_pools", "enable_dhcp",
                 "dns_nameservers", "host_routes", "description", "tenant_id", "project_id", "ipv6_ra_mode",
                 "ipv6_address_mode", "subnetpool_id", "prefixlen", "service_types", "segment_id",
                 "use_default_subnetpool", "dns_publish_fixed_ip"}
SUBNET_UPDATE = {"name", "gateway_ip", "allocation_pools", "enable_dhcp", "dns_nameservers", "host_routes",
                 "description", "service_types", "segment_id", "dns_publish_fixed_ip"}


@network.route("/v2.0/subnets")
def list_subnets(call: Call):
    return _list(call, "subnets", "subnets")


@network.route("/v2.0/subnets", methods="POST")
def post_subnet(call: Call):
    body = _body(call, "subnet")
    _only(body, SUBNET_CREATE, "subnet")
    project_id = _project_for_create(call, body, "create_subnet")
    net = _get(call, "networks", body.get("network_id") or "")
    if net["project_id"] != project_id and not call.ctx.is_admin:
        raise _policy_error("create_subnet")
    if not body.get("cidr"):
        raise ApiError(400, "Bad subnet request: a cidr must be specified in the absence of a subnet pool")
    _check_quota(call.state, project_id, "subnet")
    gateway = body.get("gateway_ip", True)
    record = create_subnet(call.state, project_id=project_id, network_id=net["id"], cidr=body["cidr"],
                           name=body.get("name", ""), gateway_ip=gateway if gateway is not None else False,
                           allocation_pools=body.get("allocation_pools"),
                           enable_dhcp=bool_arg(body.get("enable_dhcp", True), "enable_dhcp"),
                           dns_nameservers=body.get("dns_nameservers"), ip_version=int(body.get("ip_version", 4)),
                           description=body.get("description", ""), host_routes=body.get("host_routes"))
    return 201, {"subnet": _view(call, "subnets", record)}


@network.route("/v2.0/subnets/<subnet_id>")
def get_subnet(call: Call, subnet_id: str):
    return 200, {"subnet": _select_fields(call, _view(call, "subnets", _get(call, "subnets", subnet_id)))}


@network.route("/v2.0/subnets/<subnet_id>", methods="PUT")
def put_subnet(call: Call, subnet_id: str):
    record = _get(call, "subnets", subnet_id)
    _writable(call, "subnets", record, "update_subnet")
    _apply_update(record, _body(call, "subnet"), SUBNET_UPDATE, "subnet")
    return 200, {"subnet": _view(call, "subnets", record)}


@network.route("/v2.0/subnets/<subnet_id>", methods="DELETE")
def delete_subnet(call: Call, subnet_id: str):
    record = _get(call, "subnets", subnet_id)
    _writable(call, "subnets", record, "delete_subnet")
    state = call.state
    users = [p for p in state.table("ports").values() if any(f["subnet_id"] == subnet_id for f in p["fixed_ips"])]
    if any(p["device_owner"] not in ("network:dhcp", "network:distributed") for p in users):
        raise ApiError(409, f"Unable to complete operation on subnet {subnet_id}: One or more ports have an IP "
                            "allocation from this subnet.", kind="SubnetInUse")
    for port in users:
        state.delete("ports", port["id"])
    net = state.get("networks", record["network_id"])
    if net and subnet_id in net["subnets"]:
        net["subnets"].remove(subnet_id)
        _touch(net)
    state.delete("subnets", subnet_id)
    return 204, None


# ---------------------------------------------------------------------------------------------------------------
# handlers: ports

PORT_CREATE = {"name", "network_id", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner",
               "tenant_id", "project_id", "security_groups", "allowed_address_pairs", "description",
               "port_security_enabled", "binding:vnic_type", "binding:host_id", "binding:profile", "qos_policy_id",
               "extra_dhcp_opts", "dns_name", "propagate_uplink_status", "tags"}
PORT_UPDATE = PORT_CREATE - {"network_id", "tenant_id", "project_id"}


def _check_security_groups(call: Call, project_id: str, refs: list[str]) -> list[str]:
    ids = []
    for ref in refs:
        group = call.state.get("security_groups", ref)
        if group is None or (group["project_id"] != project_id and not call.ctx.is_admin):
            raise ApiError(404, f"Security group {ref} does not exist", kind="SecurityGroupNotFound")
        ids.append(group["id"])
    return ids


@network.route("/v2.0/ports")
def list_ports(call: Call):
    return _list(call, "ports", "ports")


@network.route("/v2.0/ports", methods="POST")
def post_port(call: Call):
    body = _body(call, "port")
    _only(body, PORT_CREATE, "port")
    project_id = _project_for_create(call, body, "create_port")
    net = _get(call, "networks", body.get("network_id") or "")
    if net["router:external"] and not net["shared"] and not call.ctx.is_admin:
        raise _policy_error("create_port:device_owner")
    _check_quota(call.state, project_id, "port")
    groups = body.get("security_groups")
    if groups is not None:
        groups = _check_security_groups(call, project_id, groups)
    record = create_port(call.state, project_id=project_id, network_id=net["id"], name=body.get("name", ""),
                         device_id=body.get("device_id", ""), device_owner=body.get("device_owner", ""),
                         fixed_ips=body.get("fixed_ips"), mac_address=body.get("mac_address"),
                         security_groups=groups,
                         admin_state_up=bool_arg(body.get("admin_state_up", True), "admin_state_up"),
                         port_security_enabled=body.get("port_security_enabled"),
                         description=body.get("description", ""),
                         vnic_type=body.get("binding:vnic_type", "normal"),
                         allowed_address_pairs=body.get("allowed_address_pairs"))
    if body.get("binding:host_id") and call.ctx.is_admin:
        bind_port(call.state, record["id"], body["binding:host_id"])
    if body.get("tags"):
        record["tags"] = list(body["tags"])
    return 201, {"port": _view(call, "ports", record)}


@network.route("/v2.0/ports/<port_id>")
def get_port(call: Call, port_id: str):
    return 200, {"port": _select_fields(call, _view(call, "ports", _get(call, "ports", port_id)))}


@network.route("/v2.0/ports/<port_id>", methods="PUT")
def put_port(call: Call, port_id: str):
    record = _get(call, "ports", port_id)
    _writable(call, "ports", record, "update_port")
    changes = dict(_body(call, "port"))
    _only(changes, PORT_UPDATE, "port")
    if "security_groups" in changes:
        changes["security_groups"] = _check_security_groups(call, record["project_id"], changes["security_groups"])
    if "fixed_ips" in changes:
        old = {(f["subnet_id"], f["ip_address"]) for f in record["fixed_ips"]}
        record["fixed_ips"] = []  # free the old addresses while choosing the new ones
        try:
            allocations = []
            for wanted in changes.pop("fixed_ips"):
                keep = [f for f in old if f[0] == wanted.get("subnet_id") and wanted.get("ip_address") in (None, f[1])]
                if keep:
                    allocations.append({"subnet_id": keep[0][0], "ip_address": keep[0][1]})
                    continue
                subnet = _get(call, "subnets", wanted.get("subnet_id") or "")
                allocations.append({"subnet_id": subnet["id"],
                                    "ip_address": _allocate_ip(call.state, subnet, wanted.get("ip_address"))})
        except ApiError:
            record["fixed_ips"] = [{"subnet_id": s, "ip_address": a} for s, a in old]
            raise
        record["fixed_ips"] = allocations
    host = changes.pop("binding:host_id", None)
    _apply_update(record, changes, PORT_UPDATE, "port")
    if host and call.ctx.is_admin:
        bind_port(call.state, port_id, host)
    elif host == "" and call.ctx.is_admin:
        unbind_port(call.state, port_id)
    return 200, {"port": _view(call, "ports", record)}


@network.route("/v2.0/ports/<port_id>", methods="DELETE")
def delete_port_handler(call: Call, port_id: str):
    record = _get(call, "ports", port_id)
    _writable(call, "ports", record, "delete_port")
    if record["device_owner"] in ("network:router_interface", "network:router_gateway") and not call.ctx.is_admin:
        raise ApiError(409, f"Port {port_id} cannot be deleted directly via the port API: has device owner "
                            f"{record['device_owner']}.", kind="ServicePortInUse")
    delete_port(call.state, port_id)
    return 204, None


# ---------------------------------------------------------------------------------------------------------------
# handlers: security groups and rules


@network.route("/v2.0/security-groups")
def list_security_groups(call: Call):
    if call.ctx.project_id:
        ensure_default_security_group(call.state, call.ctx.project_id)
    return _list(call, "security_groups", "security-groups")


@network.route("/v2.0/security-groups", methods="POST")
def post_security_group(call: Call):
    body = _body(call, "security_group")
    _only(body, {"name", "description", "tenant_id", "project_id", "stateful", "tags"}, "security_group")
    project_id = _project_for_create(call, body, "create_security_group")
    ensure_default_security_group(call.state, project_id)
    if body.get("name") == "default":
        raise ApiError(409, "Default security group already exists.", kind="SecurityGroupDefaultAlreadyExists")
    _check_quota(call.state, project_id, "security_group")
    record = create_security_group(call.state, project_id=project_id, name=body.get("name", ""),
                                   description=body.get("description", ""),
                                   stateful=bool_arg(body.get("stateful", True), "stateful"))
    return 201, {"security_group": _view(call, "security_groups", record)}


@network.route("/v2.0/security-groups/<group_id>")
def get_security_group(call: Call, group_id: str):
    record = _get(call, "security_groups", group_id)
    return 200, {"security_group": _select_fields(call, _view(call, "security_groups", record))}


@network.route("/v2.0/security-groups/<group_id>", methods="PUT")
def put_security_group(call: Call, group_id: str):
    record = _get(call, "security_groups", group_id)
    _writable(call, "security_groups", record, "update_security_group")
    changes = _body(call, "security_group")
    if record["name"] == "default" and changes.get("name", "default") != "default":
        raise ApiError(409, "Updating default security group not allowed.", kind="SecurityGroupCannotUpdateDefault")
    _apply_update(record, changes, {"name", "description", "stateful"}, "security_group")
    return 200, {"security_group": _view(call, "security_groups", record)}


@network.route("/v2.0/security-groups/<group_id>", methods="DELETE")
def delete_security_group(call: Call, group_id: str):
    record = _get(call, "security_groups", group_id)
    _writable(call, "security_groups", record, "delete_security_group")
    state = call.state
    if record["name"] == "default" and not call.ctx.is_admin:
        raise ApiError(409, "Insufficient rights for removing default security group.",
                       kind="SecurityGroupCannotRemoveDefault")
    if any(group_id in p["security_groups"] for p in state.table("ports").values()):
        raise ApiError(409, f"Security Group {group_id} in use.", kind="SecurityGroupInUse")
    for rule in [r for r in state.table("security_group_rules").values() if r["security_group_id"] == group_id]:
        state.delete("security_group_rules", rule["id"])
    state.delete("security_groups", group_id)
    return 204, None


RULE_CREATE = {"security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
               "remote_ip_prefix", "remote_group_id", "description", "tenant_id", "project_id",
               "remote_address_group_id"}
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132, "gre": 47, "esp": 50,
             "ah": 51, "any": None}


@network.route("/v2.0/security-group-rules")
def list_security_group_rules(call: Call):
    return _list(call, "security_group_rules", "security-group-rules")


@network.route("/v2.0/security-group-rules", methods="POST")
def post_security_group_rule(call: Call):
    body = _body(call, "security_group_rule")
    _only(body, RULE_CREATE, "security_group_rule")
    group = _get(call, "security_groups", body.get("security_group_id") or "")
    _writable(call, "security_groups", group, "create_security_group_rule")
    direction = body.get("direction")
    if direction not in ("ingress", "egress"):
        raise ApiError(400, f"Invalid input for direction. Reason: '{direction}' is not in ['ingress', 'egress'].")
    ethertype = body.get("ethertype", "IPv4")
    if ethertype not in ("IPv4", "IPv6"):
        raise ApiError(400, f"Invalid input for ethertype. Reason: '{ethertype}' is not in ['IPv4', 'IPv6'].")
    protocol = body.get("protocol")
    if protocol is not None:
        protocol = str(protocol).lower()
        if protocol not in PROTOCOLS and not (protocol.isdigit() and 0 <= int(protocol) <= 255):
            raise ApiError(400, f"Security group rule protocol {protocol} not supported.",
                           kind="SecurityGroupRuleInvalidProtocol")
        if protocol == "any":
            protocol = None
    low, high = body.get("port_range_min"), body.get("port_range_max")
    if (low is not None or high is not None) and protocol in (None, "gre", "esp", "ah"):
        raise ApiError(400, "Must also specify protocol if port range is given.",
                       kind="SecurityGroupProtocolRequiredWithPorts")
    if protocol in ("tcp", "udp", "sctp", "6", "17", "132") and low is not None:
        high = low if high is None else high
        if not (1 <= int(low) <= int(high) <= 65535):
            raise ApiError(400, "For TCP/UDP protocols, port_range_min must be <= port_range_max",
                           kind="SecurityGroupInvalidPortRange")
    prefix = body.get("remote_ip_prefix")
    if prefix and body.get("remote_group_id"):
        raise ApiError(400, "Only remote_ip_prefix or remote_group_id may be provided.",
                       kind="SecurityGroupRemoteGroupAndRemoteIpPrefix")
    if prefix:
        try:
            network_value = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            raise ApiError(400, f"Invalid input for remote_ip_prefix. Reason: '{prefix}' is not a valid IP "
                                "prefix.") from None
        if f"IPv{network_value.version}" != ethertype:
            raise ApiError(400, f"Conflicting value ethertype {ethertype} for CIDR {prefix}",
                           kind="SecurityGroupRuleParameterConflict")
    if body.get("remote_group_id"):
        _get(call, "security_groups", body["remote_group_id"])
    signature = (direction, ethertype, protocol, low, high, prefix, body.get("remote_group_id"))
    for rule in _group_view_rules(call.state, group["id"]):
        existing = (rule["direction"], rule["ethertype"], rule["protocol"], rule["port_range_min"],
                    rule["port_range_max"], rule["remote_ip_prefix"], rule["remote_group_id"])
        if existing == signature:
            raise ApiError(409, f"Security group rule already exists. Rule id is {rule['id']}.",
                           kind="SecurityGroupRuleExists")
    _check_quota(call.state, group["project_id"], "security_group_rule")
    rule = _sg_rule(call.state, group, direction=direction, ethertype=ethertype, protocol=protocol,
                    port_range_min=int(low) if low is not None else None,
                    port_range_max=int(high) if high is not None else None, remote_ip_prefix=prefix,
                    remote_group_id=body.get("remote_group_id"), description=body.get("description", ""))
    _touch(group)
    return 201, {"security_group_rule": dict(rule)}


@network.route("/v2.0/security-group-rules/<rule_id>")
def get_security_group_rule(call: Call, rule_id: str):
    return 200, {"security_group_rule": _select_fields(call, dict(_get(call, "security_group_rules", rule_id)))}


@network.route("/v2.0/security-group-rules/<rule_id>", methods="DELETE")
def delete_security_group_rule(call: Call, rule_id: str):
    rule = _get(call, "security_group_rules", rule_id)
    group = _get(call, "security_groups", rule["security_group_id"])
    _writable(call, "security_groups", group, "delete_security_group_rule")
    call.state.delete("security_group_rules", rule_id)
    _touch(group)
    return 204, None


# ---------------------------------------------------------------------------------------------------------------
# handlers: floating IPs


@network.route("/v2.0/floatingips")
def list_floating_ips(call: Call):
    return _list(call, "floatingips", "floatingips")


@network.route("/v2.0/floatingips", methods="POST")
def post_floating_ip(call: Call):
    body = _body(call, "floatingip")
    _only(body, {"floating_network_id", "port_id", "fixed_ip_address", "floating_ip_address", "description",
                 "tenant_id", "project_id", "subnet_id", "qos_policy_id", "dns_domain", "dns_name"}, "floatingip")
    project_id = _project_for_create(call, body, "create_floatingip")
    if body.get("floating_ip_address") and not call.ctx.is_admin:
        raise _policy_error("create_floatingip:floating_ip_address")
    net = _get(call, "networks", body.get("floating_network_id") or "")
    if body.get("port_id"):
        _get(call, "ports", body["port_id"])
    _check_quota(call.state, project_id, "floatingip")
    record = create_floating_ip(call.state, project_id=project_id, floating_network_id=net["id"],
                                port_id=body.get("port_id"), fixed_ip_address=body.get("fixed_ip_address"),
                                floating_ip_address=body.get("floating_ip_address"),
                                description=body.get("description", ""))
    return 201, {"floatingip": dict(record)}


@network.route("/v2.0/floatingips/<fip_id>")
def get_floating_ip(call: Call, fip_id: str):
    return 200, {"floatingip": _select_fields(call, dict(_get(call, "floatingips", fip_id)))}


@network.route("/v2.0/floatingips/<fip_id>", methods="PUT")
def put_floating_ip(call: Call, fip_id: str):
    record = _get(call, "floatingips", fip_id)
    _writable(call, "floatingips", record, "update_floatingip")
    changes = _body(call, "floatingip")
    _only(changes, {"port_id", "fixed_ip_address", "description", "qos_policy_id"}, "floatingip")
    if "port_id" in changes:
        _associate(call.state, record, changes.get("port_id"), changes.get("fixed_ip_address"))
    if "description" in changes:
        record["description"] = changes["description"]
        _touch(record)
    return 200, {"floatingip": dict(record)}


@network.route("/v2.0/floatingips/<fip_id>", methods="DELETE")
def delete_floating_ip_handler(call: Call, fip_id: str):
    record = _get(call, "floatingips", fip_id)
    _writable(call, "floatingips", record, "delete_floatingip")
    delete_floating_ip(call.state, fip_id)
    return 204, None


# ---------------------------------------------------------------------------------------------------------------
# handlers: routers


@network.route("/v2.0/routers")
def list_routers(call: Call):
    return _list(call, "routers", "routers")


@network.route("/v2.0/routers", methods="POST")
def post_router(call: Call):
    body = _body(call, "router")
    _only(body, {"name", "admin_state_up", "description", "external_gateway_info", "tenant_id", "project_id",
                 "availability_zone_hints", "distributed", "ha", "flavor_id", "enable_ndp_proxy"}, "router")
    project_id = _project_for_create(call, body, "create_router")
    _check_quota(call.state, project_id, "router")
    gateway = body.get("external_gateway_info") or {}
    if gateway.get("network_id"):
        _get(call, "networks", gateway["network_id"])
    record = create_router(call.state, project_id=project_id, name=body.get("name", ""),
                           external_network_id=gateway.get("network_id"),
                           enable_snat=bool(gateway.get("enable_snat", True)),
                           description=body.get("description", ""),
                           admin_state_up=bool_arg(body.get("admin_state_up", True), "admin_state_up"))
    return 201, {"router": _view(call, "routers", record)}


@network.route("/v2.0/routers/<router_id>")
def get_router(call: Call, router_id: str):
    return 200, {"router": _select_fields(call, _view(call, "routers", _get(call, "routers", router_id)))}


@network.route("/v2.0/routers/<router_id>", methods="PUT")
def put_router(call: Call, router_id: str):
    record = _get(call, "routers", router_id)
    _writable(call, "routers", record, "update_router")
    changes = dict(_body(call, "router"))
    if "external_gateway_info" in changes:
        _set_gateway(call.state, record, changes.pop("external_gateway_info"))
    if "routes" in changes:
        record["routes"] = list(changes.pop("routes") or [])
    _apply_update(record, changes, {"name", "admin_state_up", "description", "distributed", "ha"}, "router")
    return 200, {"router": _view(call, "routers", record)}


@network.route("/v2.0/routers/<router_id>", methods="DELETE")
def delete_router(call: Call, router_id: str):
    record = _get(call, "routers", router_id)
    _writable(call, "routers", record, "delete_router")
    state = call.state
    if any(p["device_owner"] == "network:router_interface" for p in ports_of_device(state, router_id)):
        raise ApiError(409, f"Router {router_id} still has ports", kind="RouterInUse")
    if any(f["router_id"] == router_id for f in state.table("floatingips").values()):
        raise ApiError(409, f"Router {router_id} still has floating IPs associated", kind="RouterInUse")
    _set_gateway(state, record, None)
    state.delete("routers", router_id)
    return 204, None


@network.route("/v2.0/routers/<router_id>/add_router_interface", methods="PUT")
def put_add_router_interface(call: Call, router_id: str):
    record = _get(call, "routers", router_id)
    _writable(call, "routers", record, "add_router_interface")
    body = call.json()
    if not body.get("subnet_id") and not body.get("port_id"):
        raise ApiError(400, "Bad router request: Either subnet_id or port_id must be specified.")
    return 200, add_router_interface(call.state, record, subnet_id=body.get("subnet_id"),
                                     port_id=body.get("port_id"))


@network.route("/v2.0/routers/<router_id>/remove_router_interface", methods="PUT")
def put_remove_router_interface(call: Call, router_id: str):
    record = _get(call, "routers", router_id)
    _writable(call, "routers", record, "remove_router_interface")
    body = call.json()
    for port in ports_of_device(call.state, router_id):
        if port["device_owner"] != "network:router_interface":
            continue
        subnet_ids = [f["subnet_id"] for f in port["fixed_ips"]]
        if port["id"] == body.get("port_id") or body.get("subnet_id") in subnet_ids:
            call.state.delete("ports", port["id"])
            _touch(record)
            return 200, {"id": router_id, "tenant_id": record["project_id"], "project_id": record["project_id"],
                         "port_id": port["id"], "network_id": port["network_id"],
                         "subnet_id": subnet_ids[0] if subnet_ids else None, "subnet_ids": subnet_ids}
    raise ApiError(404, f"Router {router_id} does not have an interface with id "
                        f"{body.get('port_id') or body.get('subnet_id')}", kind="RouterInterfaceNotFound")


# ---------------------------------------------------------------------------------------------------------------
# handlers: quotas and IP availability


def _quota_target(call: Call, project_id: str) -> None:
    if not call.ctx.is_admin and project_id != call.ctx.project_id:
        raise _policy_error("get_quota")


@network.route("/v2.0/quotas")
def list_quotas(call: Call):
    if not call.ctx.is_admin:
        raise _policy_error("get_quota")
    quotas = []
    for project_id, entry in call.state.table("neutron_quotas").items():
        if entry.get("limits"):
            quotas.append(dict(quota_limits(call.state, project_id), project_id=project_id, tenant_id=project_id))
    return 200, {"quotas": quotas}


@network.route("/v2.0/quotas/<project_id>")
def get_quota(call: Call, project_id: str):
    _quota_target(call, project_id)
    return 200, {"quota": quota_limits(call.state, project_id)}


@network.route("/v2.0/quotas/<project_id>/default")
def get_quota_default(call: Call, project_id: str):
    _quota_target(call, project_id)
    return 200, {"quota": dict(DEFAULT_QUOTAS)}


@network.route("/v2.0/quotas/<project_id>/details")
def get_quota_details(call: Call, project_id: str):
    _quota_target(call, project_id)
    limits = quota_limits(call.state, project_id)
    used = quota_usage(call.state, project_id)
    return 200, {"quota": {name: {"limit": limit, "used": used.get(name, 0), "reserved": 0}
                           for name, limit in limits.items()}}


@network.route("/v2.0/quotas/<project_id>", methods="PUT")
def put_quota(call: Call, project_id: str):
    if not call.ctx.is_admin:
        raise _policy_error("update_quota")
    changes = _body(call, "quota")
    entry = call.state.table("neutron_quotas").setdefault(project_id, {"limits": {}})
    for name, value in changes.items():
        if name not in DEFAULT_QUOTAS:
            raise ApiError(400, f"Unrecognized attribute(s) '{name}'")
        try:
            entry["limits"][name] = int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Invalid input for {name}. Reason: '{value}' is not an integer.") from None
    call.state.touch()
    return 200, {"quota": quota_limits(call.state, project_id)}


@network.route("/v2.0/quotas/<project_id>", methods="DELETE")
def delete_quota(call: Call, project_id: str):
    if not call.ctx.is_admin:
        raise _policy_error("delete_quota")
    call.state.table("neutron_quotas").pop(project_id, None)
    call.state.touch()
    return 204, None


def _availability(state: State, net: dict) -> dict:
    subnets = []
    for subnet_id in net["subnets"]:
        subnet = state.get("subnets", subnet_id)
        if subnet is None:
            continue
        total = sum(int(ipaddress.ip_address(p["end"])) - int(ipaddress.ip_address(p["start"])) + 1
                    for p in subnet["allocation_pools"])
        used = len(_used_ips(state, subnet_id))  # every allocation counts, the router's gateway port too
        subnets.append({"subnet_id": subnet_id, "subnet_name": subnet["name"], "cidr": subnet["cidr"],
                        "ip_version": subnet["ip_version"], "total_ips": total, "used_ips": used})
    return {"network_id": net["id"], "network_name": net["name"], "tenant_id": net["project_id"],
            "project_id": net["project_id"], "total_ips": sum(s["total_ips"] for s in subnets),
            "used_ips": sum(s["used_ips"] for s in subnets), "subnet_ip_availability": subnets}


@network.route("/v2.0/network-ip-availabilities")
def list_ip_availabilities(call: Call):
    if not call.ctx.is_admin:
        raise _policy_error("get_network_ip_availability")
    items = [_availability(call.state, n) for n in call.state.table("networks").values()]
    for key in ("network_id", "network_name", "project_id", "tenant_id", "ip_version"):
        if call.args.get(key):
            wanted = call.args.getlist(key)
            items = [i for i in items if str(i.get(key)) in wanted
                     or any(str(s.get(key)) in wanted for s in i["subnet_ip_availability"])]
    return 200, {"network_ip_availabilities": items}


@network.route("/v2.0/network-ip-availabilities/<network_id>")
def get_ip_availability(call: Call, network_id: str):
    if not call.ctx.is_admin:
        raise _policy_error("get_network_ip_availability")
    net = call.state.get("networks", network_id)
    if net is None:
        raise _not_found("networks", network_id)
    return 200, {"network_ip_availability": _availability(call.state, net)}


# ---------------------------------------------------------------------------------------------------------------
# tags (standard-attr-tag): /v2.0/<collection>/<id>/tags

_TAGGED = {"networks": "networks", "subnets": "subnets", "ports": "ports", "routers": "routers",
           "security-groups": "security_groups", "floatingips": "floatingips"}


def _tag_target(call: Call, collection: str, ident: str, write: bool) -> dict:
    kind = _TAGGED.get(collection)
    if kind is None:
        raise ApiError(404, f"The resource could not be found: {collection}", kind="NotFound")
    record = _get(call, kind, ident)
    if write:
        _writable(call, kind, record, "update_tags")
    return record


@network.route("/v2.0/<collection>/<ident>/tags")
def get_tags(call: Call, collection: str, ident: str):
    return 200, {"tags": list(_tag_target(call, collection, ident, False)["tags"])}


@network.route("/v2.0/<collection>/<ident>/tags", methods="PUT")
def put_tags(call: Call, collection: str, ident: str):
    record = _tag_target(call, collection, ident, True)
    tags = call.json().get("tags")
    if not isinstance(tags, list):
        raise ApiError(400, "Invalid input for tags: it must be a list of strings.")
    record["tags"] = sorted(set(map(str, tags)))
    _touch(record)
    return 200, {"tags": record["tags"]}


@network.route("/v2.0/<collection>/<ident>/tags", methods="DELETE")
def delete_tags(call: Call, collection: str, ident: str):
    record = _tag_target(call, collection, ident, True)
    record["tags"] = []
    _touch(record)
    return 204, None


@network.route("/v2.0/<collection>/<ident>/tags/<tag>")
def check_tag(call: Call, collection: str, ident: str, tag: str):
    if tag not in _tag_target(call, collection, ident, False)["tags"]:
        raise ApiError(404, f"Tag {tag} could not be found for {collection.rstrip('s')} {ident}.",
                       kind="TagNotFound")
    return 204, None


@network.route("/v2.0/<collection>/<ident>/tags/<tag>", methods="PUT")
def put_tag(call: Call, collection: str, ident: str, tag: str):
    record = _tag_target(call, collection, ident, True)
    if tag not in record["tags"]:
        record["tags"] = sorted(record["tags"] + [tag])
        _touch(record)
    return 201, None


@network.route("/v2.0/<collection>/<ident>/tags/<tag>", methods="DELETE")
def delete_tag(call: Call, collection: str, ident: str, tag: str):
    record = _tag_target(call, collection, ident, True)
    if tag not in record["tags"]:
        raise ApiError(404, f"Tag {tag} could not be found.", kind="TagNotFound")
    record["tags"].remove(tag)
    _touch(record)
    return 204, None
