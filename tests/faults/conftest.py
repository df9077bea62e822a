# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The fault matrix's shared stack: one whole product for the tier (see ``matrix.py``), its bounds in seconds.

Every bound the product has for noticing trouble is a setting (``STORAGE_BACKUP_*``); here they are seconds, so a
drill that waits for the product to notice a dead worker or a lost message waits seconds, not the production
minutes. Each drill uses instances of its own, so one drill's failure cannot block another's instance.
"""
from __future__ import annotations

import pytest
from storage_backup_sandbox.launch import Supervisor

from tests.faults.matrix import Drill, write_results
from tests.functional.e2e.support import Stack

# Supervised, as under systemd and in the demo: a worker that loses Redis while idle exits and is started clean.
SUPERVISED = {"STORAGE_BACKUP_EXIT_ON_BROKER_LOSS": "1"}
# The control plane's bounds, in seconds (production defaults in backend/storage_backup/settings.py).
MATRIX_SETTINGS = {
    **SUPERVISED,
    "STORAGE_BACKUP_JOB_MISSING_GRACE": "3",
    "STORAGE_BACKUP_JOB_UNACKED_AFTER": "10",
    "STORAGE_BACKUP_SWEEPER_SECONDS": "1",
    "STORAGE_BACKUP_SWEEPER_GRACE": "0",
    "STORAGE_BACKUP_SWEEPER_STUCK_AFTER": "3",
    "STORAGE_BACKUP_SWEEPER_WAIT": "5",
    "STORAGE_BACKUP_PROXY_DOWN_AFTER": "6",
    "STORAGE_BACKUP_JOB_ALIVE_GRACE": "4",
    "STORAGE_BACKUP_RETRY_BACKOFF": "0.5",
}
# The proxy workers': liveness refreshed every second; waits that a fault makes endless end in seconds.
MATRIX_WORKER_SETTINGS = {
    **SUPERVISED,
    "STORAGE_BACKUP_JOB_ALIVE_SECONDS": "1",
    "STORAGE_BACKUP_TIMEOUT_ATTACH": "6",
    "STORAGE_BACKUP_TIMEOUT_DETACH": "6",
}
_drills: list[Drill] = []


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("faults")), settings=MATRIX_SETTINGS,
                  worker_settings=MATRIX_WORKER_SETTINGS)
    try:
        stack.start()
        # What restarts a process that exits, as systemd would (a drill that replaces a worker tells it).
        stack.supervisor = Supervisor([stack.redis, *stack.workers.values(), stack.data_worker,
                                       *stack.control_processes], base_delay=0.5, max_delay=4, stable_after=5)
        stack.supervisor.start(interval=0.2)
        yield room_for_drills(stack)
    finally:
        if getattr(stack, "supervisor", None) is not None:
            stack.supervisor.stop()
        stack.stop()


def room_for_drills(stack: Stack) -> Stack:
    """Every drill makes instances of its own: the demo project gets the quota for them."""
    from tests.support.instances import raise_volume_quota

    raise_volume_quota(stack.handle.session("admin"), stack.project_id("demo-member"))
    return stack


@pytest.fixture
def drill(request, stack):
    """The drill of this test: ``@pytest.mark.fault("what is done", "what the product should do")``."""
    marker = request.node.get_closest_marker("fault")
    assert marker is not None, "a fault-matrix test names its fault: @pytest.mark.fault(fault, expected)"
    record = Drill(case=request.node.name, fault=marker.args[0], expected=marker.args[1])
    _drills.append(record)
    yield record
    stack.clear_faults()


def pytest_sessionfinish(session, exitstatus):
    if _drills:
        write_results(_drills)
