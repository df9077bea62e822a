# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import AdminBackupPanel


class BackupProxies(AdminBackupPanel):
    """Admin -> Backup -> Proxies: each availability zone's proxy workers and their health."""

    name = _("Proxies")
    slug = "backup_proxies"
    policy_rules = (("storage_backup", "storage_backup:proxy:list"),)
