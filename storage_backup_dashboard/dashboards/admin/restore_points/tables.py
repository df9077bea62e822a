# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables

from storage_backup_dashboard.common import tables as backup_tables
from storage_backup_dashboard.dashboards.admin.project_column import project_column
from storage_backup_dashboard.dashboards.project.restore_points import tables as project_tables


class AllRestorePointsFilter(backup_tables.ServerFilterAction):
    filter_choices = (("project", _("Project ="), True),) + project_tables.RestorePointFilter.filter_choices


class VerifyAnyRestorePoint(project_tables.VerifyRestorePoint):
    job_url = "horizon:admin:backup_jobs:detail"


class AllRestorePointsTable(project_tables.RestorePointsTable):
    project = project_column()
    instance = tables.WrappingColumn(
        lambda point: point.instance_name or point.instance_id,
        link=lambda point: reverse("horizon:admin:restore_points:detail", args=[point.id]),
        verbose_name=_("Instance"))

    class Meta(project_tables.RestorePointsTable.Meta):
        name = "all_restore_points"
        verbose_name = _("All Restore Points")
        columns = ("project", "instance", "created_at", "strategy", "consistency", "volumes", "size", "read",
                   "stored", "lock_until", "status")
        table_actions = (AllRestorePointsFilter, project_tables.DeleteRestorePoint)
        # Restores run in the project (its networks, flavors and quotas): administrators verify and delete here.
        row_actions = (VerifyAnyRestorePoint, project_tables.DeleteRestorePoint)
