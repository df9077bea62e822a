# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The plugin's unit tests run in a Django configured with Horizon's test settings plus the plugin.

pytest-django sets Django up from ``--ds`` (``tox`` passes ``--ds tests.dashboard.settings``); a bare
``pytest tests/dashboard`` gets the same settings from here. One process holds one Django configuration: run
under another one (the control plane's ``storage_backup.settings``), these tests refuse to start, loudly.
"""
import os

import pytest

from tests.support.tier_guards import refuse_processes

SETTINGS = "tests.dashboard.settings"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
if os.environ["DJANGO_SETTINGS_MODULE"] != SETTINGS:
    raise RuntimeError(f"Django is configured with {os.environ['DJANGO_SETTINGS_MODULE']} in this process; the "
                       f"plugin's tests need Horizon's: run `pytest tests/dashboard --ds {SETTINGS}` on its own")

import django  # noqa: E402
from django.apps import apps  # noqa: E402

if not apps.ready:  # pytest-django only sets Django up by itself when given --ds
    django.setup()


def pytest_configure(config):
    # Horizon's test helpers mark their browser tests with it; --strict-markers wants every marker declared.
    config.addinivalue_line("markers", "selenium: Horizon's own Selenium tests (unused here)")
    config.addinivalue_line("markers", "plugin_test: Horizon's plugin test base class")


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch):
    """The plugin's tests are unit tests: they start no process (tests/support/tier_guards.py)."""
    refuse_processes(monkeypatch)
