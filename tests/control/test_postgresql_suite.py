"""The catalog-heavy part of the suite again on a real PostgreSQL (``STORAGE_BACKUP_TEST_DATABASE=postgresql``),
in a child pytest, when this run is on SQLite: production runs on PostgreSQL or MariaDB, not SQLite.

The whole suite on PostgreSQL: ``STORAGE_BACKUP_TEST_DATABASE=postgresql pytest tests/control tests/rest``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from backend.launch import REPO_ROOT

SUBSET = ["tests/control/test_catalog_db.py", "tests/control/test_catalog_rebuild.py",
          "tests/control/test_retention_enforcement.py", "tests/rest/test_api_basics.py",
          "tests/rest/test_tenancy_matrix.py", "tests/control/test_jobs.py"]


@pytest.mark.slow
def test_catalog_suite_on_postgresql():
    if os.environ.get("STORAGE_BACKUP_TEST_DATABASE", "").lower() in ("postgresql", "postgres", "pg"):
        pytest.skip("this whole run is on PostgreSQL already")
    env = dict(os.environ, STORAGE_BACKUP_TEST_DATABASE="postgresql")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:warnings", "-p", "no:cacheprovider",
                             *SUBSET], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, f"on PostgreSQL: {summary}\n{result.stdout[-6000:]}"
    assert re.search(r"\d+ passed", summary) and "failed" not in summary, summary
