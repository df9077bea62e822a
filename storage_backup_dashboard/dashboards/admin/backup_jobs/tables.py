# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common import tables as backup_tables
from storage_backup_dashboard.dashboards.admin.project_column import name_destinations, name_projects, project_column
from storage_backup_dashboard.dashboards.project.backup_jobs import tables as project_tables


class AllJobsFilter(backup_tables.ServerFilterAction):
    filter_choices = (("project", _("Project ="), True),) + project_tables.JobsFilter.filter_choices


class AllJobsRow(project_tables.JobRow):
    def get_data(self, request, job_id):
        return name_destinations(request, name_projects(request, [super().get_data(request, job_id)]))[0]


class AllJobsTable(project_tables.JobsTable):
    # A job of no project is the system's own (retention, prune, lock maintenance of a shared destination).
    project = project_column(no_project=_("(all projects)"))
    instance = project_tables.tables.WrappingColumn(
        "name", link=lambda job: reverse("horizon:admin:backup_jobs:detail", args=[job.id]),
        verbose_name=_("Instance"))

    class Meta(project_tables.JobsTable.Meta):
        name = "all_jobs"
        verbose_name = _("All Jobs")
        columns = ("project", "instance", "type", "state", "progress", "created_at", "duration", "message")
        table_actions = (AllJobsFilter, project_tables.ToggleFileListings, project_tables.CancelJob)
        row_class = AllJobsRow
