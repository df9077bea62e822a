# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The pieces of ``/metrics`` and ``/readyz`` that decide without a request: the scraper's token (file first, read
at each scrape so a rotation needs no restart), the address allowlist, readiness naming what is down and nothing of
where, and the RPO limit a schedule implies."""
from __future__ import annotations

import datetime as dt
import socket
import time

import pytest
from django.conf import settings
from storage_backup.catalog.models import Policy
from storage_backup.rest import views_operations
from storage_backup.services import metrics


@pytest.fixture
def metrics_settings(monkeypatch):
    monkeypatch.setitem(settings.METRICS, "token", "")
    monkeypatch.setitem(settings.METRICS, "token_file", "")
    monkeypatch.setitem(settings.METRICS, "allow_from", [])
    return settings.METRICS


def test_the_token_file_wins_and_is_read_again_at_each_scrape(metrics_settings, tmp_path):
    assert views_operations.metrics_token() == ""  # none configured: only Keystone administrators
    metrics_settings["token"] = "from-the-variable"
    assert views_operations.metrics_token() == "from-the-variable"
    token_file = tmp_path / "metrics.token"
    token_file.write_text("first-token\nignored second line\n")
    metrics_settings["token_file"] = str(token_file)
    assert views_operations.metrics_token() == "first-token"
    token_file.write_text("rotated\n")
    assert views_operations.metrics_token() == "rotated"


@pytest.mark.parametrize(("allow", "address", "allowed"), [
    ([], "203.0.113.7", True),
    (["10.0.0.0/8", "127.0.0.1"], "10.20.30.40", True),
    (["10.0.0.0/8", "127.0.0.1"], "127.0.0.1", True),
    (["10.0.0.0/8"], "192.168.1.1", False),
    (["fd00::/8"], "fd12::1", True),
    (["10.0.0.0/8"], "not-an-address", False),
])
def test_the_address_allowlist(metrics_settings, allow, address, allowed):
    metrics_settings["allow_from"] = allow
    assert views_operations.address_allowed(address) is allowed


def test_readiness_names_redis_down_and_nothing_of_where(monkeypatch, catalog_access):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe is closed
    monkeypatch.setattr(settings, "BROKER_URL", f"redis://:secret-password@127.0.0.1:{port}/0")
    monkeypatch.setitem(settings.HEALTH, "check_timeout", 1.0)
    down = views_operations.readiness()
    assert list(down) == ["redis"]
    assert "secret" not in down["redis"] and str(port) not in down["redis"]


def test_readiness_waits_no_longer_than_its_timeout(monkeypatch, catalog_access):
    monkeypatch.setitem(settings.HEALTH, "check_timeout", 0.5)
    monkeypatch.setattr(views_operations, "_check_redis", lambda timeout: time.sleep(5))
    started = time.monotonic()
    down = views_operations.readiness()
    assert down == {"redis": "no answer within 0.5 s"}
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(("schedule", "window", "limit_hours"), [
    ("0 3 * * *", (None, None), 48),  # daily: a day × the factor 2
    ("0 * * * *", (None, None), 2),  # hourly
    ("0 * * * *", (dt.time(22, 0), dt.time(4, 0)), 2 * 19),  # hourly at night only: the day's gap decides
    ("0 3 * * 1-5", (None, None), 2 * 72),  # weekdays: the weekend's gap decides
])
def test_the_rpo_limit_is_the_largest_gap_between_fires_times_the_factor(monkeypatch, schedule, window,
                                                                         limit_hours):
    monkeypatch.setitem(settings.METRICS, "rpo_factor", 2.0)
    policy = Policy(schedule=schedule, timezone="UTC", window_start=window[0], window_end=window[1])
    now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
    assert metrics.rpo_limit(policy, now) == dt.timedelta(hours=limit_hours)


def test_a_schedule_that_never_runs_has_no_rpo():
    policy = Policy(schedule="0 0 30 2 *", timezone="UTC")
    assert metrics.rpo_limit(policy, dt.datetime(2026, 12, 2, tzinfo=dt.UTC)) is None
