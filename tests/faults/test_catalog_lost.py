# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The catalog database lost (its file deleted with the control plane down): the operator starts the control plane
on an empty catalog, registers the destination again and rebuilds from the repository; every restore point comes
back for its own project, verifies and restores, and backups go on.

A stack of its own: losing the catalog of the shared one would take every other drill's policies with it.
"""
from __future__ import annotations

import glob
import os

import pytest
from storage_backup_sandbox.launch import start_together, stop_together

from tests.faults.conftest import MATRIX_SETTINGS, MATRIX_WORKER_SETTINGS, room_for_drills
from tests.faults.matrix import points_of, protected_instance, recover, write_guest_data
from tests.functional.e2e.support import Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("catalog-lost")), settings=MATRIX_SETTINGS,
                  worker_settings=MATRIX_WORKER_SETTINGS)
    try:
        yield room_for_drills(stack.start())
    finally:
        stack.stop()


def lose_the_catalog(stack: Stack) -> None:
    stop_together(*stack.control_processes)
    for path in glob.glob(os.path.join(stack.control_dir, "data", "catalog.sqlite3*")):
        os.unlink(path)
    api, *others = stack.control_processes
    api.start()  # an empty catalog: the migrations again
    start_together(*others)
    stack.wait_for_proxies()


@pytest.mark.fault("the catalog database lost and rebuilt from the repository",
                   "every restore point back for its project, verified and restorable; backups go on")
def test_catalog_lost_and_rebuilt(stack, drill):
    policy = stack.policy(name="before-the-loss", strategy="incremental")
    servers = [protected_instance(stack, policy, f"kept-{n}") for n in range(2)]
    for server in servers:
        stack.run_backup(server["id"])
        write_guest_data(stack, server, 1, offset_mib=8)
        stack.run_backup(server["id"])
    points = {server["id"]: points_of(stack, server["id"]) for server in servers}
    name = stack.destination()["name"]

    drill.restart_clock()
    lose_the_catalog(stack)
    assert stack.client().restore_point_list() == []
    destination = stack.client("admin").destination_create(name=name, path=stack.repository_path)
    rebuild = stack.client("admin").destination_rebuild(destination["id"])
    job = stack.wait_job(rebuild["id"], user="admin", timeout=90)
    assert job["state"] == "succeeded", job
    for server in servers:
        assert points_of(stack, server["id"]) == points[server["id"]]
        assert stack.client("alt-member").restore_point_list(instance_id=server["id"]) == []
    for point_id in set().union(*points.values()):
        verified = stack.wait_job(stack.client().verify(point_id)["id"], timeout=90)
        assert verified["state"] == "succeeded", verified
    stack._destination = destination
    restored = stack.run_restore(sorted(points[servers[0]["id"]])[0])
    drill.job_ended(restored)

    # Backups go on: the tenant's policy is gone with the catalog; protected again, the instance backs up.
    policy = stack.policy(name="after-the-loss", strategy="incremental")
    for server in servers:
        stack.client().protect(server["id"], policy["id"])
    recover(stack, drill, servers[0]["id"], restored, points[servers[0]["id"]])
