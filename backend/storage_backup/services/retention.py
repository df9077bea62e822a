# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Which restore points a policy keeps: the last N, plus grandfather-father-son counts, a minimum age, WORM locks.

Pure functions over ``(id, created_at, retention_lock_until)`` so the rule is tested on a simulated year without
a database; ``storage_backup.control.retention`` applies the answer.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Point:
    id: str
    created_at: dt.datetime
    retention_lock_until: dt.datetime | None = None


@dataclass(frozen=True)
class Rules:
    keep_last: int = 0
    keep_daily: int = 0
    keep_weekly: int = 0
    keep_monthly: int = 0
    keep_yearly: int = 0
    min_age_days: int = 0
    timezone: str = "UTC"


@dataclass
class Decision:
    keep: dict[str, list[str]]  # id -> reasons
    delete: list[str]


def _buckets(timezone: str) -> dict[str, Callable[[dt.datetime], tuple]]:
    zone = ZoneInfo(timezone)

    def local(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(zone)

    return {
        "daily": lambda moment: local(moment).date().timetuple()[:3],
        "weekly": lambda moment: tuple(local(moment).isocalendar())[:2],
        "monthly": lambda moment: (local(moment).year, local(moment).month),
        "yearly": lambda moment: (local(moment).year,),
    }


def decide(points: Iterable[Point], rules: Rules, now: dt.datetime) -> Decision:
    """Newest first, as restic's ``forget``: each period keeps its newest point, for the last ``count`` periods."""
    ordered = sorted(points, key=lambda point: (point.created_at, point.id), reverse=True)
    keep: dict[str, list[str]] = {}
    for point in ordered[:rules.keep_last]:
        keep.setdefault(point.id, []).append("last")
    counts = {"daily": rules.keep_daily, "weekly": rules.keep_weekly, "monthly": rules.keep_monthly,
              "yearly": rules.keep_yearly}
    for name, bucket_of in _buckets(rules.timezone).items():
        remaining = counts[name]
        seen = set()
        for point in ordered:
            if remaining <= 0:
                break
            bucket = bucket_of(point.created_at)
            if bucket in seen:
                continue
            seen.add(bucket)
            keep.setdefault(point.id, []).append(name)
            remaining -= 1
    min_age = dt.timedelta(days=rules.min_age_days)
    delete = []
    for point in ordered:
        if point.id in keep:
            continue
        if now - point.created_at < min_age:
            keep[point.id] = ["minimum age"]
        elif point.retention_lock_until and point.retention_lock_until > now:
            keep[point.id] = ["retention lock"]
        else:
            delete.append(point.id)
    return Decision(keep=keep, delete=delete)
