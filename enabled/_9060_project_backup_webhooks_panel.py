# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
PANEL = 'backup_webhooks'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'backup'
ADD_PANEL = 'storage_backup_dashboard.dashboards.project.webhooks.panel.Webhooks'
