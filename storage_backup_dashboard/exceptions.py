# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Errors the plugin's api layer raises, sorted the way Horizon's ``exceptions.handle`` wants them.

The Backup panel groups' enabled files add these to ``HORIZON_CONFIG['exceptions']`` (``ADD_EXCEPTIONS``), so a
failure the user can act on shows the backup service's own words instead of an error page. ``str()`` of each is
that message alone (``exceptions.handle`` appends it to the view's "Unable to ..." sentence).
"""
from __future__ import annotations


class BackupServiceError(Exception):
    """A refusal or failure of the backup service's REST API: its HTTP status, error code, field and message."""

    def __init__(self, message: str, status: int = 500, code: str = "error", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message


class BackupServiceUnavailable(BackupServiceError):
    """The backup service did not answer (or failed on its side); the user may retry later."""


class BackupRequestRefused(BackupServiceError):
    """The service refused the request as asked (400 naming a field, 403 role, 409 state, 413 quota)."""


class BackupNotFound(BackupServiceError):
    """The object is not in the caller's project (deleted, or another project's: the service never tells)."""


class BackupUnauthorized(BackupServiceError):
    """The user's token was refused by the backup service: Horizon logs the user out and asks to log in again."""


RECOVERABLE = (BackupServiceUnavailable, BackupRequestRefused)
NOT_FOUND = (BackupNotFound,)
UNAUTHORIZED = (BackupUnauthorized,)
