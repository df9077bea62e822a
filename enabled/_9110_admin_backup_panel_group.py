# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

# The "Backup" panel group in the Admin dashboard (the app and exceptions come with the Project group's file).
PANEL_GROUP = 'backup'
PANEL_GROUP_NAME = _('Backup')
PANEL_GROUP_DASHBOARD = 'admin'
