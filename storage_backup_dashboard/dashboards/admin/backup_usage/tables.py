# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables

from storage_backup_dashboard.common import formatting
from storage_backup_dashboard.common import tables as backup_tables


def _limit(row, name):
    limit = (row.quota or {}).get(name)
    if limit is None:
        return _("Unlimited")
    return formatting.size(limit) if name == "stored_bytes" else limit


class DownloadCsv(tables.LinkAction):
    name = "csv"
    verbose_name = _("Download CSV Summary")
    icon = "download"
    policy_rules = (("storage_backup", "storage_backup:usage:list_all"),)

    def get_link_url(self, datum=None):
        return reverse("horizon:admin:backup_usage:csv")


class EditQuota(tables.LinkAction):
    """A project's quotas; from the table's actions, any project's (one without usage yet has no row)."""

    name = "quota"
    verbose_name = _("Edit Quotas")
    classes = ("ajax-modal",)
    icon = "pencil"
    policy_rules = (("storage_backup", "storage_backup:quota:update"),)

    def get_link_url(self, datum=None):
        if datum is None:
            return reverse("horizon:admin:backup_usage:quotas")
        return reverse("horizon:admin:backup_usage:quota", args=[datum.project_id])


class UsageTable(backup_tables.PageMenuTable):
    project = tables.Column(lambda row: row.project_name or row.project_id, verbose_name=_("Project"))
    project_id = tables.Column("project_id", verbose_name=_("Project ID"))
    protected_instances = tables.Column("protected_instances", verbose_name=_("Protected Instances"))
    restore_points = tables.Column("restore_points", verbose_name=_("Restore Points"))
    stored = tables.Column(lambda row: formatting.size(row.stored_bytes), verbose_name=_("Stored"))
    quota_instances = tables.Column(lambda row: _limit(row, "protected_instances"),
                                    verbose_name=_("Instance Quota"))
    quota_points = tables.Column(lambda row: _limit(row, "restore_points"), verbose_name=_("Restore Point Quota"))
    quota_bytes = tables.Column(lambda row: _limit(row, "stored_bytes"), verbose_name=_("Storage Quota"))

    class Meta:
        name = "usage"
        pagination_param = "page"
        verbose_name = _("Usage")
        table_actions = (EditQuota, DownloadCsv)
        row_actions = (EditQuota,)
