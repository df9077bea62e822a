# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import AdminBackupPanel


class AllRestorePoints(AdminBackupPanel):
    """Admin -> Backup -> All Restore Points: every project's restore points."""

    name = _("All Restore Points")
    slug = "restore_points"
    policy_rules = (("storage_backup", "storage_backup:restore_point:list_all"),)
