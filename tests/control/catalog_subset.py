# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The catalog-heavy part of the suite, run again in a child pytest on a real database server that the child starts
itself (``tests/control/plane.py``): production runs the catalog on PostgreSQL or MariaDB, not SQLite.

``test_postgresql_suite.py`` and ``test_mariadb_suite.py`` call ``run_on``; the whole suite on one of them:
``STORAGE_BACKUP_TEST_DATABASE=postgresql pytest tests/control tests/rest`` (or ``=mariadb``).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from storage_backup_sandbox.launch import REPO_ROOT

from tests.control.plane import selected_database

SUBSET = ["tests/control/test_catalog_db.py", "tests/control/test_catalog_rebuild.py",
          "tests/control/test_retention_enforcement.py", "tests/rest/test_api_basics.py",
          "tests/rest/test_tenancy_matrix.py", "tests/control/test_jobs.py"]


def run_on(database: str, timeout: float = 900) -> str:
    """Run ``SUBSET`` with ``STORAGE_BACKUP_TEST_DATABASE=database``; assert it passed; return pytest's summary."""
    if selected_database() == database:
        pytest.skip(f"this whole run is on {database} already")
    env = dict(os.environ, STORAGE_BACKUP_TEST_DATABASE=database)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:warnings", "-p", "no:cacheprovider",
                             *SUBSET], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, f"on {database}: {summary}\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert re.search(r"\d+ passed", summary) and "failed" not in summary, summary
    return summary
