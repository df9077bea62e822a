# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control plane's unit tests: Django with ``storage_backup.settings`` and a migrated catalog in this process
(``tests/support/plane.py``; SQLite, or the server ``STORAGE_BACKUP_TEST_DATABASE`` names), nothing else."""
from tests.support import plane

plane.configure()
from tests.support.control_fixtures import catalog_access  # noqa: E402, F401
