# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Every schedule computation is bounded: schedules and windows with no run are refused in closed form, and the
croniter steps a computation may take are counted against a hard cap (``CONTROL["schedule_max_steps"]``). These
count croniter's own calls; they time nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from croniter import croniter
from django.conf import settings
from storage_backup.services import schedule, schedule_preview
from storage_backup.services.errors import ValidationFailed

NOW = dt.datetime(2026, 1, 15, 12, 0, 17, tzinfo=dt.UTC)
NO_MINUTE = (dt.time(10, 0, 30), dt.time(10, 0, 45))  # 15 seconds that hold no whole minute


@pytest.fixture
def steps(monkeypatch):
    """How many times croniter is asked for a fire time (construction included) by the code under test."""
    counted = {"calls": 0}

    class Counting(croniter):
        def get_next(self, *args, **kwargs):
            counted["calls"] += 1
            return super().get_next(*args, **kwargs)

        def get_prev(self, *args, **kwargs):
            counted["calls"] += 1
            return super().get_prev(*args, **kwargs)

    monkeypatch.setattr(schedule, "croniter", Counting)
    return counted


def test_no_future_run_is_refused_naming_the_field(steps):
    with pytest.raises(schedule.ScheduleError) as raised:
        schedule.check("0 0 30 2 *", "UTC", None, None, NOW)
    assert raised.value.field == "schedule" and "never" in raised.value.message
    with pytest.raises(schedule.ScheduleError) as raised:
        schedule.check("0 0 31 4 *", "UTC", None, None, NOW)
    assert raised.value.field == "schedule"
    schedule.check("0 0 29 2 *", "UTC", None, None, dt.datetime(2097, 3, 1, tzinfo=dt.UTC))  # 2104: rare, real
    assert steps["calls"] <= 3


def test_window_without_a_fire_is_refused_in_closed_form(steps):
    for expression, window in (("* * * * *", NO_MINUTE), ("0 * * * *", (dt.time(10, 15), dt.time(10, 45))),
                               ("0 3 * * *", (dt.time(22), dt.time(2)))):
        with pytest.raises(schedule.ScheduleError) as raised:
            schedule.check(expression, "Europe/Paris", *window, NOW)
        assert raised.value.field == "window_start", expression
    schedule.check("* * * * *", "Europe/Paris", dt.time(10), dt.time(10, 0, 15), NOW)
    schedule.check("0 1 * * *", "Europe/Paris", dt.time(22), dt.time(2), NOW)  # a window across midnight
    assert steps["calls"] <= 5  # one future fire asked for per schedule checked, none for the windows


def test_next_fire_of_a_window_that_holds_no_fire_stops_within_the_cap(steps):
    # A policy stored before the validation: one step per day of the horizon at most, never a step per minute.
    assert schedule.next_fire("* * * * *", "Europe/Paris", NOW, *NO_MINUTE) is None
    assert steps["calls"] <= 2 * 367 <= settings.CONTROL["schedule_max_steps"]


def test_the_cap_is_hard(steps, monkeypatch):
    monkeypatch.setitem(settings.CONTROL, "schedule_max_steps", 50)
    with pytest.raises(schedule.ScheduleError) as raised:
        schedule.next_fire("* * * * *", "Europe/Paris", NOW, *NO_MINUTE)
    assert "50" in raised.value.message
    assert steps["calls"] <= 51
    with pytest.raises(schedule.ScheduleError):
        list(schedule.fire_times("* * * * *", "UTC", NOW, NOW + dt.timedelta(days=1)))
    assert steps["calls"] <= 51 + 51


def test_windowed_next_runs_skip_to_the_window(steps):
    # Every minute, inside a 15-second window at 10:00 local: the next runs are found day by day, not minute by
    # minute (there are 1,440 fires a day).
    runs = schedule.next_fires("* * * * *", "Europe/Paris", NOW, dt.time(10), dt.time(10, 0, 15), count=20)
    assert len(runs) == 20 and all(run.astimezone(dt.UTC).time() == dt.time(9) for run in runs)
    assert runs[1] - runs[0] == dt.timedelta(days=1)
    assert steps["calls"] <= 3 * 20 + 3


def test_due_fire_walks_back_a_few_steps_not_every_missed_fire(steps):
    # Every minute, the scheduler away for a day and a long catch-up: the latest fire is found at once.
    fire = schedule.due_fire("* * * * *", "UTC", NOW - dt.timedelta(days=1), NOW, catch_up=dt.timedelta(days=2))
    assert fire == NOW.replace(second=0)
    assert steps["calls"] <= 3
    steps["calls"] = 0
    # Hourly within 22:00-02:00 New York, asked at 12:00 local with a week of catch-up: back to 01:00 that night.
    now = dt.datetime(2025, 1, 15, 17, 0, 10, tzinfo=dt.UTC)
    fire = schedule.due_fire("0 * * * *", "America/New_York", now - dt.timedelta(days=7), now, dt.time(22),
                             dt.time(2), catch_up=dt.timedelta(days=7))
    assert fire == dt.datetime(2025, 1, 15, 6, 0, tzinfo=dt.UTC)
    assert steps["calls"] <= 4


def test_preview_refuses_what_a_policy_refuses(steps):
    with pytest.raises(ValidationFailed) as raised:
        schedule_preview.next_runs("0 0 30 2 *", now=NOW)
    assert raised.value.field == "schedule"
    with pytest.raises(ValidationFailed) as raised:
        schedule_preview.next_runs("* * * * *", "UTC", "10:00:30", "10:00:45", now=NOW)
    assert raised.value.field == "window_start"
    assert len(schedule_preview.next_runs("* * * * *", "UTC", "10:00", "10:00:15", count=20, now=NOW)) == 20
    assert steps["calls"] <= 3 * 20 + 10
