PANEL = 'protected_instances'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'backup'
ADD_PANEL = 'storage_backup_dashboard.dashboards.project.protected_instances.panel.ProtectedInstances'
