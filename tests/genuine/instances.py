# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Tenant servers on the genuine cloud, made as the tenant would (openstacksdk, in this process)."""
from __future__ import annotations

from storage_backup.cloud import Cloud
from storage_backup.cloud.waiting import wait_server, wait_volume, wait_volume_attached

TIMEOUT = 180


def networks(stack) -> list[dict] | str:
    """The demo project's network when the genuine Neutron runs (servers get a port on it), else none."""
    net = stack.cloud.meta.get("networks", {}).get("demo-net")
    return [{"uuid": net}] if net else "none"


def boot_from_volume(stack, tenant: Cloud, name: str, zone: str = "nova", data_gib: int = 1) -> tuple:
    """``(server, root volume id, data volume id)``: a server booted from a 1 GiB bootable RBD volume, with a second
    volume, in ``zone``; both volumes attached (so the guest sees them under its /dev/disk/by-id)."""
    service = stack.service
    root = tenant.block_storage.create_volume(size=1, name=f"{name}-root", availability_zone=zone)
    data = tenant.block_storage.create_volume(size=data_gib, name=f"{name}-data", availability_zone=zone)
    for volume in (root, data):
        wait_volume(service, volume.id, "available", timeout=TIMEOUT)
    tenant.block_storage.set_volume_bootable_status(root, True)
    created = tenant.compute.create_server(
        name=name, flavor_id="1", availability_zone=zone, networks=networks(stack),
        block_device_mapping=[
            {"uuid": root.id, "source_type": "volume", "destination_type": "volume", "boot_index": 0},
            {"uuid": data.id, "source_type": "volume", "destination_type": "volume", "boot_index": -1}])
    server = wait_server(service, created.id, timeout=TIMEOUT)
    for volume in (root, data):
        wait_volume_attached(service, volume.id, server.id, timeout=TIMEOUT)
    return server, root.id, data.id


def boot_from_image(stack, tenant: Cloud, name: str, zone: str = "nova", **extra) -> object:
    """A server booted from the tier's Glance image (its root disk is the device-view driver's ``disk.img``)."""
    created = tenant.compute.create_server(name=name, flavor_id="1", availability_zone=zone,
                                           networks=networks(stack), image_id=stack.cloud.meta["image_id"], **extra)
    return wait_server(stack.service, created.id, timeout=TIMEOUT)


def grouped_server(stack, tenant: Cloud, name: str, zone: str = "nova") -> tuple:
    """``(server, root volume id, data volume id)``: a volume-booted server whose two volumes are in one Cinder
    group of the type ``consistent_snapshots`` (so a backup takes one group snapshot)."""
    from storage_backup.cloud.waiting import wait_for

    service = stack.service
    group_type = next(service.block_storage.group_types(name="consistent_snapshots"))
    volume_type = next(service.block_storage.types(name="__DEFAULT__"))
    group = tenant.block_storage.create_group(name=name, group_type=group_type.id, volume_types=[volume_type.id],
                                              availability_zone=zone)
    wait_for(lambda: tenant.block_storage.get_group(group.id), done=lambda g: g.status == "available",
             status_of=lambda g: g.status, what=f"Group {group.id}", timeout=TIMEOUT, interval=0.5)
    server, root, data = boot_from_volume(stack, tenant, name, zone=zone)
    tenant.block_storage.update_group(group.id, add_volumes=f"{root},{data}")
    wait_for(lambda: tenant.block_storage.get_group(group.id), done=lambda g: g.status == "available",
             status_of=lambda g: g.status, what=f"Group {group.id}", timeout=TIMEOUT, interval=0.5)
    return server, root, data
