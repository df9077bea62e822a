# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "storage_backup.catalog"
    label = "catalog"
    verbose_name = "Storage backup catalog"
