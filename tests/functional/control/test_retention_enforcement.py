# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Retention applied to the catalog and repository: a simulated year of restore points, GFS counts, minimum age,
WORM locks honoured; the points past the rules leave the catalog at once and a ``delete`` job (run here by the real
data worker) removes them from the repository; the destination is pruned when the repository lost something."""
from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from storage_backup.catalog.models import Destination, Job, Policy, RestorePoint
from storage_backup.control import retention
from storage_backup.repository import Repository
from storage_backup.services import data_plane

from tests.functional.control.test_catalog_rebuild import write_points
from tests.support.control_fixtures import run_jobs

# Part of the catalog-heavy subset that tox's functional-postgresql and functional-mariadb run again there.
pytestmark = pytest.mark.catalog

NOW = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)


def test_a_year_of_daily_points(tmp_path, data_worker):
    Repository.init(str(tmp_path))
    destination = Destination.objects.create(name="retention", path=str(tmp_path))
    policy = Policy.objects.create(project_id="proj-ret", name="gfs", destination=destination, keep_last=3,
                                   keep_daily=7, keep_weekly=4, keep_monthly=6, keep_yearly=2, min_age_days=2)
    instance_id = str(uuid.uuid4())
    start = dt.datetime(2024, 1, 1, 2, 0, tzinfo=dt.UTC)
    points = [RestorePoint(id=str(uuid.uuid4()), project_id="proj-ret", instance_id=instance_id, policy=policy,
                           destination=destination, created_at=start + dt.timedelta(days=day), strategy="full")
              for day in range(366)]
    locked = points[40]
    locked.retention_lock_until = NOW + dt.timedelta(days=90)
    RestorePoint.objects.bulk_create(points)
    made = retention.enforce(NOW)
    job = next(j for j in made if j.instance_id == instance_id)
    assert job.type == "delete" and job.state == "queued" and job.project_id == "proj-ret" and job.scheduled
    assert job.queue == "data" and len(job.request["restore_point_ids"]) == 366 - 15
    remaining = set(RestorePoint.objects.filter(instance_id=instance_id).values_list("id", flat=True))
    assert len(remaining) == 14 + 1  # the GFS set of test_retention_rules, plus the locked point
    assert locked.id in remaining
    [done] = run_jobs(job.id)
    assert done.state == "succeeded", done.error
    # The repository never had these points (they were made in the catalog only): gone already, nothing to prune.
    assert len(done.result["already_gone"]) == 366 - 15 and not done.result["deleted"]
    assert len([entry for entry in done.log if entry["step"] == "deleted"]) == 366 - 15
    assert all(j.instance_id != instance_id for j in retention.enforce(NOW + dt.timedelta(hours=1)))
    assert Job.objects.filter(instance_id=instance_id, type="delete").count() == 1


def test_points_past_the_rules_leave_the_repository_and_the_destination_is_pruned(tmp_path, data_worker):
    path = tmp_path / "repo"
    path.mkdir()
    destination = Destination.objects.create(name=f"retention-{uuid.uuid4().hex[:6]}", path=str(path))
    instance_id = str(uuid.uuid4())
    ids = write_points(str(path), "proj-ret2", instance_id, 3)
    call_command("rebuild_catalog", "--destination", destination.id, stdout=io.StringIO())
    policy = Policy.objects.create(project_id="proj-ret2", name="keep-one", destination=destination, keep_last=1)
    RestorePoint.objects.filter(destination=destination).update(policy=policy)
    [delete] = retention.enforce_instance(policy, instance_id, dt.datetime.now(dt.UTC))
    assert sorted(delete.request["restore_point_ids"]) == sorted(ids[:2])
    [done] = run_jobs(delete.id)
    assert done.state == "succeeded" and sorted(done.result["deleted"]) == sorted(ids[:2]), done.error
    assert Repository.open(str(path)).restore_point_ids() == [ids[2]]
    assert destination.id in data_plane.destinations_to_prune()
    [prune] = [job for job in retention.prune_destinations() if job.destination_id == destination.id]
    assert prune.type == "prune" and destination.id not in data_plane.destinations_to_prune()
    [pruned] = run_jobs(prune.id)
    assert pruned.state == "succeeded" and pruned.result["bytes_freed"] > 0, pruned.error
    assert any(entry["step"] == "prune" and "Freed" in entry["message"] for entry in pruned.log)
