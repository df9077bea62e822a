# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The read-only cephx user that ``tools/ceph/start.sh`` makes (``CEPHX_READONLY_USER``): what a changed-block
component holds. It may list, read and diff images and snapshots; every write is refused by Ceph (EPERM)."""
from __future__ import annotations

import json

import pytest

MIB = 1024 ** 2


@pytest.fixture(scope="module")
def image(ceph):
    """An image with two snapshots, 1 MiB written between them."""
    name = "readonly-user-probe"
    with ceph.open_pool() as (rbd, ioctx):
        rbd.RBD().create(ioctx, name, 64 * MIB, old_format=False)
        with rbd.Image(ioctx, name) as handle:
            handle.write(b"a" * MIB, 0)
            handle.create_snap("base")
            handle.write(b"b" * MIB, 8 * MIB)
            handle.create_snap("next")
    yield name
    with ceph.open_pool() as (rbd, ioctx):
        with rbd.Image(ioctx, name) as handle:
            for snap in ("base", "next"):
                handle.remove_snap(snap)
        rbd.RBD().remove(ioctx, name)


def test_its_keyring_and_caps(ceph):
    with open(ceph.readonly_keyring) as handle:
        assert f"[client.{ceph.readonly_id}]" in handle.read()
    import subprocess

    caps = subprocess.run(["ceph", "-c", ceph.conf, "auth", "get", f"client.{ceph.readonly_id}", "-f", "json"],
                          capture_output=True, text=True, check=True).stdout
    assert json.loads(caps)[0]["caps"] == {"mon": "profile rbd", "osd": "profile rbd-read-only"}


def test_rbd_diff_works_for_the_read_only_user(ceph, image):
    result = ceph.rbd_cli("diff", "--from-snap", "base", f"{ceph.pool}/{image}@next", "--format", "json",
                          readonly=True)
    assert json.loads(result.stdout) == [{"offset": 8 * MIB, "length": MIB, "exists": "true"}]
    with ceph.open_pool(readonly=True) as (rbd, ioctx), rbd.Image(ioctx, image, snapshot="next",
                                                                   read_only=True) as handle:
        extents = []
        handle.diff_iterate(0, handle.size(), "base", lambda offset, length, exists: extents.append((offset, length)))
        assert extents == [(8 * MIB, MIB)]
        assert handle.read(8 * MIB, 4) == b"bbbb"


def test_every_write_is_refused(ceph, image):
    for args in (("create", "--size", "8M", f"{ceph.pool}/not-allowed"),
                 ("snap", "create", f"{ceph.pool}/{image}@not-allowed"),
                 ("rm", f"{ceph.pool}/{image}")):
        result = ceph.rbd_cli(*args, readonly=True, check=False)
        assert result.returncode != 0 and "Operation not permitted" in result.stderr, args
    with ceph.open_pool(readonly=True) as (rbd, ioctx):
        with pytest.raises(rbd.PermissionError):
            rbd.RBD().create(ioctx, "not-allowed", MIB, old_format=False)
        with pytest.raises(rbd.PermissionError):
            rbd.Image(ioctx, image)  # opening for writing registers a watch: refused
    with ceph.open_pool() as (rbd, ioctx):
        assert {"not-allowed"} & set(rbd.RBD().list(ioctx)) == set()
        with rbd.Image(ioctx, image, read_only=True) as handle:
            assert {s["name"] for s in handle.list_snaps()} == {"base", "next"}
