# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Admins prune a destination and rebuild the catalog from it through the REST API: each is a job on the data
plane (queue ``data``), run by a real data worker; members may do neither, and a second prune waits for the first."""
from __future__ import annotations

import uuid

import pytest
from storage_backup.catalog.models import RestorePoint

from storage_backup_dashboard.client import BackupApiError
from tests.functional.control.test_catalog_rebuild import write_points
from tests.support.control_fixtures import run_jobs


def _status_of(call) -> int:
    with pytest.raises(BackupApiError) as raised:
        call()
    return raised.value.status


def test_admins_prune_and_rebuild_a_destination_members_cannot(control_plane, data_worker, tmp_path):
    admin, member = control_plane.client("admin"), control_plane.client("demo-member")
    project = control_plane.project_id("demo-member")
    root = tmp_path / "repository"
    instance = str(uuid.uuid4())
    ids = write_points(str(root), project, instance, 2)
    destination = admin.destination_create(name=f"jobs-{uuid.uuid4().hex[:6]}", path=str(root))

    assert _status_of(lambda: member.destination_prune(destination["id"])) == 403
    assert _status_of(lambda: member.destination_rebuild(destination["id"])) == 403
    assert _status_of(lambda: admin.destination_prune(str(uuid.uuid4()))) == 404
    error = pytest.raises(BackupApiError, admin.destination_rebuild, destination["id"], dry_run="perhaps").value
    assert error.status == 400 and error.field == "dry_run"

    prune = admin.destination_prune(destination["id"])
    assert (prune["type"], prune["state"]) == ("prune", "queued")
    assert _status_of(lambda: admin.destination_prune(destination["id"])) == 409  # one prune at a time
    rebuild = admin.destination_rebuild(destination["id"])
    assert rebuild["type"] == "rebuild"

    ended = run_jobs(prune["id"], rebuild["id"])
    assert [job.state for job in ended] == ["succeeded", "succeeded"], [job.error for job in ended]
    rebuilt = RestorePoint.objects.filter(destination_id=destination["id"])
    assert sorted(point.id for point in rebuilt) == sorted(ids)
    assert {point.project_id for point in rebuilt} == {project}
    assert admin.job_get(rebuild["id"])["state"] == "succeeded"
