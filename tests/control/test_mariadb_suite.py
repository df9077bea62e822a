# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The catalog-heavy part of the suite again on a real, private MariaDB (``STORAGE_BACKUP_TEST_DATABASE=mariadb``),
in a child pytest, when this run is not on MariaDB already (see ``tests/control/catalog_subset.py``).

The server is the tests' own (mariadb-install-db + mariadbd in a temp dir, a free loopback port), never the one a
machine may run on 3306."""
from __future__ import annotations

import pytest

from tests.control import catalog_subset


@pytest.mark.slow
def test_catalog_suite_on_mariadb():
    catalog_subset.run_on("mariadb")
