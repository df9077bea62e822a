# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import AdminBackupPanel


class AllBackupPolicies(AdminBackupPanel):
    """Admin -> Backup -> Policies: shared policies the administrators publish, and every project's."""

    name = _("Policies")
    slug = "backup_policies"
    policy_rules = (("storage_backup", "storage_backup:policy:list_all"),)
