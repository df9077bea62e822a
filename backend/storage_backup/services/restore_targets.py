# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A restore that can only fail is refused when it is asked for (400 naming the field), not queued to fail on a proxy.

What the proxy would trip over, checked with the service account against the cloud as it is now: a network the
project may not plug into (neither its own nor shared or external), a flavor it may not use (private and not granted
to it, or gone) or one too small for what was backed up (less RAM than the instance had; for an image-booted server,
a disk smaller than its root disk), an availability zone or a volume type the cloud does not have. What the proxy
decides on its own (a fixed IP still free, a security group still there) it still decides there.
"""
from __future__ import annotations

from storage_backup.catalog.models import RestorePoint
from storage_backup.services import inventory
from storage_backup.services.errors import ValidationFailed

GIB = 1 << 30
ROOT_DISK_KEY = "root-disk"  # the repository's name for an image-booted server's root disk (pipeline.metadata)


def usable_network(network: inventory.NetworkInfo | None, project_id: str) -> bool:
    return network is not None and (network.project_id == project_id or network.shared or network.external)


def check_networks(point: RestorePoint, mapping: dict, project_id: str) -> None:
    metadata = point.metadata or {}
    for target in sorted(set(mapping.values())):
        if not usable_network(inventory.get_network(target), project_id):
            raise ValidationFailed("network_mapping", f"network {target} does not exist or the project may not use "
                                                      "it (it is neither the project's own nor shared)")
    for nic in metadata.get("nics") or []:
        original = nic.get("network_id") or ""
        if original and original not in mapping and not usable_network(inventory.get_network(original), project_id):
            raise ValidationFailed("network_mapping", f"the NIC on {nic.get('network_name') or original} was on "
                                                      f"network {original}, which no longer exists or the project "
                                                      "may not use; map it to another network in network_mapping")


def _flavor_refusal(flavor: inventory.FlavorInfo, project_id: str) -> str | None:
    if not flavor.public and project_id not in flavor.projects:
        return f"flavor {flavor.name} ({flavor.id}) is private and not available to the project"
    return None


def _size_refusal(flavor: inventory.FlavorInfo, point: RestorePoint) -> str | None:
    metadata = point.metadata or {}
    original = metadata.get("flavor") or {}
    ram = original.get("ram")
    if isinstance(ram, int) and flavor.ram and flavor.ram < ram:
        return (f"flavor {flavor.name} has {flavor.ram} MiB of RAM, less than the {ram} MiB the instance had when it "
                "was backed up; choose a bigger flavor")
    if metadata.get("boot_source") == "image" and flavor.disk:
        root = next((v.get("size") for v in point.volumes or [] if v.get("volume_id") == ROOT_DISK_KEY), None)
        if isinstance(root, int) and flavor.disk * GIB < root:
            return (f"flavor {flavor.name} has a {flavor.disk} GiB disk, smaller than the backed-up root disk of "
                    f"{root / GIB:.1f} GiB; choose a bigger flavor")
    return None


def check_flavor(point: RestorePoint, flavor_id: str | None, project_id: str) -> None:
    original = (point.metadata or {}).get("flavor") or {}
    if flavor_id:
        flavor = inventory.get_flavor(flavor_id)
        if flavor is None:
            raise ValidationFailed("flavor_id", f"flavor {flavor_id} does not exist")
        refusal = _flavor_refusal(flavor, project_id) or _size_refusal(flavor, point)
        if refusal:
            raise ValidationFailed("flavor_id", refusal)
        return
    if not original.get("id") and not original.get("name"):
        return  # nothing recorded to check
    flavor = (inventory.get_flavor(original["id"]) if original.get("id") else None) or \
        (inventory.find_flavor_by_name(original["name"]) if original.get("name") else None)
    refusal = (f"the original flavor {original.get('name')} ({original.get('id')}) no longer exists"
               if flavor is None else _flavor_refusal(flavor, project_id))
    if refusal:
        raise ValidationFailed("flavor_id", f"{refusal}; choose another flavor (flavor_id)")


def check_volume_types(volume_types: dict, volume_type: str | None) -> None:
    wanted = [("volume_types", name) for name in (volume_types or {}).values() if name]
    if volume_type:
        wanted.append(("volume_type", volume_type))
    if not wanted:
        return
    known = inventory.volume_types()
    for field, name in wanted:
        if name not in known:
            raise ValidationFailed(field, f"volume type {name} does not exist; choose one of "
                                          f"{', '.join(sorted(set(known.values())))}")


def check(point: RestorePoint, options: dict) -> None:
    """Everything ``options`` asks of the cloud for a restore of ``point`` into its project, or a 400."""
    project_id = point.project_id
    check_volume_types(options.get("volume_types") or {}, options.get("volume_type"))
    if options.get("volume_id"):
        return  # one volume: no server, so no flavor and no network
    check_flavor(point, options.get("flavor_id"), project_id)
    check_networks(point, options.get("network_mapping") or {}, project_id)
