# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Times in the repository: written in one canonical form, read leniently.

Every time this code writes into a repository object is UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` with the year always
four digits (``%Y`` alone writes year 1 as ``1``, which ``fromisoformat`` cannot read back: a lock date of year 1
made a restore point impossible to delete and broke listing). Reading accepts what older writers left: an unpadded
year, ``Z`` or an offset, no zone at all (taken as UTC), a missing fraction.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

_LENIENT = re.compile(
    r"^\s*(?P<year>\d{1,4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?)?"
    r"\s*(?P<zone>Z|z|[+-]\d{2}:?\d{2})?\s*$")


def format_time(value: datetime) -> str:
    """The canonical form: UTC, four-digit year, microseconds, ``Z`` (a naive time is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
            f"{value.second:02d}.{value.microsecond:06d}Z")


def parse_time(value: str) -> datetime:
    """A time as any writer of this format left it, as an aware UTC ``datetime``; ``ValueError`` if it is none."""
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parsed = _parse_lenient(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return parsed  # year 1 west of UTC or 9999 east of it: keep its own offset (still comparable)


def _parse_lenient(text: str) -> datetime:
    match = _LENIENT.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time")
    parts = match.groupdict()
    fraction = (parts["fraction"] or "0")[:6].ljust(6, "0")
    zone = parts["zone"]
    suffix = "" if not zone else "+00:00" if zone in "Zz" else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    return datetime.fromisoformat(
        f"{int(parts['year']):04d}-{int(parts['month']):02d}-{int(parts['day']):02d}T{int(parts['hour'] or 0):02d}:"
        f"{int(parts['minute'] or 0):02d}:{int(parts['second'] or 0):02d}.{fraction}{suffix}")
