# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What every Backup panel shares: it needs the backup service in the user's catalog and the plugin switched on."""
from __future__ import annotations

import horizon
from django.conf import settings

SERVICE_PERMISSION = "openstack.services.data-protection"


class BackupPanel(horizon.Panel):
    """A panel of the Backup groups: hidden unless the catalog has ``data-protection`` (``permissions``) and the
    operator left ``STORAGE_BACKUP_ENABLED`` on (``can_register``)."""

    permissions = (SERVICE_PERMISSION,)

    @staticmethod
    def can_register() -> bool:
        # An operator can install the plugin and keep its panels hidden until the backup service is deployed.
        return getattr(settings, "STORAGE_BACKUP_ENABLED", True)


class AdminBackupPanel(BackupPanel):
    permissions = ("openstack.roles.admin", SERVICE_PERMISSION)
