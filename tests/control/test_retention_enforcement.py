# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Retention applied to the catalog and repository: a simulated year of restore points, GFS counts, minimum age,
WORM locks honoured, a ``retention`` job recording what went."""
from __future__ import annotations

import datetime as dt
import uuid

from storage_backup.catalog.models import Destination, Job, Policy, RestorePoint
from storage_backup.control import retention
from storage_backup.repository import Repository

NOW = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)


def test_a_year_of_daily_points(tmp_path):
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
    jobs = retention.enforce(NOW)
    job = next(j for j in jobs if j.instance_id == instance_id)
    assert job.type == "retention" and job.state == "succeeded" and job.project_id == "proj-ret"
    remaining = set(RestorePoint.objects.filter(instance_id=instance_id).values_list("id", flat=True))
    assert len(remaining) == 14 + 1  # the GFS set of test_retention_rules, plus the locked point
    assert locked.id in remaining
    assert len([entry for entry in job.log if entry["step"] == "deleted"]) == 366 - 15
    assert not retention.enforce(NOW + dt.timedelta(hours=1)) or all(
        j.instance_id != instance_id for j in retention.enforce(NOW + dt.timedelta(hours=1)))
    assert Job.objects.filter(instance_id=instance_id, type="retention").count() == 1
