# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The whole product notices on its own that a locked restore point's document was removed on the storage: beat
schedules the check (``STORAGE_BACKUP_VANISHED_CHECK_INTERVAL``, 2 s here), the control worker makes a
``vanished_check`` job, the data worker lists the repository (which only the workers see), and the admin overview
and ``/metrics`` of the REST API name the restore point. No prune and no verify runs meanwhile."""
from __future__ import annotations

import os

import pytest

from tests.functional.e2e.support import wait_until
from tests.functional.e2e.test_operations import scrape

TOKEN = "scraper-token-for-the-vanished-check"
STACK_SETTINGS = {"STORAGE_BACKUP_VANISHED_CHECK_INTERVAL": "2", "STORAGE_BACKUP_METRICS_TOKEN": TOKEN}
pytestmark = pytest.mark.timeout(300)


def _checks(stack) -> list[dict]:
    return [job for job in stack.client("admin").job_list(all_projects=True) if job["type"] == "vanished_check"]


def test_a_deleted_locked_document_is_on_the_overview_and_in_the_metrics(stack):
    member, admin = stack.client(), stack.client("admin")
    policy = stack.policy(name="worm", keep_last=7, retention_lock_days=1, strategy="full")
    web = stack.server_named("web-1")
    member.protect(web.id, policy["id"])
    point = stack.run_backup(web.id)["restore_point_id"]
    assert member.restore_point_get(point)["locked"] is True
    destination = stack.destination()["id"]

    # Beat has the destination checked every 2 s while it holds a locked restore point; all is well so far.
    fine = wait_until(lambda: [job for job in _checks(stack) if job["state"] == "succeeded"], timeout=60,
                      what="a first vanished check")
    assert fine[0]["proxy"] == stack.data_worker.node_name and fine[0]["result"]["missing_locked"] == [], fine[0]
    assert point not in [row["id"] for row in admin.overview()["attention"]["vanished_restore_points"]]

    os.unlink(os.path.join(stack.repository, "restore-points", point))  # behind the product's back

    listed = wait_until(lambda: [row for row in admin.overview()["attention"]["vanished_restore_points"]
                                 if row["id"] == point], timeout=60, what="the overview to name the restore point")
    assert listed[0]["destination_id"] == destination and listed[0]["missing_since"]
    failed = [job for job in _checks(stack) if job["state"] == "failed"]
    assert failed and point in failed[0]["error"] and "vanished" in failed[0]["error"], failed
    assert not [job for job in admin.job_list(all_projects=True) if job["type"] in ("prune", "verify")]
    samples = scrape(stack, TOKEN)
    assert samples["storage_backup_vanished_restore_points"][(("destination", destination),)] == 1
    assert (("destination", destination),) in samples["storage_backup_vanished_check_last_success_timestamp_seconds"]
    # One check at a time for the destination, however short the interval.
    assert len([job for job in _checks(stack) if job["state"] in ("queued", "running")]) <= 1
