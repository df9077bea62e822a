# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Lock maintenance: the retention of every object restore points still need, extended before it runs out.

kopia's model for a deduplicating repository under Object Lock: each immutable object (``config``, ``keys/``, a
pack, an index object, a restore-point document) is written with per-object retention of the destination's
``retention_days`` from its write. New restore points reuse old packs, whose retention was set when they were written,
so a maintenance pass, run more often than the retention lasts, extends:

* every object a restore point of the repository references, to ``now + retention_days`` (no live restore point's
  data can be deleted by whoever holds the destination's keys while the passes keep running);
* every object a *locked* restore point references, to at least its lock date (the later of the document's
  ``lock_until`` and the catalog's, which a tenant may set far beyond ``retention_days``).

What a restore point references is what ``prune`` keeps for it: its document, the packs holding its chunks (the
volumes' blocks and the chunks of their maps, which live in packs too), the index objects placing those chunks in
those packs, and the repository's ``config`` and ``keys/`` without which nothing can be read. Retention is only ever
extended (S3 cannot shorten COMPLIANCE, and a shorter date than the current one is never asked for). An object
nothing references is left to expire, so prune's delete markers eventually let the lifecycle rule reclaim it.

The requirement is kept per index slot (a float per chunk, 8 MiB per million chunks), like prune's used-set, and
each index object is read once whatever the number of restore points.
"""
from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from .errors import ChunkError, CorruptObject, InvalidRequest, ObjectNotFound, RepositoryError, RestorePointNotFound
from .format import CONFIG_NAME, KEYS_PREFIX, pack_name, restore_point_name
from .restore_point import RestorePoint
from .store import RepositoryStore
from .times import format_time, parse_time

#: Reasons listed in a report at most (the count says how many more there were).
MAX_LISTED_FAILURES = 50


@runtime_checkable
class RetentionKeeper(Protocol):
    """What a destination with per-object retention offers (``S3Destination`` with a lock mode)."""

    #: Days of retention an object gets from its write; None or 0: this destination keeps no retention.
    retention_days: float | None

    def extend_object_retention(self, name: str, until: datetime) -> bool:
        """Retain the current version of ``name`` until at least ``until``: True if it was extended, False if it was
        retained that long already. Raises ``ObjectNotFound`` when the object has no current version."""


@dataclass
class LockMaintenanceReport:
    restore_points: int = 0  # covered by the pass
    locked_restore_points: int = 0  # of those, locked beyond the destination's retention
    objects_checked: int = 0
    objects_extended: int = 0
    objects_long_enough: int = 0  # retained at least as long as needed already
    objects_failed: int = 0
    #: ``"what: why"`` of each object or restore point whose retention could not be extended (the first
    #: ``MAX_LISTED_FAILURES``; ``objects_failed`` and the lists below count them all).
    failures: list[str] = field(default_factory=list)
    #: Restore points the caller names as locked that the repository does not have (their objects are unknown).
    missing_locked: list[str] = field(default_factory=list)
    #: ``"id: why"`` of restore points whose document or maps cannot be read (what they use is unknown).
    unreadable_restore_points: list[str] = field(default_factory=list)
    #: The earliest date a referenced object is now retained until (when protection starts ending without another
    #: pass); None when nothing was retained.
    protected_until: str | None = None
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Every object every restore point needs is retained as long as it must be."""
        return not (self.objects_failed or self.missing_locked or self.unreadable_restore_points)

    def note(self, what: str, why: str) -> None:
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(f"{what}: {why}")


def retention_keeper(destination, keeper: RetentionKeeper | None = None) -> RetentionKeeper:
    """``keeper``, or the destination itself when it keeps per-object retention; ``InvalidRequest`` otherwise."""
    found = keeper if keeper is not None else destination
    if not isinstance(found, RetentionKeeper) or not found.retention_days:
        raise InvalidRequest(f"{destination.location} keeps no per-object retention (an S3 destination with "
                             "lock=COMPLIANCE or lock=GOVERNANCE does): there is no lock to maintain")
    return found


class _Requirements:
    """The date each object must be retained until, built up restore point by restore point."""

    def __init__(self, store: RepositoryStore) -> None:
        self._store = store
        self._index = store.index
        # One float (a POSIX time) per index slot: the latest date a restore point using that chunk needs.
        self._chunks = [array("d", bytes(8 * len(marks))) for marks in self._index.new_marks()]
        self._packs: dict[str, float] = {}
        self.objects: dict[str, float] = {}
        self.unreadable_indexes: list[str] = []  # "name: why"

    def _need(self, name: str, until: float) -> None:
        if until > self.objects.get(name, 0.0):
            self.objects[name] = until

    def add_restore_point(self, restore_point: RestorePoint, until: float) -> None:
        """Everything ``restore_point`` reads, needed until ``until``. Raises ``RepositoryError`` naming what cannot
        be read (its maps, a chunk the index does not have)."""
        self._need(restore_point_name(restore_point.id), until)
        index, chunks, packs = self._index, self._chunks, self._packs
        for volume in restore_point.volumes:
            where = f"restore point {restore_point.id} volume {volume.key!r}"
            try:
                maps = self._store.volume_maps(restore_point, volume)
                used = list(maps.map_chunk_ids())
                used.extend(record.chunk_id for record in maps.records() if record.chunk_id is not None)
            except (ChunkError, CorruptObject) as error:
                raise RepositoryError(f"{where} cannot be read ({error})") from None
            seen: set[bytes] = set()
            for chunk_id in used:
                if chunk_id in seen:  # zero-like blocks repeat one chunk thousands of times
                    continue
                seen.add(chunk_id)
                slot = index.slot(chunk_id)
                location = index.get(chunk_id)
                if slot is None or location is None:
                    raise RepositoryError(f"{where} references chunk {chunk_id.hex()} which is not in the index")
                bucket, position = slot
                if until > chunks[bucket][position]:
                    chunks[bucket][position] = until
                if until > packs.get(location[0], 0.0):
                    packs[location[0]] = until

    def add_packs_and_indexes(self) -> None:
        """The packs, and each index object that places a needed chunk in a needed pack (read once each)."""
        for pack_id, until in self._packs.items():
            self._need(pack_name(pack_id), until)
        index, chunks = self._index, self._chunks
        for name in self._store.index_names():
            needed = 0.0
            try:
                for pack_id, entries in self._store.read_index_object(name):
                    pack_until = self._packs.get(pack_id)
                    if pack_until is None:
                        continue
                    for entry in entries:
                        slot = index.slot(entry.chunk_id)
                        if slot is not None:
                            # Bounded by both: the chunk's and the pack's latest user (a superset, never less).
                            needed = max(needed, min(chunks[slot[0]][slot[1]], pack_until))
            except ObjectNotFound:
                continue  # removed by a prune since it was listed: its entries are in the prune's new objects
            except RepositoryError as error:
                # Which needed chunks it places is unknown: it is kept as long as the longest need, and reported.
                self.unreadable_indexes.append(f"{name}: {error}")
                needed = max(self._packs.values(), default=0.0)
            if needed:
                self._need(name, needed)

    def add_repository_objects(self, until: float) -> None:
        """``config`` and ``keys/``: every restore point needs them."""
        self._need(CONFIG_NAME, until)
        for info in self._store.destination.list(KEYS_PREFIX):
            self._need(info.name, until)


def _timestamp(value: datetime | str) -> float:
    return (parse_time(value) if isinstance(value, str) else value).timestamp()


def run_lock_maintenance(store: RepositoryStore, keeper: RetentionKeeper, locks: dict[str, datetime | str],
                         restore_point_ids: Iterable[str] | None = None, *, workers: int = 8,
                         now: datetime | None = None, progress: Callable[[str], None] | None = None,
                         ) -> LockMaintenanceReport:
    """Extend the retention of what the restore points (``restore_point_ids``, default every one) need; ``locks``:
    restore point id -> lock date as the catalog holds it. Never raises for one object or restore point: the report
    says what failed and why."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    report = LockMaintenanceReport()
    now = now or datetime.now(UTC)
    floor = (now + timedelta(days=float(keeper.retention_days or 0))).timestamp()
    present = set(store.restore_point_ids())
    wanted = sorted(present if restore_point_ids is None else set(restore_point_ids))
    named_locked = set(locks) if restore_point_ids is None else set(locks) & set(wanted)
    report.missing_locked = sorted(named_locked - present)
    requirements = _Requirements(store)
    latest = floor
    for point_id in wanted:
        if point_id not in present:
            continue
        try:
            restore_point = store.get_restore_point(point_id)
        except RestorePointNotFound:
            continue  # deleted since it was listed: nothing of it to keep
        except RepositoryError as error:
            report.unreadable_restore_points.append(f"{point_id}: {error}")
            continue
        until = floor
        for lock in (restore_point.lock_until, locks.get(point_id)):
            if not lock:
                continue
            try:
                until = max(until, _timestamp(lock))
            except (ValueError, TypeError, OverflowError):
                report.note(f"restore point {point_id}", f"its lock date {lock!r} cannot be read; its objects are "
                                                         "retained for the destination's retention only")
        try:
            requirements.add_restore_point(restore_point, until)
        except RepositoryError as error:
            report.unreadable_restore_points.append(f"{point_id}: {error}")
            continue
        report.restore_points += 1
        report.locked_restore_points += until > floor
        latest = max(latest, until)
    requirements.add_packs_and_indexes()
    requirements.add_repository_objects(latest)
    say(f"{len(requirements.objects)} object(s) referenced by {report.restore_points} restore point(s), "
        f"{report.locked_restore_points} of them locked beyond the destination's retention")
    _extend(keeper, requirements.objects, report, workers)
    for problem in requirements.unreadable_indexes:
        report.objects_failed += 1
        report.note(*problem.split(": ", 1))
    if requirements.objects:
        report.protected_until = format_time(datetime.fromtimestamp(min(requirements.objects.values()), UTC))
    for problem in report.unreadable_restore_points[:MAX_LISTED_FAILURES - len(report.failures)]:
        report.note("restore point " + problem.split(":", 1)[0], "cannot be read, so what it uses cannot be kept "
                                                                 f"({problem.split(': ', 1)[-1]})")
    for point_id in report.missing_locked:
        report.note(f"restore point {point_id}", "locked in the catalog but not in the repository")
    report.duration = round(time.monotonic() - started, 3)
    say(f"{report.objects_extended} extended, {report.objects_long_enough} already retained long enough, "
        f"{report.objects_failed} failed")
    return report


def _extend(keeper: RetentionKeeper, objects: dict[str, float], report: LockMaintenanceReport, workers: int) -> None:
    """Each object's retention extended, at most ``workers`` requests in flight (a million objects never become a
    million queued futures)."""
    lock = threading.Lock()

    def extend(name: str, until: float) -> None:
        try:
            extended = keeper.extend_object_retention(name, datetime.fromtimestamp(until, UTC))
        except ObjectNotFound:
            outcome, why = None, "not found (deleted: recover it from its versions)"
        except Exception as error:  # one object's failure must not hide the others': each is reported
            outcome, why = None, f"{type(error).__name__}: {error}"
        else:
            outcome, why = extended, ""
        with lock:
            report.objects_checked += 1
            if outcome is None:
                report.objects_failed += 1
                report.note(name, why)
            elif outcome:
                report.objects_extended += 1
            else:
                report.objects_long_enough += 1

    in_flight: set[Future] = set()
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="lock-maintenance") as pool:
        for name, until in sorted(objects.items()):
            if len(in_flight) >= 2 * max(1, workers):
                _done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            in_flight.add(pool.submit(extend, name, until))
        wait(in_flight)
