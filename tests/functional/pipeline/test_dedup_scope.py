# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Deduplication across projects is a side channel (issue 10, item 6), through real proxy workers.

Two projects (``demo``'s ``app-1`` and ``alt``'s ``alt-vm-1``, both booted from the same image) hold the same
8 MiB of random data besides. Backed up to one shared destination with the default per-project scope, the second
project's backup deduplicates exactly as much as it does alone in an empty repository: nothing it stores tells it
what the first project backed up. With a destination an administrator opened to cloud-wide deduplication, the same
backup deduplicates the whole image and the random data against the first project's restore point. Every restore
point verifies, with the key of its own domain.
"""
from __future__ import annotations

import os
import random

import pytest
from storage_backup.contract import DATA_QUEUE

MIB = 1024 * 1024
SHARED = 8 * MIB  # random, so no block of it repeats within a disk: it can only deduplicate across restore points
pytestmark = pytest.mark.timeout(300)


def _plant(cloud, server) -> None:
    data = random.Random(20261202).randbytes(SHARED)
    with open(cloud.root_disk(server.id), "r+b") as disk:
        disk.seek(256 * MIB)
        disk.write(data)


def _destination(cloud, name: str, scope: str | None) -> dict:
    path = os.path.join(cloud.base_dir, name)
    os.makedirs(path, exist_ok=True)
    destination = {"id": f"dest-{name}", "type": "filesystem", "path": path, "encrypted": False}
    if scope is not None:  # None: as the control plane of before sent it, without the field
        destination["dedup_scope"] = scope
    return destination


def _backup(cloud, server, destination: dict) -> dict:
    result = cloud.backup(server, strategy="full", destination=destination).result
    (volume,) = result["volumes"]
    cloud.run("data.verify_restore_point", {"project_id": server.project_id,
                                            "restore_point_id": result["restore_point_id"],
                                            "destination": destination, "repository_secret": None}, DATA_QUEUE)
    return volume


@pytest.fixture(scope="module")
def servers(pipeline_cloud):
    demo, alt = pipeline_cloud.server_named("app-1"), pipeline_cloud.server_named("alt-vm-1")
    assert demo.project_id != alt.project_id
    for server in (demo, alt):
        _plant(pipeline_cloud, server)
    return demo, alt


def test_by_default_a_project_learns_nothing_from_another_projects_backups(pipeline_cloud, servers):
    cloud = pipeline_cloud
    demo, alt = servers
    alone = _backup(cloud, alt, _destination(cloud, "alone", "project"))
    shared = _destination(cloud, "shared-default", None)  # no field: per project, the default
    first = _backup(cloud, demo, shared)
    second = _backup(cloud, alt, shared)
    assert first["bytes_new"] >= SHARED
    # Exactly what it deduplicates on its own (blocks repeated within its disk), not a byte more.
    assert second["bytes_deduplicated"] == alone["bytes_deduplicated"]
    assert second["bytes_new"] == alone["bytes_new"] >= SHARED


def test_a_destination_opened_to_cloud_wide_dedup_deduplicates_across_projects(pipeline_cloud, servers):
    cloud = pipeline_cloud
    demo, alt = servers
    shared = _destination(cloud, "shared-cloud", "cloud")
    first = _backup(cloud, demo, shared)
    second = _backup(cloud, alt, shared)
    assert first["bytes_new"] >= SHARED
    assert second["bytes_deduplicated"] >= SHARED
    assert second["bytes_new"] <= first["bytes_new"] - SHARED
