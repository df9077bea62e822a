# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What a restore point records about the instance, gathered from Nova, Cinder, Glance and Neutron.

The document (``instance_metadata`` of the restore point, ``schema_version`` 1)::

    {"schema_version": 1, "id", "name", "description", "project_id", "user_id", "availability_zone", "status",
     "boot_source": "volume" | "image",
     "flavor": {"id", "name", "vcpus", "ram", "disk", "ephemeral", "swap", "extra_specs"},
     "key_pair": {"name", "public_key", "type", "fingerprint"} | null,
     "security_groups": [{"id", "name"}],
     "nics": [{"port_id", "network_id", "network_name", "mac_address", "fixed_ips": [{"subnet_id", "ip_address"}],
               "security_groups": [ids]}],
     "metadata": {...}, "tags": [...],
     "root_device_name": "/dev/vda",
     "image": {"id", "name", "checksum", "os_hash_algo", "os_hash_value", "size", "min_disk", "min_ram",
               "disk_format", "container_format", "properties": {...}} | null,
     "block_device_mapping": [{"volume_id", "name", "description", "size", "volume_type", "availability_zone",
                               "bootable", "boot_index", "device", "delete_on_termination", "tag", "metadata",
                               "image_id", "image_metadata", "group_id", "multiattach", "encrypted"}],
     "root_disk": {"key": "root-disk", "device", "size"} | null,
     "floating_ips": [{"id", "floating_ip_address", "floating_network_id", "port_id", "fixed_ip_address"}],
     "server_groups": [{"id", "name", "policy"}],
     "unprotected_disks": [{"kind": "ephemeral" | "swap", "size_mb"}]}

``floating_ips`` are the floating IPs associated with the server's ports (``port_id`` and the fixed IP each was
associated with), re-associated at restore when still free; ``server_groups`` the Nova server groups the server is a
member of (2.71+), which a restored server joins again when the group still exists. ``unprotected_disks`` are the
flavor's ephemeral disk and swap: they live on the hypervisor, not in Cinder, so an agentless backup cannot read
them and the restore point does not hold them (a restored server gets them new and empty). Documents written before
these keys read as empty lists, except ``unprotected_disks``, which ``storage_backup.unprotected_disks`` derives from
the flavor.

``image`` is the image an image-booted server was booted from (or, for a volume-booted one, the image its boot
volume was made from, as Cinder remembers it). Nova does not publish boot indexes: the volume whose device is the
server's root device name is boot index 0, the others are not bootable by index (``None``).
"""
from __future__ import annotations

import logging

from storage_backup.cloud import Cloud, CloudError, ResourceNotFound, get_or_none
from storage_backup.unprotected_disks import describe_unprotected, unprotected_disks

LOG = logging.getLogger(__name__)
SCHEMA_VERSION = 1
ROOT_DISK_KEY = "root-disk"  # the repository's name for an image-booted server's root disk
INTERNAL_VOLUME_METADATA = ("attached_mode", "readonly", "storage_backup_job")

#: Keys of a Glance image body that are Glance's own, not properties a user or Nova set.
CORE_IMAGE_KEYS = frozenset({
    "id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo", "os_hash_value", "owner", "size",
    "virtual_size", "min_disk", "min_ram", "disk_format", "container_format", "created_at", "updated_at", "tags",
    "self", "file", "schema", "direct_url", "locations", "os_hidden", "stores", "os_glance_failed_import",
    "os_glance_importing_to_stores",
})


def image_properties(image: dict) -> dict:
    """The image's properties: every top-level key of Glance's body that is not one of Glance's core attributes."""
    return {key: value for key, value in image.items() if key not in CORE_IMAGE_KEYS}


def flavor_of(cloud: Cloud, server) -> dict:
    """The flavor embedded in the server (Nova 2.47+: the flavor itself, without its id)."""
    embedded = server.flavor
    flavor = {"id": None, "name": None, "vcpus": None, "ram": None, "disk": None, "ephemeral": 0, "swap": 0,
              "extra_specs": {}}
    if embedded is not None:
        # Not ``embedded.id``: openstacksdk's Flavor answers its name for an id when the body has none.
        flavor.update(name=embedded.original_name or embedded.name, vcpus=embedded.vcpus, ram=embedded.ram,
                      disk=embedded.disk, ephemeral=embedded.ephemeral, swap=embedded.swap,
                      extra_specs=dict(embedded.extra_specs or {}))
    if flavor["name"]:
        # The embedded flavor has no id: find it by its (unique) name, private flavors included.
        try:
            match = next((f for f in cloud.compute.flavors(details=True, is_public="None")
                          if f.name == flavor["name"]), None)
        except CloudError as error:
            LOG.warning("cannot list flavors to find %s: %s", flavor["name"], error)
            match = None
        if match is not None:
            flavor["id"] = match.id
    return flavor


def key_pair_of(cloud: Cloud, server, notes: list[str]) -> dict | None:
    name = server.key_name
    if not name:
        return None
    try:
        keypair = cloud.compute.get_keypair(name, user_id=server.user_id)
    except ResourceNotFound:
        notes.append(f"key pair {name!r} of user {server.user_id} no longer exists; its public key is not "
                     "recorded")
        return {"name": name, "public_key": None, "type": None, "fingerprint": None}
    return {"name": name, "public_key": keypair.public_key, "type": keypair.type or "ssh",
            "fingerprint": keypair.fingerprint}


def nics_of(cloud: Cloud, server) -> tuple[list[dict], list[dict]]:
    ports = list(cloud.network.ports(device_id=server.id))
    networks: dict[str, str | None] = {}
    groups: dict[str, str | None] = {}
    nics = []
    for port in sorted(ports, key=lambda p: (p.created_at or "", p.id)):
        network_id = port.network_id
        if network_id not in networks:
            network = get_or_none(cloud.network.get_network, network_id)
            networks[network_id] = network.name if network else None
        for group_id in port.security_group_ids or []:
            if group_id not in groups:
                group = get_or_none(cloud.network.get_security_group, group_id)
                groups[group_id] = group.name if group else None
        nics.append({"port_id": port.id, "network_id": network_id, "network_name": networks[network_id],
                     "mac_address": port.mac_address,
                     "fixed_ips": [{"subnet_id": f.get("subnet_id"), "ip_address": f.get("ip_address")}
                                   for f in port.fixed_ips or []],
                     "security_groups": list(port.security_group_ids or [])})
    security_groups = [{"id": group_id, "name": name} for group_id, name in groups.items()]
    if not security_groups:  # a server without ports still reports its groups by name
        security_groups = [{"id": None, "name": g.get("name")} for g in server.security_groups or []]
    return nics, security_groups


def glance_image(cloud: Cloud, image_id: str) -> dict | None:
    """The image as Glance sends it, or None if it is gone. Read as JSON, not as openstacksdk's ``Image``: that
    turns some properties into Python values (``hw_vif_multiqueue_enabled`` "true" into True, rxtx factors into
    floats), and the restore point records Glance's own strings, restored as they were."""
    try:
        return cloud.image.get(f"/images/{image_id}", raise_exc=True).json()
    except ResourceNotFound:
        return None


def image_of(cloud: Cloud, image_id: str, notes: list[str]) -> dict:
    image = glance_image(cloud, image_id)
    if image is None:
        notes.append(f"image {image_id} the server was booted from no longer exists; a restore will upload the "
                     "backed-up root disk as a new image")
        return {"id": image_id, "name": None, "checksum": None, "os_hash_algo": None, "os_hash_value": None,
                "size": None, "min_disk": 0, "min_ram": 0, "disk_format": None, "container_format": None,
                "properties": {}}
    return {"id": image["id"], "name": image.get("name"), "checksum": image.get("checksum"),
            "os_hash_algo": image.get("os_hash_algo"), "os_hash_value": image.get("os_hash_value"),
            "size": image.get("size"), "min_disk": image.get("min_disk") or 0, "min_ram": image.get("min_ram") or 0,
            "disk_format": image.get("disk_format"), "container_format": image.get("container_format"),
            "visibility": image.get("visibility"), "owner": image.get("owner"),
            "properties": image_properties(image)}


def volumes_of(cloud: Cloud, server) -> list[dict]:
    root_device = server.root_device_name or "/dev/vda"
    entries = []
    for attachment in cloud.compute.volume_attachments(server.id):
        volume = cloud.block_storage.get_volume(attachment.volume_id)
        image_metadata = dict(volume.volume_image_metadata or {})
        device = attachment.device
        entries.append({
            "volume_id": volume.id, "name": volume.name, "description": volume.description,
            "size": volume.size, "volume_type": volume.volume_type,
            "availability_zone": volume.availability_zone, "bootable": bool(volume.is_bootable),
            "boot_index": 0 if device == root_device else None, "device": device,
            "delete_on_termination": bool(attachment.delete_on_termination), "tag": attachment.tag,
            "metadata": {k: v for k, v in (volume.metadata or {}).items() if k not in INTERNAL_VOLUME_METADATA},
            "image_id": image_metadata.get("image_id"), "image_metadata": image_metadata,
            "group_id": volume.group_id, "multiattach": bool(volume.is_multiattach),
            "encrypted": bool(volume.is_encrypted), "status": volume.status,
        })
    # The boot disk first, then by device name: the order the server is rebuilt in.
    entries.sort(key=lambda e: (e["boot_index"] is None, e["device"] or "", e["volume_id"]))
    return entries


def floating_ips_of(cloud: Cloud, nics: list[dict]) -> list[dict]:
    """The floating IPs associated with the server's ports, and the fixed IP each one points at."""
    found = []
    for nic in nics:
        try:
            ips = list(cloud.network.ips(port_id=nic["port_id"]))
        except CloudError as error:
            LOG.warning("cannot list the floating IPs of port %s: %s", nic["port_id"], error)
            continue
        for ip in sorted(ips, key=lambda i: i.floating_ip_address or ""):
            found.append({"id": ip.id, "floating_ip_address": ip.floating_ip_address,
                          "floating_network_id": ip.floating_network_id, "port_id": nic["port_id"],
                          "fixed_ip_address": ip.fixed_ip_address})
    return found


def server_groups_of(cloud: Cloud, server, notes: list[str]) -> list[dict]:
    """The server groups the server is a member of (Nova lists them on the server from 2.71)."""
    groups = []
    for group_id in getattr(server, "server_groups", None) or []:
        group = get_or_none(cloud.compute.get_server_group, group_id)
        if group is None:
            notes.append(f"server group {group_id} of the server could not be read; its membership is recorded "
                         "without a name")
            groups.append({"id": group_id, "name": None, "policy": None})
            continue
        policy = group.policy or next(iter(group.policies or []), None)
        groups.append({"id": group.id, "name": group.name, "policy": policy})
    return groups


def gather_instance_metadata(cloud: Cloud, server, notes: list[str] | None = None) -> dict:
    """The restore point's description of ``server`` (openstacksdk's ``Server`` at Nova 2.89, read with the admin
    account). openstacksdk names some fields differently from Nova's JSON (``project_id`` for ``tenant_id``,
    ``availability_zone`` for ``OS-EXT-AZ:availability_zone``, ``root_device_name`` for
    ``OS-EXT-SRV-ATTR:root_device_name``); the document keeps its own names, as existing restore points have them."""
    notes = notes if notes is not None else []
    image_id = getattr(server.image, "id", None)  # an empty image reference for a volume-booted server
    volumes = volumes_of(cloud, server)
    nics, security_groups = nics_of(cloud, server)
    image = None
    if image_id:
        image = image_of(cloud, image_id, notes)
    else:
        boot = next((v for v in volumes if v["boot_index"] == 0), None)
        if boot and boot["image_metadata"].get("image_id"):
            meta = boot["image_metadata"]
            image = {"id": meta.get("image_id"), "name": meta.get("image_name"), "checksum": meta.get("checksum"),
                     "os_hash_algo": None, "os_hash_value": None, "size": int(meta.get("size") or 0) or None,
                     "min_disk": int(meta.get("min_disk") or 0), "min_ram": int(meta.get("min_ram") or 0),
                     "disk_format": meta.get("disk_format"), "container_format": meta.get("container_format"),
                     "properties": {k: v for k, v in meta.items() if k not in (
                         "image_id", "image_name", "checksum", "size", "min_disk", "min_ram", "disk_format",
                         "container_format")}}
    flavor = flavor_of(cloud, server)
    unprotected = unprotected_disks({"flavor": flavor})
    if unprotected:
        notes.append(describe_unprotected(unprotected, flavor.get("name")))
    root_disk = None
    if image_id:
        root_disk = {"key": ROOT_DISK_KEY, "device": server.root_device_name or "/dev/vda",
                     "size": flavor.get("disk")}
    return {
        "schema_version": SCHEMA_VERSION, "id": server.id, "name": server.name,
        "description": server.description, "project_id": server.project_id,
        "user_id": server.user_id, "availability_zone": server.availability_zone,
        "status": server.status, "boot_source": "image" if image_id else "volume", "flavor": flavor,
        "key_pair": key_pair_of(cloud, server, notes), "security_groups": security_groups, "nics": nics,
        "metadata": dict(server.metadata or {}), "tags": list(server.tags or []),
        "root_device_name": server.root_device_name, "image": image,
        "block_device_mapping": volumes, "root_disk": root_disk,
        "floating_ips": floating_ips_of(cloud, nics), "server_groups": server_groups_of(cloud, server, notes),
        "unprotected_disks": unprotected, "notes": list(notes),
    }
