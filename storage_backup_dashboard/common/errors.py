# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``exceptions.handle`` with the backup service's own words in the message itself.

Horizon shows the exception's text behind a "Details" link; when the backup service refused or failed, its message
says what to do ("Policy … still protects 2 instance(s); move them to another policy first"), so it belongs in the
message the user reads, after the view's "Unable to …".
"""
from __future__ import annotations

import sys

from horizon import exceptions

from storage_backup_dashboard.exceptions import BackupServiceError


def handle(request, message=None, **kwargs):
    error = sys.exc_info()[1]
    if isinstance(error, BackupServiceError) and message:
        message = f"{message} {error.message}"
        kwargs.setdefault("details", "")
    return exceptions.handle(request, message, **kwargs)
