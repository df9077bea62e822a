# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import BackupPanel


class RestorePoints(BackupPanel):
    """Project -> Backup -> Restore Points: what the project can restore, per instance and overall."""

    name = _("Restore Points")
    slug = "restore_points"
    policy_rules = (("storage_backup", "storage_backup:restore_point:list"),)
