# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A job's log reads in time order: the proxy's entries, merged at each refresh after the control plane's own, go
where their time puts them (stably, and an entry without a time stays beside the one before it)."""
from __future__ import annotations

from storage_backup.catalog.models import Job
from storage_backup.services.tracking import in_time_order, merge_proxy_log


def test_proxy_entries_merge_into_time_order():
    job = Job(log=[{"at": "2026-12-02T14:00:00+00:00", "step": "queued", "message": "Requested restore"},
                   {"at": "2026-12-02T14:00:09+00:00", "step": "running", "message": "Started on proxy.nova"}])
    merge_proxy_log(job, [{"at": "2026-12-02T14:00:05Z", "step": "create", "message": "Creating 2 GiB"},
                          {"at": "2026-12-02T14:00:20Z", "step": "write", "message": "Writing"}])
    assert [entry["step"] for entry in job.log] == ["queued", "create", "running", "write"]
    # merging the same entries again adds nothing and keeps the order
    merge_proxy_log(job, [{"at": "2026-12-02T14:00:05Z", "step": "create", "message": "Creating 2 GiB"}])
    assert [entry["step"] for entry in job.log] == ["queued", "create", "running", "write"]


def test_equal_times_keep_their_order_and_timeless_entries_stay_put():
    entries = [{"at": "2026-12-02T14:00:10+00:00", "step": "b", "message": ""},
               {"at": None, "step": "b2", "message": ""},
               {"at": "2026-12-02T14:00:10+00:00", "step": "c", "message": ""},
               {"at": "2026-12-02T14:00:01+00:00", "step": "a", "message": ""}]
    assert [entry["step"] for entry in in_time_order(entries)] == ["a", "b", "b2", "c"]
