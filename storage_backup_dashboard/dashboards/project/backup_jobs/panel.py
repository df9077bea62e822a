# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import BackupPanel


class BackupJobs(BackupPanel):
    """Project -> Backup -> Jobs: running and past backups and restores, with their live progress."""

    name = _("Jobs")
    slug = "backup_jobs"
    policy_rules = (("storage_backup", "storage_backup:job:list"),)
