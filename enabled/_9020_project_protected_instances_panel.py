# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
PANEL = 'protected_instances'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'backup'
ADD_PANEL = 'storage_backup_dashboard.dashboards.project.protected_instances.panel.ProtectedInstances'
