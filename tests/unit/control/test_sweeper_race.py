# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The sweeper and a job that ends while it lists the cloud (found by the Ceph tier: a kept base swept).

A changed-block backup keeps its snapshot as the volume's base at its very end: it tags it as a base and removes its
job tag, then the job ends. A sweep that listed the snapshot before the tags changed, and asked which jobs are alive
after the job ended, took the base for a dead job's leftover and deleted it (the next backup read every block). The
jobs alive before the listing count as alive: their resources are the next sweep's, read afresh.
"""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from storage_backup.catalog.models import Job
from storage_backup.control import sweeper
from storage_backup.services import inventory

PROJECT = "sweeper-race-test"


@pytest.fixture(autouse=True)
def _remove_jobs_made_here():
    yield
    Job.objects.filter(project_id=PROJECT).delete()


class Cloud:
    """Lists one snapshot tagged with ``job``'s id; the job ends while the snapshots are listed."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.deleted: list[str] = []
        snapshot = SimpleNamespace(id=str(uuid.uuid4()), status="available", group_snapshot_id=None,
                                   created_at="2026-01-01T00:00:00", updated_at=None, project_id=PROJECT,
                                   metadata={"storage_backup_job": job.id}, name=f"storage-backup-{job.id}-snap")
        self.snapshot = snapshot
        self.block_storage = SimpleNamespace(volumes=lambda **_: [], snapshots=self._snapshots,
                                             group_snapshots=lambda **_: [])
        self.image = SimpleNamespace(images=lambda **_: [])
        self.compute = SimpleNamespace(servers=lambda **_: [])

    def _snapshots(self, **_):
        listed = [self.snapshot]
        Job.objects.filter(id=self.job.id).update(state="succeeded")  # the job keeps its base and ends
        return listed


@pytest.mark.parametrize("state", ["running", "succeeded"])
def test_a_snapshot_listed_while_its_job_was_alive_is_left_for_the_next_sweep(monkeypatch, state):
    job = Job.objects.create(type="backup", project_id=PROJECT, instance_id=str(uuid.uuid4()), state=state,
                             celery_task_id="task")
    cloud = Cloud(job)
    monkeypatch.setattr(inventory, "service_cloud", lambda: cloud)
    sweep = sweeper.Sweep(grace=sweeper.dt.timedelta(0))
    monkeypatch.setattr(sweep.remover, "delete_snapshot", cloud.deleted.append)
    report = sweep.run()
    if state == "running":  # alive when the sweep began: not this sweep's
        assert cloud.deleted == [] and report.snapshots == []
    else:  # ended before the sweep began, tag still on: a leftover
        assert cloud.deleted == [cloud.snapshot.id] and report.snapshots == [cloud.snapshot.id]
