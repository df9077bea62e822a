# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The instance document a restore point records is what Nova, Cinder, Glance and Neutron said, under the document's
own names: read through openstacksdk (whose resources rename fields and convert some values), it must stay the
document existing restore points hold (``pipeline/metadata.py``). Checked field by field against the raw JSON of
the same APIs, for an image-booted server with everything that gets renamed or converted on the way."""
from __future__ import annotations

import os
import uuid

import pytest
from keystoneauth1 import adapter as ks_adapter
from storage_backup.cloud import NOVA_MICROVERSION, Cloud
from storage_backup.cloud.connection import CINDER_MICROVERSION
from storage_backup.cloud.waiting import wait_image, wait_server, wait_volume, wait_volume_attached
from storage_backup.pipeline.metadata import CORE_IMAGE_KEYS, gather_instance_metadata

# Properties openstacksdk's Image turns into Python values (bool, int, float): the document keeps Glance's strings.
CONVERTED_PROPERTIES = {"hw_vif_multiqueue_enabled": "true", "hw_boot_menu": "yes", "hw_cpu_sockets": "2",
                        "instance_type_rxtx_factor": "1", "os_distro": "debian", "custom_property": "kept as is"}
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl owner@laptop"


@pytest.fixture(scope="module")
def clouds(sandbox):
    def connect(name: str) -> Cloud:
        return Cloud.from_environment({"OS_CLIENT_CONFIG_FILE": sandbox.clouds_yaml, "OS_CLOUD": name,
                                       "STORAGE_BACKUP_POLL_INTERVAL": "0.1"})

    return connect("sandbox-service"), connect("sandbox-demo")


@pytest.fixture(scope="module")
def server(sandbox, clouds):
    """An image-booted server of the demo project: a key pair, tags, metadata, a description, and a tagged volume
    that goes with it (``delete_on_termination``), booted from an image whose properties openstacksdk converts."""
    service, demo = clouds
    tag = uuid.uuid4().hex[:8]
    image = demo.image.create_image(name=f"doc-image-{tag}", disk_format="raw", container_format="bare",
                                    data=os.urandom(1024 * 1024), allow_duplicates=True, min_disk=1)
    wait_image(service, image.id, timeout=60)
    demo.image.update_image(image.id, **CONVERTED_PROPERTIES)
    demo.compute.create_keypair(name=f"doc-key-{tag}", public_key=PUBLIC_KEY)
    network = next(demo.network.networks(name="demo-net"))
    created = demo.compute.create_server(
        name=f"doc-{tag}", flavor_id="1", image_id=image.id, availability_zone="nova", networks=[{"uuid": network.id}],
        key_name=f"doc-key-{tag}", metadata={"role": "db"}, tags=["gold"], description="the document's server")
    wait_server(service, created.id, timeout=60)
    volume = demo.block_storage.create_volume(size=1, name=f"doc-data-{tag}", availability_zone="nova",
                                              metadata={"owner": "alice"})
    wait_volume(service, volume.id, "available", timeout=60)
    demo.compute.create_volume_attachment(created.id, volume.id, tag="data", delete_on_termination=True)
    wait_volume_attached(service, volume.id, created.id, timeout=60)
    return service.compute.get_server(created.id)


def _raw(sandbox, service_type: str, path: str, microversion: str | None = None) -> dict:
    """What the API answers, as JSON (the admin's token, the product's microversions)."""
    api = ks_adapter.Adapter(sandbox.session("admin"), service_type=service_type, interface="public",
                             default_microversion=microversion)
    return api.get(path).json()


def test_the_document_is_what_the_apis_said(sandbox, clouds, server):
    service, _ = clouds
    document = gather_instance_metadata(service, server, [])
    nova = _raw(sandbox, "compute", f"/servers/{server.id}", NOVA_MICROVERSION)["server"]

    # Nova's names, renamed by openstacksdk: the document keeps its own.
    assert document["project_id"] == nova["tenant_id"] and document["user_id"] == nova["user_id"]
    assert document["availability_zone"] == nova["OS-EXT-AZ:availability_zone"] == "nova"
    assert document["root_device_name"] == nova["OS-EXT-SRV-ATTR:root_device_name"]
    assert (document["id"], document["name"], document["status"]) == (nova["id"], nova["name"], nova["status"])
    assert document["description"] == nova["description"] == "the document's server"
    assert document["metadata"] == nova["metadata"] and document["tags"] == nova["tags"] == ["gold"]
    assert document["boot_source"] == "image"

    # The flavor Nova embeds (2.47+) has no id (openstacksdk's Flavor would answer its name): looked up by name.
    embedded = nova["flavor"]
    flavors = _raw(sandbox, "compute", "/flavors/detail?is_public=None", NOVA_MICROVERSION)["flavors"]
    assert document["flavor"] == {
        "id": next(f["id"] for f in flavors if f["name"] == embedded["original_name"]),
        "name": embedded["original_name"], "vcpus": embedded["vcpus"], "ram": embedded["ram"],
        "disk": embedded["disk"], "ephemeral": embedded["ephemeral"], "swap": embedded["swap"],
        "extra_specs": embedded["extra_specs"]}
    assert document["root_disk"] == {"key": "root-disk", "device": "/dev/vda", "size": embedded["disk"]}

    keypair = _raw(sandbox, "compute", f"/os-keypairs/{nova['key_name']}?user_id={nova['user_id']}",
                   NOVA_MICROVERSION)["keypair"]
    assert keypair["public_key"] == PUBLIC_KEY
    assert document["key_pair"] == {"name": nova["key_name"], "public_key": keypair["public_key"],
                                    "type": keypair["type"], "fingerprint": keypair["fingerprint"]}

    # Glance's image: its properties as Glance's strings, not openstacksdk's bools, ints and floats.
    glance = _raw(sandbox, "image", f"/v2/images/{nova['image']['id']}")
    image = document["image"]
    assert image["properties"] == {k: v for k, v in glance.items() if k not in CORE_IMAGE_KEYS}
    assert {k: image["properties"][k] for k in CONVERTED_PROPERTIES} == CONVERTED_PROPERTIES
    assert (image["id"], image["checksum"], image["os_hash_algo"], image["os_hash_value"], image["size"]) == (
        glance["id"], glance["checksum"], glance["os_hash_algo"], glance["os_hash_value"], glance["size"])
    assert (image["min_disk"], image["owner"], image["visibility"]) == (glance["min_disk"], glance["owner"],
                                                                         glance["visibility"])

    # Cinder's volume and Nova's attachment of it: bootable is Cinder's "true"/"false", as a bool.
    attachments = _raw(sandbox, "compute", f"/servers/{server.id}/os-volume_attachments",
                       NOVA_MICROVERSION)["volumeAttachments"]
    (attachment,) = attachments
    volume = _raw(sandbox, "block-storage", f"/volumes/{attachment['volumeId']}", CINDER_MICROVERSION)["volume"]
    (entry,) = document["block_device_mapping"]
    assert (attachment["tag"], attachment["delete_on_termination"]) == ("data", True)
    assert entry == {
        "volume_id": volume["id"], "name": volume["name"], "description": volume["description"],
        "size": volume["size"], "volume_type": volume["volume_type"], "availability_zone": volume["availability_zone"],
        "bootable": volume["bootable"] == "true", "boot_index": None, "device": attachment["device"],
        "delete_on_termination": attachment["delete_on_termination"], "tag": attachment["tag"],
        "metadata": {"owner": "alice"}, "image_id": None, "image_metadata": {},  # less Cinder's attached_mode
        "group_id": volume.get("group_id"), "multiattach": volume["multiattach"], "encrypted": volume["encrypted"],
        "status": "in-use"}

    # Neutron's ports: the product reads security_groups (openstacksdk's security_group_ids) and fixed IPs.
    ports = _raw(sandbox, "network", f"/v2.0/ports?device_id={server.id}")["ports"]
    (port,) = ports
    network = _raw(sandbox, "network", f"/v2.0/networks/{port['network_id']}")["network"]
    assert document["nics"] == [{
        "port_id": port["id"], "network_id": port["network_id"], "network_name": network["name"],
        "mac_address": port["mac_address"],
        "fixed_ips": [{"subnet_id": f["subnet_id"], "ip_address": f["ip_address"]} for f in port["fixed_ips"]],
        "security_groups": port["security_groups"]}]
    groups = {g: _raw(sandbox, "network", f"/v2.0/security-groups/{g}")["security_group"]["name"]
              for g in port["security_groups"]}
    assert document["security_groups"] == [{"id": g, "name": name} for g, name in groups.items()]
