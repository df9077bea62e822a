# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The plugin's one door to the cloud and to the backup service.

Views, tables, forms and workflows call ``api.<module>.<noun>_<verb>(request, ...)`` and get wrapped objects back;
they never import ``backend`` or build a client themselves. Unit tests mock exactly these functions.
"""
from storage_backup_dashboard.api import backup

__all__ = ["backup"]
