# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Due computation with croniter: time zones (DST included), windows, missed fires, claiming a fire once."""
from __future__ import annotations

import datetime as dt

from storage_backup.services import schedule

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_fire_in_policy_time_zone():
    # 02:00 in Paris is 01:00 UTC in winter, 00:00 UTC in summer.
    assert schedule.due_fire("0 2 * * *", "Europe/Paris", at("2025-01-14T12:00"), at("2025-01-15T01:00:30")) \
        == at("2025-01-15T01:00")
    assert schedule.due_fire("0 2 * * *", "Europe/Paris", at("2025-07-14T12:00"), at("2025-07-15T00:00:30")) \
        == at("2025-07-15T00:00")
    assert schedule.due_fire("0 2 * * *", "Europe/Paris", at("2025-07-14T12:00"), at("2025-07-14T23:59:00")) is None


def test_dst_gap_does_not_skip_the_day():
    # 2025-03-30 02:30 does not exist in Paris; croniter moves the fire, the day still gets its backup.
    fires = list(schedule.fire_times("30 2 * * *", "Europe/Paris", at("2025-03-29T12:00"), at("2025-03-31T12:00")))
    assert len(fires) == 2


def test_window_limits_fires():
    # Hourly, but only between 22:00 and 04:00 local (crossing midnight) in New York.
    fires = list(schedule.fire_times("0 * * * *", "America/New_York", at("2025-01-15T00:30"),
                                            at("2025-01-16T00:30")))
    inside = [f for f in fires if schedule.in_window(f.astimezone(dt.timezone(dt.timedelta(hours=-5))).time(),
                                                     dt.time(22), dt.time(4))]
    assert len(inside) == 6  # 22, 23, 0, 1, 2, 3
    assert schedule.due_fire("0 * * * *", "America/New_York", at("2025-01-15T16:30"), at("2025-01-15T17:00:10"),
                             dt.time(22), dt.time(4)) is None  # 12:00 local: outside
    assert schedule.due_fire("0 * * * *", "America/New_York", at("2025-01-16T03:30"), at("2025-01-16T04:00:10"),
                             dt.time(22), dt.time(4)) == at("2025-01-16T04:00")  # 23:00 local: inside


def test_missed_fires_collapse_and_old_ones_are_skipped():
    # The scheduler was down for three hours: one run for the latest fire, not three.
    assert schedule.due_fire("*/15 * * * *", "UTC", at("2025-01-15T09:00"), at("2025-01-15T12:07"),
                             catch_up=dt.timedelta(hours=1)) == at("2025-01-15T12:00")
    # Down for two days with a daily 02:00 schedule, back at noon: yesterday's backup is not started now.
    assert schedule.due_fire("0 2 * * *", "UTC", at("2025-01-13T02:00"), at("2025-01-15T12:00")) is None


def test_next_fire_respects_window_and_validation():
    now = at("2025-01-15T12:00")
    assert schedule.next_fire("0 * * * *", "UTC", now, dt.time(20), dt.time(21)) == at("2025-01-15T20:00")
    assert schedule.valid_cron("0 2 * * 1-5")
    assert not schedule.valid_cron("0 2 * *")
    assert not schedule.valid_cron("61 2 * * *")
    assert schedule.valid_timezone("Europe/Paris") and not schedule.valid_timezone("Mars/Olympus")
