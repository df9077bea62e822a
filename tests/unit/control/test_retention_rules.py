# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Retention over a simulated year of daily restore points: keep-last plus GFS counts, minimum age, locks."""
from __future__ import annotations

import datetime as dt

from storage_backup.services.retention import Point, Rules, decide

START = dt.datetime(2024, 1, 1, 2, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)


def year_of_points(per_day: int = 1) -> list[Point]:
    points = []
    for day in range(366):  # 2024 is a leap year: 2024-01-01 .. 2024-12-31
        for index in range(per_day):
            created = START + dt.timedelta(days=day, hours=index * 6)
            points.append(Point(f"p-{day:03d}-{index}", created))
    return points


def test_gfs_counts_over_a_year():
    points = year_of_points()
    decision = decide(points, Rules(keep_last=3, keep_daily=7, keep_weekly=4, keep_monthly=6, keep_yearly=2), NOW)
    kept = set(decision.keep)
    by_id = {p.id: p for p in points}
    # last 3, 7 daily (overlapping the last 3), 4 weekly (one of them the newest), 6 monthly, 2 yearly
    dailies = sorted(by_id[pid].created_at.date() for pid, why in decision.keep.items() if "daily" in why)
    assert dailies == [dt.date(2024, 12, d) for d in range(25, 32)]
    monthly = sorted(by_id[pid].created_at.date() for pid, why in decision.keep.items() if "monthly" in why)
    assert monthly == [dt.date(2024, month, _last_day(dt.datetime(2024, month, 1))) for month in range(7, 13)]
    weekly = [pid for pid, why in decision.keep.items() if "weekly" in why]
    assert len(weekly) == 4
    assert all(by_id[pid].created_at.weekday() == 6 or pid == "p-365-0" for pid in weekly)  # Sundays + newest
    yearly = [pid for pid, why in decision.keep.items() if "yearly" in why]
    assert yearly == ["p-365-0"]  # only one year has points
    # dailies (Dec 25-31) hold the last 3 and Sunday Dec 29; weekly adds Sundays Dec 22 and 15; monthly adds the
    # ends of July to November.
    assert len(kept) == 7 + 2 + 5
    assert len(decision.delete) == len(points) - len(kept)


def _last_day(moment: dt.datetime) -> int:
    following = (moment.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (following - dt.timedelta(days=1)).day


def test_several_points_a_day_keep_the_newest_of_each_day():
    points = year_of_points(per_day=4)
    decision = decide(points, Rules(keep_daily=3), NOW)
    assert sorted(decision.keep) == ["p-363-3", "p-364-3", "p-365-3"]


def test_minimum_age_and_retention_lock_protect_points():
    points = year_of_points()
    locked = Point("locked", START + dt.timedelta(days=10), retention_lock_until=NOW + dt.timedelta(days=30))
    expired_lock = Point("expired", START + dt.timedelta(days=11), retention_lock_until=NOW - dt.timedelta(days=1))
    decision = decide([*points, locked, expired_lock], Rules(keep_last=1, min_age_days=30), NOW)
    assert decision.keep["locked"] == ["retention lock"]
    assert "expired" in decision.delete
    young = [pid for pid, why in decision.keep.items() if why == ["minimum age"]]
    # Dec 3 to Dec 30 02:00 are younger than 30 days on Jan 1 03:00; Dec 31 is kept as the last one.
    assert len(young) == 28
    assert len(decision.delete) == 368 - 1 - 28 - 1


def test_time_zone_moves_day_boundaries():
    # 23:30 UTC on Dec 30 is already Dec 31 in Tokyo: per Tokyo days, it and the Dec 31 point share one day.
    late = Point("late", dt.datetime(2024, 12, 30, 23, 30, tzinfo=dt.UTC))
    next_day = Point("next", dt.datetime(2024, 12, 31, 2, 0, tzinfo=dt.UTC))
    assert set(decide([late, next_day], Rules(keep_daily=2), NOW).keep) == {"late", "next"}
    assert set(decide([late, next_day], Rules(keep_daily=2, timezone="Asia/Tokyo"), NOW).keep) == {"next"}
