# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Whether each vault's worker is alive and keeping up, seen from the control plane.

The vault worker reaches in and the control plane never calls it, so its death (or a lost credential) is silent:
copies just stop and the ransomware protection ends. So the API records, per vault, when its worker last asked for
work (``GET /v1/vault/work``) and last reported a copy (``POST /v1/vault/copies``), with the copy window and interval
the worker says it keeps. From that and the uncopied restore points:

* ``silent``: neither for longer than ``STORAGE_BACKUP_VAULT_SILENT_AFTER`` (or 3 of the worker's own intervals
  when longer); a vault whose worker never came is silent once it is that old;
* ``lagging``: the oldest restore point waiting for its copy is older than ``STORAGE_BACKUP_VAULT_COPY_LAG_ALERT``.
  The worker copies only in its window, so a copy waiting outside it is normal until then.

Both are listed on the admin overview (``attention.vaults``), exported as metrics, and ``storage-backup health
--vault ID`` answers from the same decision.
"""
from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from storage_backup.catalog.models import CopyState, Destination, RestorePointCopy, VaultWorkerSeen
from storage_backup.vault.config import VaultConfigError, Window
from storage_backup.worker_health import Health

SILENT = "silent"
LAGGING = "lagging"
#: The worker may say it asks less often than the setting assumes: it is silent after this many of its intervals.
INTERVALS_BEFORE_SILENT = 3
#: The longest interval a worker's word is taken for (a day): a longer look for work is no air gap kept up.
MAX_INTERVAL = 86400.0


def _setting(name: str) -> float:
    return float(settings.VAULT[name])


# -- what the worker tells at each call ------------------------------------------------------------------------------

def _window_text(window: str, zone: str) -> tuple[str, str]:
    """The window as stored: only one the worker's own parser accepts (anything else is stored as unknown)."""
    try:
        parsed = Window.parse(window[:32], zone[:64] or "UTC")
    except VaultConfigError:
        return "", ""
    if parsed.start is None:
        return "", parsed.timezone
    return f"{parsed.start:%H:%M}-{parsed.end:%H:%M}", parsed.timezone


def seen(vault_id: str, *, asked: bool = False, reported: bool = False, window: str | None = None,
         zone: str | None = None, interval: str | float | None = None, now: dt.datetime | None = None) -> None:
    """Record a sign of life of ``vault_id``'s worker (called after the call was authorized and its vault found)."""
    now = now or timezone.now()
    values: dict = {}
    if asked:
        values["asked_at"] = now
    if reported:
        values["reported_at"] = now
    if window is not None:  # a worker of before says nothing: what is stored stays
        values["window"], values["timezone"] = _window_text(window, zone or "UTC")
    if interval not in (None, ""):
        try:
            seconds = float(interval)
        except (TypeError, ValueError):
            seconds = math.nan
        # Only a plausible interval may lengthen the silence allowed (an "inf" would hide a dead worker for ever).
        if 0 < seconds <= MAX_INTERVAL:
            values["interval"] = seconds
    VaultWorkerSeen.objects.update_or_create(vault_id=vault_id, defaults=values)


# -- the decisions (pure, unit-tested) ------------------------------------------------------------------------------

@dataclass(frozen=True)
class VaultState:
    """One vault as the decisions need it."""

    vault_id: str
    name: str
    created_at: dt.datetime | None
    asked_at: dt.datetime | None = None
    reported_at: dt.datetime | None = None
    window: str = ""
    timezone: str = ""
    interval: float | None = None
    waiting: int = 0
    oldest_waiting: dt.datetime | None = None
    given_up: int = 0  # failed every attempt: not listed for the worker again

    @property
    def last_seen(self) -> dt.datetime | None:
        moments = [moment for moment in (self.asked_at, self.reported_at) if moment is not None]
        return max(moments) if moments else None


def silent_after(interval: float | None, setting: float | None = None) -> float:
    """Seconds without a sign of life after which the worker is silent."""
    setting = _setting("silent_after") if setting is None else setting
    return max(setting, INTERVALS_BEFORE_SILENT * interval) if interval else setting


def copy_window(state: VaultState) -> Window | None:
    """The worker's copy window (an empty one copies at any time); None when the worker never said."""
    if not state.timezone:
        return None
    try:
        return Window.parse(state.window, state.timezone)
    except VaultConfigError:
        return None


def next_opening(window: Window, now: dt.datetime) -> dt.datetime | None:
    """When ``window`` next opens (None: it is open now, or always open)."""
    if window.start is None or window.contains(now):
        return None
    zone = zoneinfo.ZoneInfo(window.timezone)
    local = now.astimezone(zone)
    opening = dt.datetime.combine(local.date(), window.start, tzinfo=zone)
    if opening <= local:
        opening += dt.timedelta(days=1)
    return opening


def is_silent(state: VaultState, now: dt.datetime, setting: float | None = None) -> bool:
    limit = dt.timedelta(seconds=silent_after(state.interval, setting))
    since = state.last_seen or state.created_at  # never came: silent once the vault is that old
    return since is None or now - since > limit


def is_lagging(state: VaultState, now: dt.datetime, lag_alert: float | None = None) -> bool:
    """Whether the oldest uncopied restore point is past the lag alert. The window does not shorten this: a copy
    waiting outside the window (or for the next one) is how the vault works, not an alarm, until the lag passes."""
    lag_alert = _setting("copy_lag_alert") if lag_alert is None else lag_alert
    return state.oldest_waiting is not None and (now - state.oldest_waiting).total_seconds() > lag_alert


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def alerts(state: VaultState, now: dt.datetime, silent_setting: float | None = None,
           lag_alert: float | None = None) -> list[dict]:
    """The vault's entries for the admin overview: ``silent`` and/or ``lagging``, each saying what to check."""
    found = []
    window = copy_window(state)
    opens = next_opening(window, now) if window else None
    common = {"vault_id": state.vault_id, "name": state.name, "last_seen": _iso(state.last_seen),
              "asked_at": _iso(state.asked_at), "reported_at": _iso(state.reported_at),
              "window": window.describe() if window else "", "window_open": None if window is None else opens is None,
              "next_window": _iso(opens), "waiting": state.waiting, "given_up": state.given_up,
              "oldest_waiting": _iso(state.oldest_waiting)}
    if is_silent(state, now, silent_setting):
        limit = silent_after(state.interval, silent_setting)
        since = f"since {_iso(state.last_seen)}" if state.last_seen else "ever"
        found.append({**common, "problem": SILENT, "message": (
            f"The vault worker of vault {state.name} has not asked for work {since} (silent after {limit:g} s): "
            f"its copies have stopped. Check that storage-backup vault-worker runs on the vault's side with "
            f"vault_id = {state.vault_id}, that its Keystone credential (role backup_vault) is still valid, and "
            f"that it reaches this API.")})
    if is_lagging(state, now, lag_alert):
        where = ""
        if window is not None and opens is not None:
            where = f" Its copy window ({window.describe()}) opens next at {_iso(opens)}."
        gave_up = (f" {state.given_up} of them failed every attempt and are not tried again: their copy error says "
                   "why." if state.given_up else "")
        found.append({**common, "problem": LAGGING, "message": (
            f"{state.waiting} restore point(s) wait for their copy into vault {state.name}, the oldest since "
            f"{_iso(state.oldest_waiting)}.{gave_up}{where} Check the copies' errors, the vault worker's log, and "
            f"that its copy window is long enough for what it must copy.")})
    return found


# -- the catalog's side ---------------------------------------------------------------------------------------------

def states(vault_id: str | None = None) -> list[VaultState]:
    """Every vault destination (or one) with its worker's last signs of life and its uncopied restore points: two
    queries whatever the number of copies."""
    vaults = Destination.objects.filter(vault=True).select_related("vault_worker_seen").order_by("name", "id")
    if vault_id is not None:
        vaults = vaults.filter(id=vault_id)
    uncopied = (RestorePointCopy.objects.order_by().filter(primary_deleted_at__isnull=True)
                .exclude(state=CopyState.COPIED).values("vault_id")
                .annotate(waiting=Count("id"), oldest=Min("point_created_at"),
                          given_up=Count("id", filter=Q(state=CopyState.FAILED,
                                                        attempts__gte=settings.VAULT["max_attempts"]))))
    if vault_id is not None:
        uncopied = uncopied.filter(vault_id=vault_id)
    waiting = {row["vault_id"]: row for row in uncopied}
    found = []
    for vault in vaults:
        row = getattr(vault, "vault_worker_seen", None)  # Django's "no such row" is an AttributeError too
        copies = waiting.get(vault.id) or {}
        found.append(VaultState(
            vault_id=vault.id, name=vault.name, created_at=vault.created_at,
            asked_at=row.asked_at if row else None, reported_at=row.reported_at if row else None,
            window=row.window if row else "", timezone=row.timezone if row else "",
            interval=row.interval if row else None, waiting=copies.get("waiting", 0),
            oldest_waiting=copies.get("oldest"), given_up=copies.get("given_up", 0)))
    return found


def attention(now: dt.datetime | None = None) -> list[dict]:
    """The admin overview's ``attention.vaults``."""
    now = now or timezone.now()
    return [entry for state in states() for entry in alerts(state, now)]


def check(vault_id: str, now: dt.datetime | None = None) -> Health | None:
    """``storage-backup health --vault ID``: healthy while the vault's worker was seen within the silent-after
    setting (a lag is the overview's and the metrics' to tell). None when there is no such vault."""
    now = now or timezone.now()
    found = states(vault_id)
    if not found:
        return None
    state = found[0]
    limit = silent_after(state.interval)
    if state.last_seen is None:
        return Health(False, f"the vault worker of vault {state.name} has never asked for work")
    age = (now - state.last_seen).total_seconds()
    if is_silent(state, now):
        return Health(False, f"the vault worker of vault {state.name} was last seen {age:.0f} s ago "
                             f"({_iso(state.last_seen)}), more than the {limit:g} s it may be silent")
    return Health(True, f"the vault worker of vault {state.name} was seen {age:.0f} s ago; {state.waiting} "
                        f"restore point(s) wait for their copy")
