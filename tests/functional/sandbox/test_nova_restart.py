# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The compute side survives a restart of the embedded cloud: records, pending builds, and an idempotent seed."""
from __future__ import annotations

from storage_backup_sandbox.launch import SandboxProcess

from tests.conftest import SandboxHandle
from tests.functional.sandbox.nova_helpers import ComputeApi, make_ext4_image, upload_image


def test_pending_build_and_records_survive_a_restart(tmp_path):
    state_dir = str(tmp_path / "cloud")
    # a slow cloud: the build is still pending when the process stops
    with SandboxProcess(state_dir, seed="base", transition_delay=5).start() as process:
        sandbox = SandboxHandle(process)
        image = upload_image(sandbox, make_ext4_image(8), user="admin")
        member = ComputeApi(sandbox)
        building = member.create_server("survivor", image=image)["id"]
        assert member.server(building)["status"] == "BUILD"
        networks = sorted(n["id"] for n in sandbox.session("admin").get(
            sandbox.url + "/network/v2.0/networks").json()["networks"])
    with SandboxProcess(state_dir, seed="base", transition_delay=0.1).start() as process:
        sandbox = SandboxHandle(process)
        member = ComputeApi(sandbox)
        server = member.wait_server(building)
        assert server["name"] == "survivor" and server["addresses"]["demo-net"]
        again = sorted(n["id"] for n in sandbox.session("admin").get(
            sandbox.url + "/network/v2.0/networks").json()["networks"])
        assert again == networks  # the seed ran again without adding anything
        flavors = [f["name"] for f in member.body("GET", "/flavors")["flavors"]]
        assert sorted(flavors) == ["m1.medium", "m1.small", "m1.tiny"]
        member.delete_server(building)
