# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import BackupPanel


class Webhooks(BackupPanel):
    """Project -> Backup -> Webhooks: the URLs told about the project's jobs, each call signed with its secret."""

    name = _("Webhooks")
    slug = "backup_webhooks"
    policy_rules = (("storage_backup", "storage_backup:webhook:list"),)
