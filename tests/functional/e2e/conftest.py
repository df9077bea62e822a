# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""One whole product per test module (``stack``): see ``support.Stack``. A module sets ``STACK_SETTINGS`` (control
plane environment) or ``WORKER_SETTINGS`` (proxy workers) to change a knob for its stack."""
from __future__ import annotations

import pytest

from tests.functional.e2e.support import Stack


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    stack = Stack(str(tmp_path_factory.mktemp("e2e")), settings=getattr(request.module, "STACK_SETTINGS", None),
                  worker_settings=getattr(request.module, "WORKER_SETTINGS", None))
    try:
        yield stack.start()
    finally:
        stack.stop()
