# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``protect_project``: the demo's scheduled policy, through the service layer, against the embedded cloud."""
from __future__ import annotations

import io

from django.core.management import call_command
from storage_backup.catalog.models import Policy, ProtectedInstance

from tests.support.instances import create_instance, raise_volume_quota


def test_protect_every_instance_of_a_project(control_plane, tmp_path):
    alt = control_plane.sandbox.session("alt-member")
    alt_project = control_plane.project_id("alt-member")
    raise_volume_quota(control_plane.sandbox.session("admin"), alt_project)
    servers = [create_instance(alt) for _ in range(2)]
    out = io.StringIO()
    call_command("protect_project", "--project", "alt", "--path", str(tmp_path), "--schedule", "*/5 * * * *",
                 stdout=out)
    assert "2 instance(s) newly protected" in out.getvalue() or "instance(s) newly protected" in out.getvalue()
    policy = Policy.objects.get(project_id=alt_project, name="demo-every-5-minutes")
    assert policy.schedule == "*/5 * * * *" and policy.destination.path == str(tmp_path)
    for server in servers:
        assert ProtectedInstance.objects.get(pk=server["id"]).policy_id == policy.id
    again = io.StringIO()
    call_command("protect_project", "--project", "alt", "--path", str(tmp_path), stdout=again)
    assert "0 instance(s) newly protected" in again.getvalue()  # idempotent
