# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import AdminBackupPanel


class BackupUsage(AdminBackupPanel):
    """Admin -> Backup -> Usage: per project protected instances and stored bytes, as CSV for chargeback."""

    name = _("Usage")
    slug = "backup_usage"
    policy_rules = (("storage_backup", "storage_backup:usage:list_all"),)
