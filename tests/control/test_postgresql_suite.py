# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The catalog-heavy part of the suite again on a real, private PostgreSQL
(``STORAGE_BACKUP_TEST_DATABASE=postgresql``), in a child pytest, when this run is not on PostgreSQL already
(see ``tests/control/catalog_subset.py``)."""
from __future__ import annotations

import pytest

from tests.control import catalog_subset


@pytest.mark.slow
def test_catalog_suite_on_postgresql():
    catalog_subset.run_on("postgresql")
