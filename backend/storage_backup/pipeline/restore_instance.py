# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Restore a whole instance (docs/TASKS.md ``proxy.restore_instance``) from a restore point, in this proxy's zone.

1. Check everything before making anything: the restore point, the zone, the flavor (the original, or the one
   asked), volume types, networks (the original ones, or mapped), security groups, the image to boot from.
2. Volumes (size, type and zone of the original, or as asked) are created in the instance's project with a token
   scoped to it, attached to this proxy, written (non-zero blocks only, every chunk verified), detached.
3. An image-booted server boots from its original Glance image when the target has it (same id or checksum) and the
   root disk is still that image; otherwise the backed-up root disk is written into a volume and uploaded to Glance.
4. The server is created in the project with the original flavor, NICs on the same (or mapped) networks — keeping
   each fixed IP when it is free —, security groups, key pair, metadata, tags and boot order, and waited for.

Key pairs belong to a Nova *user*, not to a project, and the server is created by the backup service account: the
original public key (recorded at backup) is imported under the original name as the service account's key pair,
the server is booted with it (Nova copies the key into the instance, so the guest gets the very same
authorized key and the server shows the original key name), and the imported key pair is deleted afterwards. If
the service account already has a different key under that name, the import is named ``<name>-<job id[:8]>``.

On any failure everything the job made is removed (server, volumes, uploaded image, key pair) and the error says
what failed.
"""
from __future__ import annotations

import ipaddress
import time

from storage_backup.cloud import (
    TEMPORARY_TAG,
    Cloud,
    CloudError,
    ResourceNotFound,
    get_or_none,
    temporary_metadata,
    temporary_name,
)
from storage_backup.cloud.waiting import wait_image, wait_server, wait_volume, wait_volume_attached
from storage_backup.contract import RestoreInstanceRequest

from .cleanup import TemporaryResources
from .context import JobContext
from .errors import InvalidJobRequest, WrongProxy, add_cleanup_report
from .image_reuse import choose_boot_image
from .metadata import ROOT_DISK_KEY
from .repository_access import open_restore_point
from .restore_disks import (
    GIB,
    VolumePlan,
    check_volume_type,
    create_volumes,
    finalize_volume,
    plan_volume,
    prepare_for_boot,
    write_volume,
)


def check_proxy(ctx: JobContext, zone: str) -> None:
    if zone != ctx.proxy.availability_zone:
        raise WrongProxy(f"the restore targets availability zone {zone}; this proxy serves "
                         f"{ctx.proxy.availability_zone}. Send the job to queue proxy.{zone}.")
    if not ctx.proxy.proxy_server_id:
        raise InvalidJobRequest("this worker does not know its proxy server: set STORAGE_BACKUP_PROXY_SERVER_ID")
    try:
        proxy = ctx.cloud.compute.get_server(ctx.proxy.proxy_server_id)
    except ResourceNotFound:
        raise InvalidJobRequest(f"the proxy server {ctx.proxy.proxy_server_id} of this worker does not exist") from None
    ctx.proxy_name = proxy.name or ctx.proxy.proxy_server_id


class InstanceRestore:
    def __init__(self, ctx: JobContext, request: RestoreInstanceRequest) -> None:
        self.ctx = ctx
        self.request = request
        self.resources = TemporaryResources(ctx)
        self.plans: list[VolumePlan] = []
        self.root_plan: VolumePlan | None = None  # image-booted: the root disk, when it must be uploaded
        self.boot_image = None  # openstacksdk's Image to boot from
        self.image_reused = False
        self.uploaded_image_id: str | None = None
        self.server_id: str | None = None
        self.key_name: str | None = None

    def run(self) -> dict:
        started = time.monotonic()
        failure: BaseException | None = None
        try:
            result = self._run()
        except BaseException as error:
            failure = error
            raise
        finally:
            if failure is not None:
                self.ctx.log.add("failed", f"{type(failure).__name__}: {failure}")
                if not self.resources.empty:
                    self.ctx.log.add("cleanup", "removing what this restore made")
            problems = self.resources.cleanup()
            if failure is not None:
                add_cleanup_report(failure, problems)
        result["duration"] = round(time.monotonic() - started, 3)
        result["cleanup_problems"] = list(self.resources.problems)
        result["warnings"] = list(self.ctx.log.warnings)
        result["log"] = self.ctx.log.as_list()
        return result

    # -- plan ---------------------------------------------------------------------------------------------------------

    def _run(self) -> dict:
        ctx, request = self.ctx, self.request
        repository, restore_point = open_restore_point(ctx, request)
        metadata = restore_point.instance_metadata or {}
        if not metadata.get("flavor"):
            raise InvalidJobRequest(f"restore point {restore_point.id} describes no instance (it is not a backup of "
                                    "an instance); restore its volumes one by one")
        zone = request.availability_zone or metadata.get("availability_zone")
        check_proxy(ctx, zone)
        project_id = request.project_id or metadata.get("project_id")
        tenant = ctx.cloud.for_project(project_id)
        name = request.name or metadata.get("name") or f"restored-{restore_point.id[:8]}"
        flavor = self._flavor(tenant, metadata)
        self._plan_volumes(tenant, restore_point, zone)
        networks = self._networks(tenant, metadata)
        security_groups = self._security_groups(tenant, project_id, metadata)
        boot_from_image = metadata.get("boot_source") == "image"
        if boot_from_image:
            root_entry = restore_point.volume(ROOT_DISK_KEY)
            if flavor.disk and flavor.disk * GIB < root_entry.size:
                raise InvalidJobRequest(f"flavor {flavor.name} has a {flavor.disk} GiB disk, smaller than the "
                                        f"backed-up root disk of {root_entry.size / GIB:.1f} GiB; choose a bigger one")
            ctx.step("image", "Looking for the original image in the target")
            self.boot_image = choose_boot_image(ctx, tenant, repository, restore_point, root_entry)
            self.image_reused = self.boot_image is not None
            if not self.image_reused:
                self.root_plan = plan_volume(restore_point, ROOT_DISK_KEY, zone, None)
        ctx.log.add("prepare", f"restoring {metadata.get('name')} as {name!r} in {zone} with flavor "
                               f"{flavor.name}: " + ", ".join(f"{p.label} ({p.size_gib} GiB)" for p in self.plans))

        # -- make ------------------------------------------------------------------------------------------------------
        all_plans = self.plans + ([self.root_plan] if self.root_plan else [])
        ctx.progress.set_total(sum(plan.entry.size for plan in all_plans))
        if all_plans:
            create_volumes(ctx, tenant, self.resources, all_plans)
        for plan in all_plans:
            write_volume(ctx, self.resources, repository, restore_point, plan)
        if self.root_plan is not None:
            self._upload_root_disk(tenant)
        for plan in self.plans:
            prepare_for_boot(ctx, tenant, plan)
        self._import_key_pair(tenant, metadata)
        group_id = self._server_group(project_id, metadata)
        self._create_server(tenant, name, flavor, zone, networks, security_groups, metadata, group_id)
        self._floating_ips(tenant, project_id, networks, metadata)

        # -- keep ------------------------------------------------------------------------------------------------------
        ctx.step("finalize", "Naming the restored volumes and removing the job tags")
        if self.uploaded_image_id:
            self._finalize_image(tenant, name, restore_point.id[:8], metadata)
        for plan in self.plans:
            finalize_volume(tenant, plan)
        tenant.compute.delete_server_metadata(self.server_id, keys=[TEMPORARY_TAG])
        # Only now, all at once: a failure above still removes the server, its volumes and its image.
        for plan in self.plans:
            self.resources.keep("volumes", plan.volume_id)
        if self.uploaded_image_id:
            self.resources.keep("images", self.uploaded_image_id)
        self.resources.keep("servers", self.server_id)
        ctx.log.add("done", f"server {self.server_id} ({name}) restored from {restore_point.id}")
        return {"server_id": self.server_id, "name": name, "availability_zone": zone, "flavor_id": flavor.id,
                "volume_ids": {plan.key: plan.volume_id for plan in self.plans},
                "image_reused": self.image_reused,
                "image_id": (self.boot_image.id if self.boot_image is not None else None) or self.uploaded_image_id,
                "key_name": self.key_name, "restore_point_id": restore_point.id,
                "bytes_written": sum(int(plan.stats.get("bytes_written", 0)) for plan in all_plans)}

    def _flavor(self, tenant: Cloud, metadata: dict):
        wanted = self.request.flavor_id
        if wanted:
            flavor = get_or_none(tenant.compute.get_flavor, wanted)
            if flavor is None:
                raise InvalidJobRequest(f"flavor {wanted} does not exist (or the project has no access to it)")
            return flavor
        original = metadata.get("flavor") or {}
        flavor = get_or_none(tenant.compute.get_flavor, original["id"]) if original.get("id") else None
        if flavor is None and original.get("name"):
            flavor = next((f for f in tenant.compute.flavors(details=True, is_public="None")
                           if f.name == original["name"]), None)
        if flavor is None:
            raise InvalidJobRequest(f"the original flavor {original.get('name')} ({original.get('id')}) no longer "
                                    "exists or is not available to the project; choose another flavor")
        return flavor

    def _plan_volumes(self, tenant: Cloud, restore_point, zone: str) -> None:
        metadata = restore_point.instance_metadata or {}
        records = metadata.get("block_device_mapping") or []
        backed_up = {volume.key for volume in restore_point.volumes}
        wanted = list(self.request.volumes)
        unknown = [v for v in wanted if v not in backed_up]
        if unknown:
            raise InvalidJobRequest(f"restore point {restore_point.id} holds no volume {', '.join(unknown)}")
        types = self.request.volume_types
        names = self.request.volume_names
        unnamed = sorted(set(names) - backed_up)
        if unnamed:
            raise InvalidJobRequest(f"volume_names: restore point {restore_point.id} holds no volume "
                                    f"{', '.join(unnamed)}")
        for record in records:
            key = record["volume_id"]
            if key not in backed_up:
                continue
            if wanted and key not in wanted:
                if record.get("boot_index") == 0:
                    self.ctx.log.add("prepare", f"the boot volume {key} is restored too: the server needs it")
                else:
                    continue
            volume_type = check_volume_type(self.ctx, tenant, types.get(key), record.get("volume_type"),
                                            f"volume {record.get('name') or key}",
                                            encrypted=bool(record.get("encrypted")))
            self.plans.append(plan_volume(restore_point, key, zone, volume_type, name=names.get(key)))
        if metadata.get("boot_source") != "image" and not any(plan.boot_index == 0 for plan in self.plans):
            raise InvalidJobRequest(f"restore point {restore_point.id} has no boot volume for a volume-booted server")

    def _networks(self, tenant: Cloud, metadata: dict) -> list[dict] | str:
        mapping = self.request.network_mapping
        networks = []
        for nic in metadata.get("nics") or []:
            original = nic["network_id"]
            target = mapping.get(original) or original
            if get_or_none(tenant.network.get_network, target) is None:
                hint = "" if target != original else "; map it to another network (network_mapping)"
                raise InvalidJobRequest(f"network {target} of the NIC on {nic.get('network_name') or original} does "
                                        f"not exist or is not available to the project{hint}")
            entry = {"uuid": target}
            if target == original:
                addresses = [f["ip_address"] for f in nic.get("fixed_ips") or [] if f.get("ip_address")]
                addresses.sort(key=lambda a: ipaddress.ip_address(a).version)
                if addresses:
                    if ip_is_free(self.ctx.cloud, target, addresses[0]):
                        entry["fixed_ip"] = addresses[0]
                    else:
                        self.ctx.log.add("prepare", f"{addresses[0]} on {nic.get('network_name') or target} is taken; "
                                                    "the NIC gets a new address")
            networks.append(entry)
        return networks or "none"

    def _security_groups(self, tenant: Cloud, project_id: str, metadata: dict) -> list[dict]:
        existing = {group.name for group in tenant.network.security_groups(project_id=project_id)}
        names = []
        for group in metadata.get("security_groups") or []:
            name = group.get("name")
            if not name or name in names:
                continue
            if name in existing:
                names.append(name)
            else:
                self.ctx.log.warning("prepare", f"security group {name!r} no longer exists in the project; the "
                                                "restored server is created without it")
        return [{"name": name} for name in names]

    # -- make ---------------------------------------------------------------------------------------------------------

    def _upload_root_disk(self, tenant: Cloud) -> None:
        ctx, plan = self.ctx, self.root_plan
        ctx.step("upload_image", "Uploading the backed-up root disk to Glance as a new image")
        upload = tenant.block_storage.upload_volume_to_image(
            plan.volume_id, temporary_name(ctx.job_id, "root-image"), force=False, disk_format="raw",
            container_format="bare", visibility="private")
        image_id = upload["image_id"]
        self.uploaded_image_id = image_id
        self.resources.images.append(image_id)
        try:  # the job tag, as on every temporary resource (Cinder's upload carries only the name)
            tenant.image.update_image(image_id, **temporary_metadata(ctx.job_id))
        except CloudError as error:
            ctx.log.warning("image", f"could not tag image {image_id} with the job: {error}")
        image = wait_image(tenant, image_id, timeout=ctx.timeouts.image,
                           what=f"Image {image_id} (upload of the root disk)", cancel=ctx.cancel)
        self.boot_image = image
        # The upload reads the volume to its end before the image goes active; the volume returns to 'available'.
        wait_volume(ctx.cloud, plan.volume_id, "available", timeout=ctx.timeouts.image,
                    what=f"Volume {plan.volume_id} (uploaded to image {image_id})", cancel=ctx.cancel)
        self.resources.delete_volume(plan.volume_id)

    def _finalize_image(self, tenant: Cloud, name: str, short_id: str, metadata: dict) -> None:
        original = metadata.get("image") or {}
        properties = {str(k): str(v) for k, v in (original.get("properties") or {}).items()
                      if not str(k).startswith(("os_glance", "owner_specified", "storage_backup"))}
        properties["storage_backup_restored_from"] = (original.get("id") or "") + f" @ {short_id}"
        image = tenant.image.get_image(self.uploaded_image_id)
        # All of the image's own properties but the job tag, then the original's: openstacksdk patches the
        # difference (a property left out is removed, one already there replaced).
        kept = {k: v for k, v in (image.properties or {}).items() if k != TEMPORARY_TAG}
        tenant.image.update_image(image, name=f"{name}-root-{short_id}", properties={**kept, **properties})

    def _import_key_pair(self, tenant: Cloud, metadata: dict) -> None:
        keypair = metadata.get("key_pair")
        if not keypair:
            return
        name, public_key = keypair.get("name"), (keypair.get("public_key") or "").strip()
        if not public_key:
            self.ctx.log.warning("keypair", f"the public key of key pair {name!r} was not recorded; the restored "
                                            "server has no key pair")
            return
        existing = get_or_none(tenant.compute.get_keypair, name)
        if existing is not None and (existing.public_key or "").strip() == public_key:
            self.key_name = name  # the service account already holds this very key: use it, keep it
            return
        if existing is not None:
            name = f"{name}-{self.ctx.job_id[:8]}"
        tenant.compute.create_keypair(name=name, public_key=public_key, type=keypair.get("type") or "ssh")
        self.resources.keypairs.append(name)  # deleted once the server is built: Nova keeps its copy of the key
        self.key_name = name

    def _server_group(self, project_id: str, metadata: dict) -> str | None:
        """The server group the original was a member of, when it still exists in the project (Nova takes one
        group per server: the scheduler hint ``group``)."""
        for group in metadata.get("server_groups") or []:
            found = get_or_none(self.ctx.cloud.compute.get_server_group, group["id"])
            if found is not None and found.project_id == project_id:
                self.ctx.log.add("prepare", f"the restored server joins server group {group.get('name')!r} "
                                            f"({group['id']})")
                return found.id
            self.ctx.log.warning("prepare", f"server group {group.get('name')!r} ({group['id']}) of the original no "
                                            "longer exists in the project; the restored server is in no server group")
        return None

    def _floating_ips(self, tenant: Cloud, project_id: str, networks, metadata: dict) -> None:
        """Re-associate each floating IP the original had with the restored server's port on the same network,
        when the address is still the project's and associated with nothing; otherwise a warning (a floating IP is
        never taken from another port)."""
        records = metadata.get("floating_ips") or []
        if not records:
            return
        self.ctx.step("floating_ips", "Re-associating the floating IPs of the original")
        nics = metadata.get("nics") or []
        new_ports = list(self.ctx.cloud.network.ports(device_id=self.server_id))
        for record in records:
            address = record.get("floating_ip_address")
            index = next((i for i, nic in enumerate(nics) if nic.get("port_id") == record.get("port_id")), None)
            network_id = networks[index]["uuid"] if index is not None and isinstance(networks, list) else None
            candidates = [p for p in new_ports if p.network_id == network_id]
            port = next((p for p in candidates if any(f.get("ip_address") == record.get("fixed_ip_address")
                                                      for f in p.fixed_ips or [])), None) or \
                next(iter(candidates), None)
            found = get_or_none(self.ctx.cloud.network.get_ip, record["id"]) if record.get("id") else None
            if found is None or found.floating_ip_address != address:
                found = next(iter(self.ctx.cloud.network.ips(floating_ip_address=address)), None)
            reason = None
            if port is None:
                reason = "the restored server has no port on its network"
            elif found is None:
                reason = "it no longer exists"
            elif found.project_id != project_id:
                reason = "it now belongs to another project"
            elif found.port_id:
                reason = f"it is associated with port {found.port_id}"
            if reason:
                self.ctx.log.warning("floating_ips", f"floating IP {address} of the original is not re-associated: "
                                                     f"{reason}")
                continue
            fixed = next((f.get("ip_address") for f in port.fixed_ips or []
                          if ipaddress.ip_address(f.get("ip_address")).version == 4), None)
            try:
                tenant.network.update_ip(found.id, port_id=port.id, fixed_ip_address=fixed)
            except CloudError as error:
                self.ctx.log.warning("floating_ips", f"floating IP {address} of the original is not "
                                                     f"re-associated: {error}")
                continue
            self.ctx.log.add("floating_ips", f"floating IP {address} re-associated with {fixed} (port {port.id})")

    def _create_server(self, tenant: Cloud, name: str, flavor, zone: str, networks, security_groups,
                       metadata: dict, group_id: str | None = None) -> None:
        ctx = self.ctx
        ctx.step("server", f"Creating server {name!r}")
        block_devices = []
        for plan in self.plans:
            block_devices.append({"uuid": plan.volume_id, "source_type": "volume", "destination_type": "volume",
                                  "boot_index": 0 if plan.boot_index == 0 else -1,
                                  "delete_on_termination": plan.delete_on_termination,
                                  **({"device_name": plan.device} if plan.device else {}),
                                  **({"tag": plan.tag} if plan.tag else {})})
        block_devices.sort(key=lambda b: b["boot_index"] != 0)
        # Tagged until the restore is complete, like its volumes: if this worker dies, the sweeper finds the server.
        # openstacksdk's names for Nova's fields: flavor_id is flavorRef, image_id imageRef, block_device_mapping
        # block_device_mapping_v2.
        server = {"name": name, "flavor_id": flavor.id, "availability_zone": zone, "networks": networks,
                  "metadata": {**{str(k): str(v) for k, v in (metadata.get("metadata") or {}).items()},
                               **temporary_metadata(ctx.job_id)}}
        if self.boot_image is not None:
            server["image_id"] = self.boot_image.id
            if block_devices:
                # Nova takes v2 mappings in place of the image's implied root disk: name it, at boot index 0
                # (without it genuine Nova refuses the boot sequence; the openstack CLI adds the same entry).
                block_devices.insert(0, {"uuid": self.boot_image.id, "source_type": "image",
                                         "destination_type": "local", "boot_index": 0,
                                         "delete_on_termination": True})
        if block_devices:
            server["block_device_mapping"] = block_devices
        if metadata.get("tags"):
            server["tags"] = list(metadata["tags"])
        if metadata.get("description"):
            server["description"] = metadata["description"]
        if security_groups:
            server["security_groups"] = security_groups
        if self.key_name:
            server["key_name"] = self.key_name
        if group_id:
            server["scheduler_hints"] = {"group": group_id}
        created = tenant.compute.create_server(**server)
        self.server_id = created.id
        self.resources.servers.append(self.server_id)
        wait_server(ctx.cloud, self.server_id, "ACTIVE", timeout=ctx.timeouts.server,
                    what=f"Server {self.server_id} ({name})", cancel=ctx.cancel)
        for plan in self.plans:  # done when Cinder, too, has every volume in use by the server
            wait_volume_attached(ctx.cloud, plan.volume_id, self.server_id, timeout=ctx.timeouts.attach,
                                 what=f"Volume {plan.volume_id} (restored {plan.label})",
                                 where=f" on server {name}", cancel=ctx.cancel)
        ctx.log.add("server", f"server {self.server_id} is ACTIVE with its {len(self.plans)} volume(s) attached")


def ip_is_free(cloud: Cloud, network_id: str, ip_address: str) -> bool:
    """True when ``ip_address`` lies in one of the network's subnets and no port holds it."""
    address = ipaddress.ip_address(ip_address)
    subnets = cloud.network.subnets(network_id=network_id)
    if not any(address in ipaddress.ip_network(subnet.cidr, strict=False) for subnet in subnets):
        return False
    holders = cloud.network.ports(network_id=network_id, fixed_ips=[f"ip_address={ip_address}"])
    return not any(fixed.get("ip_address") == ip_address for port in holders for fixed in port.fixed_ips or [])


def restore_instance(ctx: JobContext, request: RestoreInstanceRequest) -> dict:
    return InstanceRestore(ctx, request).run()
