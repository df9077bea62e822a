# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables

from storage_backup_dashboard.common import tables as backup_tables
from storage_backup_dashboard.dashboards.admin.project_column import project_column
from storage_backup_dashboard.dashboards.project.backup_policies import tables as project_tables


class AllPoliciesFilter(backup_tables.ServerFilterAction):
    filter_choices = (("name", _("Name ="), True), ("project", _("Project ="), True),
                      ("shared", _("Shared (yes, no) ="), True))


class CreateSharedPolicy(project_tables.CreatePolicy):
    verbose_name = _("Publish Policy")
    url = "horizon:admin:backup_policies:create"
    policy_rules = (("storage_backup", "storage_backup:policy:create_shared"),)


class EditAnyPolicy(project_tables.EditPolicy):
    url = "horizon:admin:backup_policies:update"


class AllPoliciesTable(project_tables.PoliciesTable):
    project = project_column(_("Project (empty: shared)"))
    name = tables.WrappingColumn("name", link=lambda policy: reverse("horizon:admin:backup_policies:detail",
                                                                     args=[policy.id]), verbose_name=_("Name"))

    class Meta(project_tables.PoliciesTable.Meta):
        name = "all_policies"
        verbose_name = _("Policies")
        columns = ("name", "project", "scope", "schedule", "next_run", "strategy", "retention", "lock",
                   "destination", "enabled")
        table_actions = (AllPoliciesFilter, CreateSharedPolicy, project_tables.DeletePolicy)
        row_actions = (EditAnyPolicy, project_tables.DeletePolicy)
