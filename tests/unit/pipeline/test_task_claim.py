# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``storage_backup.proxy.runtime.claim``: a task runs its job only when the job is not cancelled, the task is the
job's current attempt (or the control plane set none: a Redis that lost its data lost the old messages too), and no
other task runs the job. Redis is a dict here (one function under test)."""
from __future__ import annotations

import pytest
from storage_backup.contract import FailureCode, TaskFailed, alive_key, attempt_key, cancel_key
from storage_backup.proxy import runtime


class Store:
    def __init__(self, **values: str) -> None:
        self.values = {key: value.encode() for key, value in values.items()}

    def exists(self, key: str) -> int:
        return int(key in self.values)

    def get(self, key: str):
        return self.values.get(key)

    def set(self, key: str, value: str, nx: bool = False, px: int | None = None, ex: int | None = None):
        if nx and key in self.values:
            return None
        self.values[key] = value.encode()
        return True


def claim(monkeypatch, store: Store, task_id: str = "job-1.2") -> Store:
    monkeypatch.setattr(runtime, "redis_client", lambda: store)
    runtime.claim("job-1", task_id)
    return store


def refused(monkeypatch, store: Store, task_id: str = "job-1.2") -> str:
    with pytest.raises(TaskFailed) as failed:
        claim(monkeypatch, store, task_id)
    return failed.value.args[0]["code"], failed.value.args[0]["message"]


def test_the_current_attempt_runs_and_holds_the_liveness_key(monkeypatch):
    store = claim(monkeypatch, Store(**{attempt_key("job-1"): "job-1.2"}))
    assert store.get(alive_key("job-1")) == b"job-1.2"


def test_no_attempt_key_runs(monkeypatch):  # Redis lost its data: the messages went with it
    assert claim(monkeypatch, Store()).get(alive_key("job-1")) == b"job-1.2"


def test_a_cancelled_job_does_nothing(monkeypatch):
    code, message = refused(monkeypatch, Store(**{cancel_key("job-1"): "1", attempt_key("job-1"): "job-1.2"}))
    assert code == FailureCode.CANCELLED and "before it started" in message


@pytest.mark.parametrize("current", ["job-1.3", "none"])
def test_a_stale_message_is_dropped(monkeypatch, current):
    code, message = refused(monkeypatch, Store(**{attempt_key("job-1"): current}))
    assert code == FailureCode.SUPERSEDED and "stale" in message


def test_a_job_running_as_another_task_is_not_run_beside_it(monkeypatch):
    code, message = refused(monkeypatch, Store(**{alive_key("job-1"): "job-1"}))
    assert code == FailureCode.SUPERSEDED and "already running as task job-1" in message


def test_the_liveness_key_of_an_ended_attempt_does_not_hold_the_next(monkeypatch):
    store = claim(monkeypatch, Store(**{alive_key("job-1"): runtime.DONE_PREFIX + "job-1"}))
    assert store.get(alive_key("job-1")) == b"job-1.2"
