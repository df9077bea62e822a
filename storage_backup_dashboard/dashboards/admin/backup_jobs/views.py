# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _
from horizon.utils import memoized

from storage_backup_dashboard.dashboards.admin import project_column
from storage_backup_dashboard.dashboards.admin.backup_jobs import tables as admin_tables
from storage_backup_dashboard.dashboards.project.backup_jobs import views as project_views


class IndexView(project_views.IndexView):
    table_class = admin_tables.AllJobsTable
    page_title = _("All Jobs")
    all_projects = True

    def translate_filters(self, filters: dict) -> dict:
        return project_column.project_filter(self.request, super().translate_filters(filters))

    def get_data(self):
        return project_column.name_destinations(self.request,
                                                project_column.name_projects(self.request, super().get_data()))


class DetailView(project_views.DetailView):
    index_url = "horizon:admin:backup_jobs:index"

    @memoized.memoized_method
    def get_job(self):
        return project_column.name_destinations(self.request, [super().get_job()])[0]
