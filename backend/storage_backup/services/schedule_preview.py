# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The next runs of a schedule, as a policy form previews them while the user types the cron expression."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from storage_backup.policies import backup_policies as rules
from storage_backup.services import schedule
from storage_backup.services.context import Caller, authorize
from storage_backup.services.errors import ValidationFailed

MAX_RUNS = 20


def _time(value: str | None, field: str) -> dt.time | None:
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(field, f"{value!r} is not a time of day such as 22:00") from None


def next_runs(expression: str, zone: str = "UTC", window_start: str | None = None, window_end: str | None = None,
              count: int = 5, now: dt.datetime | None = None) -> list[dt.datetime]:
    """Up to ``count`` fire times within the next year, inside the window, validated as a policy would be (a
    schedule or a window with no run is a 400 naming the field, never a long search)."""
    start, end = _time(window_start, "window_start"), _time(window_end, "window_end")
    now = now or timezone.now()
    schedule.check(expression or "", zone, start, end, now)
    if not 1 <= count <= MAX_RUNS:
        raise ValidationFailed("count", f"must be between 1 and {MAX_RUNS}")
    return schedule.next_fires(expression, zone, now, start, end, count)


def preview(caller: Caller, expression: str, zone: str = "UTC", window_start: str | None = None,
            window_end: str | None = None, count: int = 5) -> list[dt.datetime]:
    """``next_runs`` for an API caller (the policy form's preview)."""
    authorize(caller, rules.PREVIEW_SCHEDULE)
    return next_runs(expression, zone, window_start, window_end, count)
