# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# storage-backup-dashboard: Horizon settings of the plugin.
#
# Copy this file into openstack_dashboard/local/local_settings.d/ of the Horizon that runs the plugin. Horizon
# executes it over its settings, after local_settings.py.
import os as _os

import storage_backup_dashboard as _plugin

_CONF_DIR = _os.path.join(_os.path.dirname(_os.path.abspath(_plugin.__file__)), "conf")

# The plugin's own policy scope: what its panels and actions require. The defaults are the backup service's own
# rules (default_policies/storage_backup.yaml, generated from them); the operator's file lists them all commented
# out. Horizon only hides what a rule denies: the service checks every call again with its own policy.yaml
# (STORAGE_BACKUP_POLICY_FILE), so give both the same overrides.
POLICY_FILES["storage_backup"] = _os.path.join(_CONF_DIR, "storage_backup_policy.yaml")  # noqa: F821
DEFAULT_POLICY_FILES["storage_backup"] = _os.path.join(_CONF_DIR, "default_policies", "storage_backup.yaml")  # noqa: F821

# False keeps the plugin installed but its panels hidden (e.g. until the backup service is deployed).
STORAGE_BACKUP_ENABLED = True
