# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Django settings of the plugin's unit tests: Horizon's own test settings with the plugin merged in.

Merged the way an operator installs it: the enabled files are seen as part of ``openstack_dashboard.local.enabled``
and the plugin's ``local_settings.d`` snippet runs over these settings (it registers the policy scope).
"""
import os

import openstack_dashboard.enabled
from openstack_dashboard.local import enabled as local_enabled
from openstack_dashboard.test.settings import *  # noqa: F403
from openstack_dashboard.utils import settings as settings_utils

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

_enabled_dir = os.path.join(REPO_ROOT, "enabled")
if _enabled_dir not in local_enabled.__path__:
    local_enabled.__path__.append(_enabled_dir)

# Horizon's test settings already merged openstack_dashboard.enabled into INSTALLED_APPS; merge again with the
# plugin and add only the apps that are new (Django refuses an app listed twice).
_apps: list = []
for _key in ("dashboards", "default_dashboard"):  # recomputed from the enabled files below
    HORIZON_CONFIG.pop(_key, None)  # noqa: F405
settings_utils.update_dashboards([openstack_dashboard.enabled, local_enabled], HORIZON_CONFIG, _apps)  # noqa: F405
INSTALLED_APPS = [app for app in _apps if app not in INSTALLED_APPS] + list(INSTALLED_APPS)  # noqa: F405

_snippet_dir = os.path.join(REPO_ROOT, "storage_backup_dashboard", "local_settings.d")
for _name in sorted(os.listdir(_snippet_dir)):
    if _name.endswith(".py"):
        with open(os.path.join(_snippet_dir, _name), encoding="utf-8") as _snippet:
            exec(compile(_snippet.read(), _snippet.name, "exec"))
