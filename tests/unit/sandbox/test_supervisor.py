# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The launcher's ``Supervisor``: a process that exits is restarted after a backoff that doubles per quick failure up
to its cap and resets once the process has stayed up; one that fails to come back counts as another failure. The
processes are stand-ins (no process starts in the unit tier); time is the test's."""
from __future__ import annotations

import pytest
from storage_backup_sandbox import launch
from storage_backup_sandbox.launch import Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now


class StandIn:
    """What the supervisor uses of a ``ManagedProcess``."""

    log_path = "/nonexistent.log"

    def __init__(self, fail_starts: int = 0) -> None:
        self.up = True
        self.starts = 0
        self.fail_starts = fail_starts
        self.process = None

    def alive(self) -> bool:
        return self.up

    def start(self):
        self.starts += 1
        if self.fail_starts:
            self.fail_starts -= 1
            raise RuntimeError("did not come up")
        self.up = True
        return self

    def describe(self) -> str:
        return "stand-in"


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(launch.time, "time", clock.time)
    return clock


def test_restart_waits_a_doubling_capped_backoff(clock):
    process, said = StandIn(), []
    supervisor = Supervisor([process], base_delay=1, max_delay=4, stable_after=30, log=said.append)
    waits = []
    for _ in range(5):
        process.up = False
        assert supervisor.check() == []  # noticed, not restarted yet
        due = supervisor._due[id(process)] - clock.now
        waits.append(due)
        clock.now += due - 0.01
        assert supervisor.check() == []
        clock.now += 0.02
        assert supervisor.check() == [process]
        clock.now += 1  # up for a second: not long enough to count as recovered
    assert waits == [1, 2, 4, 4, 4]
    assert supervisor.restart_count(process) == 5 and process.starts == 5
    assert any("exited" in line for line in said) and any("restarted" in line for line in said)


def test_the_backoff_resets_once_the_process_stayed_up(clock):
    process = StandIn()
    supervisor = Supervisor([process], base_delay=1, max_delay=8, stable_after=10, log=lambda _: None)
    for _ in range(3):
        process.up = False
        supervisor.check()
        clock.now += 10
        supervisor.check()
    clock.now += 11
    supervisor.check()  # up for longer than stable_after
    process.up = False
    supervisor.check()
    assert supervisor._due[id(process)] - clock.now == 1


def test_a_process_that_does_not_come_back_counts_as_another_failure(clock):
    process = StandIn(fail_starts=1)
    supervisor = Supervisor([process], base_delay=1, max_delay=8, stable_after=10, log=lambda _: None)
    process.up = False
    supervisor.check()
    clock.now += 1
    assert supervisor.check() == []  # its start failed
    assert supervisor.check() == []
    assert supervisor._due[id(process)] - clock.now == 2  # the second failure waits twice as long
    clock.now += 2
    assert supervisor.check() == [process]


def test_a_forgotten_process_is_left_alone(clock):
    process = StandIn()
    supervisor = Supervisor([process], base_delay=1, log=lambda _: None)
    supervisor.forget(process)
    process.up = False
    clock.now += 100
    assert supervisor.check() == [] and process.starts == 0
