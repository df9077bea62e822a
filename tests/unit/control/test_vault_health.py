# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""When a vault is silent or lagging (``services/vault_health.py``): silent after the setting or 3 of the worker's
own intervals, whichever is longer, counting its copy reports as signs of life and a never-seen vault from its
creation; lagging only past the lag setting, however the copy window stands (a copy waiting for the window is how
the vault works), the message then naming when the window opens. And what the worker says of its window is stored
only when it parses."""
from __future__ import annotations

import datetime as dt
import uuid

from storage_backup.catalog.models import Destination, VaultWorkerSeen
from storage_backup.services import vault_health
from storage_backup.services.vault_health import LAGGING, SILENT, VaultState

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)  # 12:00 UTC: outside a 01:00-05:00 window
HOUR = dt.timedelta(hours=1)


def _state(**values) -> VaultState:
    base = {"vault_id": "v-1", "name": "bunker", "created_at": NOW - 30 * 24 * HOUR}
    return VaultState(**{**base, **values})


def _problems(state: VaultState, silent: float = 3600, lag: float = 36 * 3600) -> list[str]:
    return [entry["problem"] for entry in vault_health.alerts(state, NOW, silent, lag)]


def test_silent_after_the_setting_or_three_of_the_workers_own_intervals():
    assert vault_health.silent_after(None, 3600) == 3600
    assert vault_health.silent_after(300, 3600) == 3600
    assert vault_health.silent_after(7200, 3600) == 3 * 7200  # a worker that says it asks every 2 h
    assert _problems(_state(asked_at=NOW - 0.5 * HOUR)) == []
    assert _problems(_state(asked_at=NOW - 2 * HOUR)) == [SILENT]
    assert _problems(_state(asked_at=NOW - 2 * HOUR, interval=7200)) == []


def test_a_copy_report_is_a_sign_of_life_during_a_long_round():
    assert _problems(_state(asked_at=NOW - 5 * HOUR, reported_at=NOW - 0.2 * HOUR)) == []


def test_a_vault_never_seen_is_silent_once_it_is_older_than_the_setting():
    assert _problems(_state(created_at=NOW - 0.5 * HOUR)) == []
    silent = vault_health.alerts(_state(created_at=NOW - 2 * HOUR), NOW, 3600, 36 * 3600)
    assert [entry["problem"] for entry in silent] == [SILENT]
    assert "has not asked for work ever" in silent[0]["message"] and "vault_id = v-1" in silent[0]["message"]
    assert silent[0]["last_seen"] is None


def test_a_copy_waiting_outside_the_window_is_no_alarm_until_the_lag_passes():
    seen = {"asked_at": NOW - 0.1 * HOUR, "window": "01:00-05:00", "timezone": "UTC", "interval": 300.0}
    waiting = _state(**seen, waiting=3, oldest_waiting=NOW - 30 * HOUR)
    assert _problems(waiting) == []
    late = _state(**seen, waiting=3, oldest_waiting=NOW - 37 * HOUR, given_up=1)
    [entry] = vault_health.alerts(late, NOW, 3600, 36 * 3600)
    assert entry["problem"] == LAGGING and entry["window_open"] is False
    assert entry["next_window"] == "2026-12-04T01:00:00Z"
    assert "opens next at 2026-12-04T01:00:00Z" in entry["message"]
    assert "1 of them failed every attempt" in entry["message"]


def test_inside_the_window_or_without_one_the_lag_alone_decides():
    inside = {"asked_at": NOW, "window": "11:00-13:00", "timezone": "UTC"}
    assert _problems(_state(**inside, waiting=1, oldest_waiting=NOW - 2 * HOUR)) == []
    [entry] = vault_health.alerts(_state(**inside, waiting=1, oldest_waiting=NOW - 40 * HOUR), NOW, 3600, 36 * 3600)
    assert entry["window_open"] is True and entry["next_window"] is None and "opens next" not in entry["message"]
    unknown = vault_health.alerts(_state(asked_at=NOW, waiting=1, oldest_waiting=NOW - 40 * HOUR), NOW, 3600,
                                  36 * 3600)
    assert [e["problem"] for e in unknown] == [LAGGING] and unknown[0]["window_open"] is None  # a worker of before


def test_silent_and_lagging_at_once_are_two_entries():
    assert _problems(_state(asked_at=NOW - 48 * HOUR, waiting=9, oldest_waiting=NOW - 47 * HOUR)) == [SILENT, LAGGING]


def test_next_opening_in_the_windows_time_zone_and_across_midnight():
    warsaw = vault_health.Window.parse("01:00-05:00", "Europe/Warsaw")
    opens = vault_health.next_opening(warsaw, NOW)  # 13:00 in Warsaw: tomorrow 01:00 CET = 00:00 UTC
    assert opens.astimezone(dt.UTC) == dt.datetime(2026, 12, 4, 0, 0, tzinfo=dt.UTC)
    night = vault_health.Window.parse("22:00-02:00", "UTC")
    assert vault_health.next_opening(night, NOW) == dt.datetime(2026, 12, 3, 22, 0, tzinfo=dt.UTC)
    assert vault_health.next_opening(night, NOW.replace(hour=23)) is None  # open now
    assert vault_health.next_opening(vault_health.Window.parse("", "UTC"), NOW) is None  # always open


def test_what_the_worker_says_of_its_window_is_kept_only_when_it_parses():
    vault = Destination.objects.create(name=f"vault-{uuid.uuid4().hex[:6]}", path="/srv/v", vault=True)
    try:
        vault_health.seen(vault.id, asked=True, window="01:00-05:00", zone="Europe/Warsaw", interval="600", now=NOW)
        row = VaultWorkerSeen.objects.get(pk=vault.id)
        assert (row.asked_at, row.reported_at, row.window, row.timezone, row.interval) == \
            (NOW, None, "01:00-05:00", "Europe/Warsaw", 600.0)
        vault_health.seen(vault.id, reported=True, now=NOW + HOUR)  # a report keeps what the ask said
        row.refresh_from_db()
        assert (row.asked_at, row.reported_at, row.window) == (NOW, NOW + HOUR, "01:00-05:00")
        vault_health.seen(vault.id, asked=True, window="25:00-99", zone="Mars/Olympus", interval="x", now=NOW)
        row.refresh_from_db()
        assert (row.window, row.timezone, row.interval) == ("", "", 600.0)
        for hostile in ("inf", "nan", "-5", "0", "1e9"):
            vault_health.seen(vault.id, asked=True, interval=hostile, now=NOW)
        row.refresh_from_db()
        assert row.interval == 600.0
        [state] = vault_health.states(vault.id)
        assert state.last_seen == NOW + HOUR and state.waiting == 0 and state.oldest_waiting is None
    finally:
        vault.delete()
