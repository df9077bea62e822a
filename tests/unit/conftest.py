# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The unit tier: tests of one function or module in this process. None starts a process (server, worker,
command); one that tries fails with ``ProcessInUnitTier`` and belongs in ``tests/functional``."""
from __future__ import annotations

import pytest

from tests.support.tier_guards import refuse_processes


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch):
    refuse_processes(monkeypatch)


def _no_shared_service(name: str):
    @pytest.fixture(scope="session", name=name)
    def refused():
        raise pytest.UsageError(f"unit tests use no {name}: a test that needs it belongs in tests/functional")

    return refused


# The shared process fixtures of tests/conftest.py, refused here before they could start anything.
redis_server = _no_shared_service("redis_server")
sandbox = _no_shared_service("sandbox")
demo_sandbox = _no_shared_service("demo_sandbox")
