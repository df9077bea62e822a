# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.dashboards.admin import project_column
from storage_backup_dashboard.dashboards.admin.backup_policies import tables as admin_tables
from storage_backup_dashboard.dashboards.admin.backup_policies import workflows as admin_workflows
from storage_backup_dashboard.dashboards.project.backup_policies import views as project_views


class IndexView(project_views.IndexView):
    table_class = admin_tables.AllPoliciesTable
    all_projects = True

    def translate_filters(self, filters: dict) -> dict:
        shared = (filters.get("shared") or "").strip().lower()
        if shared:
            filters["shared"] = "true" if shared in ("yes", "true", "1", str(_("yes")).lower()) else "false"
        return project_column.project_filter(self.request, filters)

    def get_data(self):
        return project_column.name_projects(self.request, super().get_data())


class DetailView(project_views.DetailView):
    index_url = "horizon:admin:backup_policies:index"


class CreateView(project_views.CreateView):
    workflow_class = admin_workflows.CreateSharedPolicy


class UpdateView(project_views.UpdateView):
    workflow_class = admin_workflows.UpdateAnyPolicy
    index_url = "horizon:admin:backup_policies:index"
