# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""When a policy is due: cron expressions (croniter) in the policy's time zone, inside its time window.

Every computation here is bounded. ``check`` refuses, in closed form, a schedule with no future run and a window
that holds none of its fires. The searches skip from one opening (or closing) of the window to the next instead of
walking every fire, so a day costs a step or two whatever the schedule, and each search counts its croniter steps
against ``CONTROL["schedule_max_steps"]``: a policy that would need more fails with an error, it never spins.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadDateError, croniter
from django.conf import settings

from storage_backup.services.errors import ValidationFailed

# How far croniter looks for a date before it says there is none: 29 February comes back within eight years.
MAX_YEARS_BETWEEN_FIRES = 9
# What a policy's next run is looked for within, for display.
DISPLAY_HORIZON = dt.timedelta(days=366)
# One second before an opening, so a fire right at it counts (croniter's next fire is strictly after its start).
BEFORE_OPENING = dt.timedelta(seconds=1)
CRON_HELP = "(minute hour day-of-month month day-of-week)"


class ScheduleError(ValidationFailed):
    """A schedule that cannot run or cannot be computed within the bound, naming the field to change."""


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


class _Steps:
    """The croniter steps one computation has taken, against the hard cap."""

    def __init__(self) -> None:
        self.limit = int(settings.CONTROL["schedule_max_steps"])
        self.taken = 0

    def next(self, expression: str, start: dt.datetime, backwards: bool = False) -> dt.datetime | None:
        """The fire after (or before) ``start``, an aware datetime in the policy's zone; None when there is none."""
        self.taken += 1
        if self.taken > self.limit:
            raise ScheduleError("schedule", f"{expression!r} could not be computed within {self.limit} steps "
                                            "(STORAGE_BACKUP_SCHEDULE_MAX_STEPS); simplify the schedule or its "
                                            "window")
        iterator = croniter(expression, start, max_years_between_matches=MAX_YEARS_BETWEEN_FIRES)
        try:
            return iterator.get_prev(dt.datetime) if backwards else iterator.get_next(dt.datetime)
        except CroniterBadDateError:
            return None


def _never(expression: str) -> ScheduleError:
    return ScheduleError("schedule", f"{expression!r} names a date that never comes; it would never run")


def _times_of_day(expression: str) -> list[dt.time]:
    """Every local time of day the expression fires at (its minute and hour fields; at most 1,440)."""
    minutes, hours = croniter(expression).expanded[:2]
    minutes = range(60) if minutes == ["*"] else minutes
    hours = range(24) if hours == ["*"] else hours
    return [dt.time(hour, minute) for hour in hours for minute in minutes]


def check(expression: str, timezone: str, window_start: dt.time | None, window_end: dt.time | None,
          now: dt.datetime) -> None:
    """Raise ``ScheduleError`` naming the field unless the schedule runs again after ``now`` inside its window.

    The window is checked in closed form: cron's times of day do not depend on the date, so the window holds a run
    exactly when it holds one of the expression's times of day.
    """
    if not valid_cron(expression):
        raise ScheduleError("schedule", f"{expression!r} is not a five-field cron expression {CRON_HELP}")
    if not valid_timezone(timezone):
        raise ScheduleError("timezone", f"{timezone!r} is not an IANA time zone such as Europe/Paris")
    if (window_start is None) != (window_end is None):
        raise ScheduleError("window_end" if window_end is None else "window_start",
                            "a time window needs both window_start and window_end")
    if window_start is not None and window_start == window_end:
        raise ScheduleError("window_end", "must differ from window_start")
    if _Steps().next(expression, now.astimezone(ZoneInfo(timezone))) is None:
        raise _never(expression)
    if not any(in_window(moment, window_start, window_end) for moment in _times_of_day(expression)):
        raise ScheduleError("window_start", f"the window {window_start.isoformat()}–{window_end.isoformat()} holds "
                                            f"none of the times {expression!r} fires at; widen it or change the "
                                            "schedule")


def problem(expression: str, timezone: str, window_start: dt.time | None, window_end: dt.time | None,
            now: dt.datetime) -> str:
    """What ``check`` would say about a stored schedule, or ``""``: a listing shows it instead of failing."""
    try:
        check(expression, timezone, window_start, window_end, now)
    except ScheduleError as error:
        return error.message
    return ""


def _opening_after(local: dt.datetime, start: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The first opening of the window strictly after ``local``, in UTC."""
    opening = dt.datetime.combine(local.date(), start, tzinfo=zone)
    if opening.astimezone(dt.UTC) <= local.astimezone(dt.UTC):
        opening = dt.datetime.combine(local.date() + dt.timedelta(days=1), start, tzinfo=zone)
    return opening.astimezone(dt.UTC)


def _closing_before(local: dt.datetime, end: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The last closing of the window at or before ``local``, in UTC (the window excludes its end)."""
    closing = dt.datetime.combine(local.date(), end, tzinfo=zone)
    if closing.astimezone(dt.UTC) > local.astimezone(dt.UTC):
        closing = dt.datetime.combine(local.date() - dt.timedelta(days=1), end, tzinfo=zone)
    return closing.astimezone(dt.UTC)


def fire_times(expression: str, timezone: str, after: dt.datetime, until: dt.datetime,
               window_start: dt.time | None = None, window_end: dt.time | None = None,
               steps: _Steps | None = None) -> Iterator[dt.datetime]:
    """Fire times of ``expression`` (local wall clock of ``timezone``) in ``(after, until]`` inside the window, as
    aware UTC. Outside the window it skips to the window's next opening: a step or two a day at most."""
    zone = ZoneInfo(timezone)
    steps = steps or _Steps()
    cursor = after
    while True:
        fire = steps.next(expression, cursor.astimezone(zone))
        if fire is None:
            if cursor == after:
                raise _never(expression)
            return
        fire = fire.astimezone(dt.UTC)
        if fire > until:
            return
        local = fire.astimezone(zone)
        if in_window(local.time(), window_start, window_end):
            yield fire
            cursor = fire
        else:
            cursor = max(fire, _opening_after(local, window_start, zone) - BEFORE_OPENING)


def next_fires(expression: str, timezone: str, now: dt.datetime, window_start: dt.time | None = None,
               window_end: dt.time | None = None, count: int = 1,
               horizon: dt.timedelta = DISPLAY_HORIZON) -> list[dt.datetime]:
    """Up to ``count`` fires after ``now`` inside the window, within ``horizon``."""
    runs = []
    steps = _Steps()
    for fire in fire_times(expression, timezone, now, now + horizon, window_start, window_end, steps):
        runs.append(fire)
        if len(runs) >= count:
            break
    return runs


def next_fire(expression: str, timezone: str, now: dt.datetime, window_start: dt.time | None = None,
              window_end: dt.time | None = None) -> dt.datetime | None:
    """The next fire after ``now`` inside the window (within a year), for display. Raises ``ScheduleError`` for a
    schedule that never runs."""
    if not valid_cron(expression):
        return None
    runs = next_fires(expression, timezone, now, window_start, window_end)
    return runs[0] if runs else None


def due_fire(expression: str, timezone: str, last: dt.datetime | None, now: dt.datetime,
             window_start: dt.time | None = None, window_end: dt.time | None = None,
             created: dt.datetime | None = None, catch_up: dt.timedelta = dt.timedelta(hours=1)) -> dt.datetime | None:
    """The latest fire time since ``last`` (or the policy's creation) that is due now and inside the window.

    Several missed fires (the scheduler was down) give one run, not a burst; fires older than ``catch_up`` are
    skipped, so a control plane back after a day does not start yesterday's backups at noon. It walks back from
    now, skipping to the window's previous closing: a step or two, however many fires were missed.
    """
    if not valid_cron(expression):
        return None
    since = last or created or now - catch_up
    since = max(since, now - catch_up)
    zone = ZoneInfo(timezone)
    steps = _Steps()
    # One second past now, so a fire exactly at now counts (croniter's previous fire is strictly before its start).
    cursor = now + dt.timedelta(seconds=1)
    while True:
        fire = steps.next(expression, cursor.astimezone(zone), backwards=True)
        if fire is None:
            return None
        fire = fire.astimezone(dt.UTC)
        if fire <= since:
            return None
        local = fire.astimezone(zone)
        if fire <= now and in_window(local.time(), window_start, window_end):
            return fire
        # Outside the window: the previous fire worth a look is before the window's previous closing.
        cursor = fire if fire > now or window_end is None else _closing_before(local, window_end, zone)
