# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.dashboards.admin import project_column
from storage_backup_dashboard.dashboards.admin.restore_points import tables as admin_tables
from storage_backup_dashboard.dashboards.project.restore_points import tables as project_tables
from storage_backup_dashboard.dashboards.project.restore_points import views as project_views


class IndexView(project_views.IndexView):
    table_class = admin_tables.AllRestorePointsTable
    template_name = "horizon/common/_data_table_view.html"
    page_title = _("All Restore Points")
    all_projects = True

    def translate_filters(self, filters: dict) -> dict:
        return project_column.project_filter(self.request, super().translate_filters(filters))

    def get_data(self):
        return project_column.name_projects(self.request, super().get_data())


class DetailView(project_views.DetailView):
    index_url = "horizon:admin:restore_points:index"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = admin_tables.AllRestorePointsTable(self.request)
        context["actions"] = table.render_row_actions(self.get_point())
        return context


__all__ = ["IndexView", "DetailView", "project_tables"]
