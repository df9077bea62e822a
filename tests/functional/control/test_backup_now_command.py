# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``backup_now`` (the storage-backup-api charm's ``backup-now`` action): one protected instance backed up now,
through the service layer; an instance no policy protects is refused by name."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from storage_backup.catalog.models import Destination, Job, Policy, ProtectedInstance

from tests.support.instances import create_instance, raise_volume_quota


@pytest.fixture
def alt_protected_here(control_plane, tmp_path):
    """What ``protect_project`` makes for project alt in this test goes again after it: test_protect_project.py
    protects the same project and looks for its own policy and destination."""
    yield
    policies = Policy.objects.filter(project_id=control_plane.project_id("alt-member"), destination__path=str(tmp_path))
    ProtectedInstance.objects.filter(policy__in=policies).delete()
    policies.delete()
    Destination.objects.filter(path=str(tmp_path)).delete()


def test_backup_now_queues_a_job_for_a_protected_instance(control_plane, tmp_path, alt_protected_here):
    alt = control_plane.sandbox.session("alt-member")
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("alt-member"))
    server = create_instance(alt)
    call_command("protect_project", "--project", "alt", "--path", str(tmp_path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("backup_now", server["id"], "--strategy", "full", stdout=out)
    job = Job.objects.get(pk=out.getvalue().strip())
    assert job.instance_id == server["id"] and job.strategy == "full"
    assert job.project_id == control_plane.project_id("alt-member")


def test_backup_now_refuses_an_unprotected_instance(control_plane):
    with pytest.raises(CommandError, match="is not protected by a policy"):
        call_command("backup_now", "00000000-0000-0000-0000-000000000000", stdout=io.StringIO())
