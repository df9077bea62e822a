# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Notifications' unit tests: Django with ``storage_backup.settings`` and a migrated catalog in this process
(``tests/support/plane.py``), nothing else."""
from tests.support import plane

plane.configure()
from tests.support.control_fixtures import catalog_access  # noqa: E402, F401
