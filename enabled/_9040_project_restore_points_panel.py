PANEL = 'restore_points'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'backup'
ADD_PANEL = 'storage_backup_dashboard.dashboards.project.restore_points.panel.RestorePoints'
