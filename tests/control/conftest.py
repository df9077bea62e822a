# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control plane's tests run Django with ``storage_backup.settings`` (see ``tests/control/plane.py``)."""
import warnings

from tests.control import plane

if plane.other_django_settings():
    warnings.warn(f"tests/control skipped in this run: Django is configured with {plane.other_django_settings()}; "
                  "run `pytest tests/control tests/rest` on their own", stacklevel=1)
    collect_ignore_glob = ["test_*.py"]
else:
    plane.configure()
    from tests.control.fixtures import *  # noqa: F403
