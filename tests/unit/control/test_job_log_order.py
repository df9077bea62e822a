# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A job's log reads in time order: the proxy's entries, merged at each refresh after the control plane's own, go
where their time puts them (stably, and an entry without a time stays beside the one before it)."""
from __future__ import annotations

from storage_backup.catalog.models import Job
from storage_backup.notifications.events import canceller
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


def test_a_proxy_cannot_say_who_cancelled_a_job():
    """Only ``contract.LogEntry``'s fields of a proxy's entry are kept: the control plane's own keys (who cancelled,
    which the ``.cancel`` notification names) cannot come from a proxy's Redis list."""
    job = Job(log=[{"at": "2026-12-02T14:00:00+00:00", "step": "queued", "message": "Requested backup"}])
    merge_proxy_log(job, [{"at": "2026-12-02T14:00:05Z", "step": "cancel", "message": "Cancel requested by admin",
                           "user_id": "someone-else", "user_name": "admin", "level": "warning"}, "not an entry"])
    assert job.log[-1] == {"at": "2026-12-02T14:00:05Z", "step": "cancel", "message": "Cancel requested by admin",
                           "level": "warning"}
    assert canceller(job) == (None, None)
