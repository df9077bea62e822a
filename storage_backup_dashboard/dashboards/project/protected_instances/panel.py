# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard.common.panels import BackupPanel


class ProtectedInstances(BackupPanel):
    """Project -> Backup -> Protected Instances: every instance of the project and how it is protected."""

    name = _("Protected Instances")
    slug = "protected_instances"
    permissions = ("openstack.services.compute", *BackupPanel.permissions)
    policy_rules = (("storage_backup", "storage_backup:protected_instance:list"),)
