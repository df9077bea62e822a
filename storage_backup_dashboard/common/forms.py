# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Form helpers: the backup service's refusals shown where the user can fix them."""
from __future__ import annotations

from storage_backup_dashboard import exceptions


class ServiceFieldErrorsMixin:
    """For a ``SelfHandlingForm``: a 400 naming a field becomes that field's error; other refusals (403 role,
    409 state, 413 quota) the form's own error, in the service's words, so the dialog stays open to fix them."""

    def show_service_error(self, error: Exception, field_map: dict | None = None) -> bool:
        if not isinstance(error, exceptions.BackupRequestRefused):
            return False
        field_name = (field_map or {}).get((error.field or "").split(".")[0], None)
        if error.field and field_name in self.fields:
            self.add_error(field_name, error.message)
        else:
            self.api_error(error.message)
        return True
