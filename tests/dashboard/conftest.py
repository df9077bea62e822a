# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The plugin's unit tests run in a Django configured with Horizon's test settings plus the plugin.

pytest-django sets Django up from ``--ds`` (``tox`` passes ``--ds tests.dashboard.settings``); a bare
``pytest tests/dashboard`` gets the same settings from here. One process holds one Django configuration, so when
another one owns the process (the control plane's ``storage_backup.settings``), these tests are left to their own run.
"""
import os
import warnings

SETTINGS = "tests.dashboard.settings"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
if os.environ["DJANGO_SETTINGS_MODULE"] != SETTINGS:
    warnings.warn(f"tests/dashboard skipped in this run: Django is configured with "
                  f"{os.environ['DJANGO_SETTINGS_MODULE']}; run `pytest tests/dashboard --ds {SETTINGS}`",
                  stacklevel=1)
    collect_ignore_glob = ["test_*.py"]
else:
    import django
    from django.apps import apps

    if not apps.ready:  # pytest-django only sets Django up by itself when given --ds
        django.setup()


def pytest_configure(config):
    # Horizon's test helpers mark their browser tests with it; --strict-markers wants every marker declared.
    config.addinivalue_line("markers", "selenium: Horizon's own Selenium tests (unused here)")
    config.addinivalue_line("markers", "plugin_test: Horizon's plugin test base class")
