# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The REST client of the backup service, as the plugin has always imported it.

It lives in ``storage_backup_client`` (distribution ``storage-backup-client``, ``client/``), which the ``openstack``
CLI plugin shares with Horizon's: operators install that alone on the hosts where they run ``openstack``.
"""
from storage_backup_client.client import (
    DEFAULT_PAGE_SIZE,
    ITERATE_PAGE_SIZE,
    SERVICE_TYPE,
    BackupApiError,
    BackupClient,
    Page,
    query,
)

__all__ = ["DEFAULT_PAGE_SIZE", "ITERATE_PAGE_SIZE", "SERVICE_TYPE", "BackupApiError", "BackupClient", "Page", "query"]
