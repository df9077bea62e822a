# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import AdminBackupPanel


class BackupOverview(AdminBackupPanel):
    """Admin -> Backup -> Overview: coverage, job outcomes, stored bytes, data reduction, what needs attention."""

    name = _("Overview")
    slug = "backup_overview"
    policy_rules = (("storage_backup", "storage_backup:admin:overview"),)
