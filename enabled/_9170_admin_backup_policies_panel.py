PANEL = 'backup_policies'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'backup'
ADD_PANEL = 'storage_backup_dashboard.dashboards.admin.backup_policies.panel.AllBackupPolicies'
