# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import AdminBackupPanel


class BackupDestinations(AdminBackupPanel):
    """Admin -> Backup -> Destinations: the repositories, their immutability and capacity."""

    name = _("Destinations")
    slug = "backup_destinations"
    policy_rules = (("storage_backup", "storage_backup:destination:list"),)
