# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.translation import gettext_lazy as _

from storage_backup_dashboard import exceptions

# The "Backup" panel group in the Project dashboard; it brings the plugin's Django app, its exceptions, and the
# script and styles of its pages (live schedule preview, restore review, progress cells).
PANEL_GROUP = 'backup'
PANEL_GROUP_NAME = _('Backup')
PANEL_GROUP_DASHBOARD = 'project'

ADD_INSTALLED_APPS = ['storage_backup_dashboard']
ADD_EXCEPTIONS = {
    'recoverable': exceptions.RECOVERABLE,
    'not_found': exceptions.NOT_FOUND,
    'unauthorized': exceptions.UNAUTHORIZED,
}
ADD_JS_FILES = ['storage_backup/js/storage_backup.js']
ADD_SCSS_FILES = ['storage_backup/scss/storage_backup.scss']
