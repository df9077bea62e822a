# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
PANEL = 'backup_destinations'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'backup'
ADD_PANEL = 'storage_backup_dashboard.dashboards.admin.backup_destinations.panel.BackupDestinations'
