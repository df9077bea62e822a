# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import BackupPanel


class BackupPolicies(BackupPanel):
    """Project -> Backup -> Policies: schedules, retention, destination and commands the instances follow."""

    name = _("Policies")
    slug = "backup_policies"
    policy_rules = (("storage_backup", "storage_backup:policy:list"),)
