# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The whole product (``tests.functional.e2e.support.Stack``) on the embedded cloud whose volumes are RBD images:
``web-1`` backed up through the proxy's device view (rbd-fuse) and restored into the other zone byte for byte.
How a test of this tier builds a Stack on the session's Ceph: ``Stack(base_dir, rbd=ceph.rbd_settings())``."""
from __future__ import annotations

import hashlib
import os

import pytest

from tests.functional.e2e.support import Stack

pytestmark = pytest.mark.timeout(300)
GIB = 1024 ** 3


@pytest.fixture(scope="module")
def stack(ceph, tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("rbd-stack")), rbd=ceph.rbd_settings())
    try:
        yield stack.start()
    finally:
        stack.stop()


def test_web_1_on_rbd_is_backed_up_and_restored_byte_for_byte(stack, ceph):
    web = stack.server_named("web-1")
    attachments = list(stack.service.compute.volume_attachments(web.id))
    with ceph.open_pool() as (rbd, ioctx):
        names = set(rbd.RBD().list(ioctx))
    assert {f"volume-{a.volume_id}" for a in attachments} <= names
    # the guest's own marks, written through its device view: they must come back
    for number, attachment in enumerate(attachments):
        with open(stack.guest_device(web.id, attachment.volume_id), "r+b") as device:
            device.seek(GIB - 4096)
            device.write(f"web-1 disk {number}".encode())
    digests = {a.volume_id: _content(ceph, f"volume-{a.volume_id}") for a in attachments}
    policy = stack.policy(strategy="incremental", keep_last=3)
    stack.client().protect(web.id, policy["id"])
    job = stack.run_backup(web.id)
    point = stack.client().restore_point_get(job["restore_point_id"])
    assert {volume["volume_id"] for volume in point["volumes"]} == set(digests)
    restore = stack.run_restore(point["id"], name="web-1-from-rbd", availability_zone="az2")
    server_id = restore["result"]["server_id"]
    for original, new in restore["result"]["volume_ids"].items():
        assert f"volume-{new}" in _images(ceph)
        assert os.path.exists(stack.guest_device(server_id, new))  # the restored guest sees it (rbd-fuse)
        assert _content(ceph, f"volume-{new}") == digests[original]
    assert stack.leftovers() == {}


def _images(ceph) -> set[str]:
    with ceph.open_pool() as (rbd, ioctx):
        return set(rbd.RBD().list(ioctx))


def _content(ceph, image: str) -> tuple[int, str]:
    """(size, sha256 of every non-zero 64 KiB block with its offset): what a volume holds, read with librbd from
    its allocated extents only (reading 3 GiB through rbd-fuse would take a minute here)."""
    digest = hashlib.sha256()
    block = 64 * 1024
    with ceph.open_pool() as (rbd, ioctx), rbd.Image(ioctx, image, read_only=True) as handle:
        extents: list[tuple[int, int]] = []
        handle.diff_iterate(0, handle.size(), None, lambda offset, length, exists: extents.append((offset, length))
                            if exists else None)
        for offset, length in extents:
            for start in range(offset - offset % block, offset + length, block):
                data = handle.read(start, block)
                if data.strip(b"\0"):
                    digest.update(start.to_bytes(8, "big") + data)
        return handle.size(), digest.hexdigest()
