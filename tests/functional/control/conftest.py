# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control plane's functional tests: Django with ``storage_backup.settings`` (``tests/support/plane.py``) and
the real processes of ``tests/support/control_fixtures.py``."""
from tests.support import plane

plane.configure()
from tests.support.control_fixtures import *  # noqa: E402, F403
