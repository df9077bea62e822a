# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Table action helpers: a refusal of the backup service reaches the user in the service's own words."""
from __future__ import annotations

from collections.abc import Callable

from storage_backup_dashboard.common import errors


def run(request, call: Callable[[], object], message: str):
    """Run ``call``; on failure show ``message`` with the service's reason and tell the batch action it is handled
    (so Horizon does not replace the reason with its generic "Unable to ...")."""
    try:
        return call()
    except Exception:
        errors.handle(request, message, escalate=True)
