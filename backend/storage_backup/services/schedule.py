# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""When a policy is due: cron expressions (croniter) in the policy's time zone, inside its time window."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter


def valid_cron(expression: str) -> bool:
    return bool(expression) and croniter.is_valid(expression) and len(expression.split()) == 5


def valid_timezone(name: str) -> bool:
    if name in ("UTC", "Etc/UTC"):
        return True
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        return False
    return name in available_timezones()


def in_window(local_time: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    """A window ``start``–``end`` in local time; one that ends before it starts crosses midnight."""
    if start is None or end is None:
        return True
    if start <= end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def fire_times(expression: str, timezone: str, after: dt.datetime, until: dt.datetime, limit: int = 1000):
    """Fire times of ``expression`` (local wall clock of ``timezone``) in ``(after, until]``, as aware UTC."""
    zone = ZoneInfo(timezone)
    iterator = croniter(expression, after.astimezone(zone))
    for _ in range(limit):
        fire = iterator.get_next(dt.datetime)
        if fire > until:
            return
        yield fire.astimezone(dt.UTC)


def due_fire(expression: str, timezone: str, last: dt.datetime | None, now: dt.datetime,
             window_start: dt.time | None = None, window_end: dt.time | None = None,
             created: dt.datetime | None = None, catch_up: dt.timedelta = dt.timedelta(hours=1)) -> dt.datetime | None:
    """The latest fire time since ``last`` (or the policy's creation) that is due now and inside the window.

    Several missed fires (the scheduler was down) give one run, not a burst; fires older than ``catch_up`` are
    skipped, so a control plane back after a day does not start yesterday's backups at noon.
    """
    if not valid_cron(expression):
        return None
    since = last or created or now - catch_up
    since = max(since, now - catch_up)
    zone = ZoneInfo(timezone)
    latest = None
    for fire in fire_times(expression, timezone, since, now):
        if in_window(fire.astimezone(zone).time(), window_start, window_end):
            latest = fire
    return latest


def next_fire(expression: str, timezone: str, now: dt.datetime, window_start: dt.time | None = None,
              window_end: dt.time | None = None) -> dt.datetime | None:
    """The next fire after ``now`` inside the window (within a year), for display."""
    if not valid_cron(expression):
        return None
    zone = ZoneInfo(timezone)
    for fire in fire_times(expression, timezone, now, now + dt.timedelta(days=366), limit=100000):
        if in_window(fire.astimezone(zone).time(), window_start, window_end):
            return fire
    return None
