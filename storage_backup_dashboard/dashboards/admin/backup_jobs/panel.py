# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import AdminBackupPanel


class AllBackupJobs(AdminBackupPanel):
    """Admin -> Backup -> All Jobs: every project's jobs."""

    name = _("All Jobs")
    slug = "backup_jobs"
    policy_rules = (("storage_backup", "storage_backup:job:list_all"),)
