# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Glance of the embedded cloud driven by python-glanceclient (which validates every image against the sandbox's
own ``schemas/image``) and raw HTTP: data round trips, visibility rules, JSON-patch, members, metadefs."""
from __future__ import annotations

import hashlib
import io
import os
import uuid

import jsonschema
import pytest
from glanceclient import exc

from tests.functional.sandbox.volume_helpers import blocks, glance

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def demo(sandbox):
    return glance(sandbox, "demo-member")


@pytest.fixture(scope="module")
def alt(sandbox):
    return glance(sandbox, "alt-member")


@pytest.fixture(scope="module")
def admin(sandbox):
    return glance(sandbox, "admin")


def upload(client, name: str, data: bytes, **kwargs):
    image = client.images.create(name=name, disk_format="raw", container_format="bare", **kwargs)
    client.images.upload(image.id, io.BytesIO(data))
    return client.images.get(image.id)


def test_versions_documents(sandbox):
    session = sandbox.session("demo-member")
    root = session.get(sandbox.url + "/image/", raise_exc=False)
    assert root.status_code == 300 and root.json()["versions"][0]["status"] == "CURRENT"


def test_hundred_mib_round_trip_is_byte_exact(sandbox, demo, tmp_path):
    source = tmp_path / "disk.raw"
    with open(source, "wb") as handle:  # random data with a hole in the middle, like a real disk image
        handle.write(os.urandom(40 * MIB))
        handle.seek(60 * MIB)
        handle.write(os.urandom(40 * MIB))
    data = source.read_bytes()
    assert len(data) == 100 * MIB
    image = demo.images.create(name="hundred", disk_format="raw", container_format="bare")
    assert image.status == "queued" and image.size is None
    with open(source, "rb") as handle:
        demo.images.upload(image.id, handle, image_size=len(data))
    image = demo.images.get(image.id)
    assert image.status == "active"
    assert image.size == image.virtual_size == len(data)
    assert image.checksum == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert image.os_hash_algo == "sha512" and image.os_hash_value == hashlib.sha512(data).hexdigest()
    digest, size = hashlib.sha512(), 0
    for chunk in demo.images.data(image.id):  # glanceclient verifies the md5 while streaming
        digest.update(chunk)
        size += len(chunk)
    assert size == len(data) and digest.hexdigest() == image.os_hash_value
    stored = blocks(sandbox).image_path(image.id)
    assert os.stat(stored).st_blocks * 512 < 90 * MIB  # the zero middle stayed a hole
    with pytest.raises(exc.HTTPConflict):  # data is set once
        demo.images.upload(image.id, io.BytesIO(b"again"))
    demo.images.delete(image.id)
    assert not os.path.exists(stored)
    with pytest.raises(exc.HTTPNotFound):
        demo.images.get(image.id)


def test_download_honours_range_and_queued_images_have_no_data(sandbox, demo):
    image = upload(demo, "ranged", bytes(range(256)) * 64)
    session = sandbox.session("demo-member")
    url = sandbox.url + f"/image/v2/images/{image.id}/file"
    part = session.get(url, headers={"Range": "bytes=256-511"})
    assert part.status_code == 206 and part.content == bytes(range(256))
    assert part.headers["Content-Range"] == "bytes 256-511/16384"
    whole = session.get(url)
    assert whole.headers["Content-MD5"] == image.checksum and len(whole.content) == 16384
    queued = demo.images.create(name="empty", disk_format="raw", container_format="bare")
    assert session.get(sandbox.url + f"/image/v2/images/{queued.id}/file").status_code == 204
    for ident in (image.id, queued.id):
        demo.images.delete(ident)


def test_stage_and_glance_direct_import(sandbox, demo):
    image = demo.images.create(name="imported", disk_format="raw", container_format="bare")
    demo.images.stage(image.id, io.BytesIO(b"staged bytes"))
    assert demo.images.get(image.id).status == "uploading"
    demo.images.image_import(image.id, method="glance-direct")
    from tests.functional.sandbox.volume_helpers import wait_for

    imported = wait_for(lambda: demo.images.get(image.id), "active")
    assert imported.size == 12
    assert b"".join(demo.images.data(image.id)) == b"staged bytes"
    demo.images.delete(image.id)


def test_visibility_rules(sandbox, demo, alt, admin):
    private = upload(demo, "demo-private", b"p", visibility="private")
    shared = upload(demo, "demo-shared", b"s", visibility="shared")
    community = upload(demo, "demo-community", b"c", visibility="community")
    public = upload(admin, "everyone", b"e", visibility="public")
    alt_listing = {i.id for i in alt.images.list()}
    assert public.id in alt_listing
    assert not {private.id, shared.id, community.id} & alt_listing
    with pytest.raises(exc.HTTPNotFound):
        alt.images.get(private.id)
    with pytest.raises(exc.HTTPNotFound):
        alt.images.get(shared.id)
    assert alt.images.get(community.id).name == "demo-community"  # reachable by id, listed only when asked
    assert community.id in {i.id for i in alt.images.list(filters={"visibility": "community"})}
    # sharing: pending members may fetch by id; the image is listed once they accept
    alt_project = sandbox.session("alt-member").get_project_id()
    demo.image_members.create(shared.id, alt_project)
    assert alt.images.get(shared.id).name == "demo-shared"
    assert shared.id not in {i.id for i in alt.images.list()}
    assert shared.id in {i.id for i in alt.images.list(filters={"member_status": "pending",
                                                                "visibility": "shared"})}
    alt.image_members.update(shared.id, alt_project, "accepted")
    assert shared.id in {i.id for i in alt.images.list()}
    assert [m["member_id"] for m in demo.image_members.list(shared.id)] == [alt_project]
    with pytest.raises(exc.HTTPForbidden):  # only the owner changes an image
        alt.images.update(shared.id, name="hijacked")
    with pytest.raises(exc.HTTPForbidden):  # members cannot publicise
        demo.images.update(private.id, visibility="public")
    with pytest.raises(exc.HTTPForbidden):
        demo.images.create(name="public-by-member", visibility="public")
    admin_listing = {i.id for i in admin.images.list()}
    assert {private.id, shared.id, community.id, public.id} <= admin_listing
    for client, image in ((demo, private), (demo, shared), (demo, community), (admin, public)):
        client.images.delete(image.id)


def test_json_patch_properties_tags_and_readers(sandbox, demo):
    image = demo.images.create(name="patchable", disk_format="qcow2", container_format="bare",
                               os_distro="ubuntu", tags=["first"])
    assert image.os_distro == "ubuntu"  # extra properties are top-level keys
    demo.images.update(image.id, name="patched", hw_disk_bus="virtio", remove_props=["os_distro"])
    patched = demo.images.get(image.id)
    assert patched.name == "patched" and patched.hw_disk_bus == "virtio" and "os_distro" not in patched
    demo.image_tags.update(image.id, "second")
    demo.image_tags.delete(image.id, "first")
    assert demo.images.get(image.id).tags == ["second"]
    session = sandbox.session("demo-member")
    url = sandbox.url + f"/image/v2/images/{image.id}"
    wrong_type = session.patch(url, json=[{"op": "replace", "path": "/name", "value": "x"}], raise_exc=False)
    assert wrong_type.status_code == 415
    read_only = session.patch(url, json=[{"op": "replace", "path": "/status", "value": "active"}],
                              headers={"Content-Type": "application/openstack-images-v2.1-json-patch"},
                              raise_exc=False)
    assert read_only.status_code == 403
    reader = glance(sandbox, "demo-reader")
    assert reader.images.get(image.id).name == "patched"
    with pytest.raises(exc.HTTPForbidden):
        reader.images.update(image.id, name="by-reader")
    with pytest.raises(exc.HTTPForbidden):
        reader.images.delete(image.id)
    with pytest.raises(exc.HTTPForbidden):
        reader.images.create(name="by-reader")
    demo.images.update(image.id, protected=True)
    with pytest.raises(exc.HTTPForbidden):
        demo.images.delete(image.id)
    demo.images.update(image.id, protected=False)
    demo.images.delete(image.id)


def test_listing_pages_sorts_and_filters(sandbox, demo):
    tag = uuid.uuid4().hex[:6]
    made = [upload(demo, f"{tag}-{n}", b"x" * (n + 1), tags=[tag]) for n in range(5)]
    paged = list(demo.images.list(filters={"tag": [tag]}, page_size=2, sort_key="name", sort_dir="asc"))
    assert [i.name for i in paged] == [f"{tag}-{n}" for n in range(5)]
    raw = sandbox.session("demo-member").get(sandbox.url + f"/image/v2/images?tag={tag}&limit=2").json()
    assert raw["schema"] == "/v2/schemas/images" and raw["next"].startswith("/v2/images?")
    assert [i.name for i in demo.images.list(filters={"name": f"{tag}-3"})] == [f"{tag}-3"]
    assert len(list(demo.images.list(filters={"tag": [tag], "size_min": 3}))) == 3
    newest_first = [i.name for i in demo.images.list(filters={"tag": [tag]}, sort="name:desc")]
    assert newest_first == [f"{tag}-{n}" for n in reversed(range(5))]
    for image in made:
        demo.images.delete(image.id)


def test_schemas_have_glance_shape_and_fit_what_is_served(sandbox, demo):
    session = sandbox.session("demo-member")
    schema = session.get(sandbox.url + "/image/v2/schemas/image").json()
    assert schema["name"] == "image" and schema["additionalProperties"] == {"type": "string"}
    assert {"id", "status", "visibility", "os_hash_value", "locations"} <= set(schema["properties"])
    image = upload(demo, "validated", b"data", visibility="private", os_distro="debian")
    body = session.get(sandbox.url + f"/image/v2/images/{image.id}").json()
    jsonschema.validate(body, schema)
    images = session.get(sandbox.url + "/image/v2/schemas/images").json()
    jsonschema.validate(session.get(sandbox.url + "/image/v2/images").json(), images)
    members = session.get(sandbox.url + "/image/v2/schemas/members").json()
    assert members["properties"]["members"]["items"]["name"] == "member"
    demo.images.delete(image.id)


def test_metadefs_namespaces_are_not_empty(sandbox):
    session = sandbox.session("demo-member")
    namespaces = session.get(sandbox.url + "/image/v2/metadefs/namespaces").json()["namespaces"]
    assert len(namespaces) >= 3
    for_volumes = session.get(sandbox.url + "/image/v2/metadefs/namespaces?resource_types=OS::Cinder::Volume")
    assert "OS::Compute::Watchdog" in [n["namespace"] for n in for_volumes.json()["namespaces"]]
    detail = session.get(sandbox.url + "/image/v2/metadefs/namespaces/OS::Compute::Watchdog"
                                       "?resource_type=OS::Glance::Image").json()
    assert "hw_watchdog_action" in detail["properties"]
    assert session.get(sandbox.url + "/image/v2/metadefs/resource_types").json()["resource_types"]
    # Horizon's Launch Instance dialog runs one thread per namespace of these types: none would make it fail.
    for resource_type in ("OS::Nova::Server", "OS::Nova::Flavor", "OS::Glance::Image", "OS::Cinder::Volume"):
        listed = session.get(sandbox.url + f"/image/v2/metadefs/namespaces?resource_types={resource_type}")
        assert listed.json()["namespaces"], resource_type


def test_virtual_size_comes_from_the_qcow2_header(sandbox, demo):
    header = b"QFI\xfb" + (3).to_bytes(4, "big") + bytes(16) + (5 * 1024 ** 3).to_bytes(8, "big")
    image = demo.images.create(name="qcow", disk_format="qcow2", container_format="bare")
    demo.images.upload(image.id, io.BytesIO(header + bytes(4096)))
    shown = demo.images.get(image.id)
    assert shown.size == len(header) + 4096 and shown.virtual_size == 5 * 1024 ** 3
    demo.images.delete(image.id)
