# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How the Backup panels show sizes, rates, durations and times: short, localised, never a raw number."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _


def size(value) -> str:
    if value is None or value == "":
        return "-"
    return filesizeformat(int(value))


def rate(value) -> str:
    if not value:
        return ""
    return _("%(size)s/s") % {"size": filesizeformat(int(value))}


def duration(seconds) -> str:
    """``1:02:03`` / ``2:03``: how long something took or has left."""
    if seconds is None:
        return ""
    if isinstance(seconds, dt.timedelta):
        seconds = seconds.total_seconds()
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def when(value) -> str:
    """A moment in the user's time zone (Horizon's user setting), as Horizon's tables show times."""
    if not value:
        return "-"
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_filter(value, "Y-m-d H:i")


def when_zoned(value) -> str:
    """``when`` with the time zone's name, for times a reader plans by (a next run): "2026-11-25 02:00 UTC"."""
    if not value:
        return "-"
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_filter(value, "Y-m-d H:i T")


def run_time(value: dt.datetime, zone: str) -> str:
    """A scheduled run as the policy's owner thinks of it: in the policy's time zone, with the weekday."""
    local = value.astimezone(ZoneInfo(zone or "UTC"))
    return f"{date_filter(local, 'D Y-m-d H:i')} ({zone or 'UTC'})"


def ratio(value) -> str:
    if not value:
        return "-"
    return f"{value:.2f}\u00d7"
