# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The workload wheels, built once per session from this repository exactly as ``tools/charms/build_wheels.py``
builds them for ``charmcraft pack``; ``charm_testing`` (beside this file) importable from every charm's tests."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from charm_testing import build_wheels


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory) -> str:
    """A folder per charm with its workload (wheel and units): the one the tier built first
    (``STORAGE_BACKUP_CHARM_WHEELS``, tox.ini), else built here once for the session."""
    prebuilt = os.environ.get("STORAGE_BACKUP_CHARM_WHEELS")
    if prebuilt:
        return prebuilt
    out = str(tmp_path_factory.mktemp("workloads"))
    build_wheels.build_all(list(build_wheels.CHARM_DISTRIBUTIONS), out)
    return out
