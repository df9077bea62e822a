# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Lock maintenance (``object_lock.py``) on a filesystem repository whose per-object retention a recorder keeps: what
each restore point references gets retained as long as it must (its lock date, else now + the destination's
retention), shared packs as long as their longest-locked user, unreferenced objects not at all; never shortened;
failures reported one by one, not raised. The same on a real RGW: tests/ceph/test_lock_maintenance.py."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from storage_backup.repository import InvalidRequest, ObjectNotFound, Repository, RetentionKeeper

from tests.support.repository_images import MiB, backup, overwrite, write_image

DAYS = 1.0


class RetentionRecorder:
    """A ``RetentionKeeper`` over a filesystem destination: the retention dates in a dict, failures on demand."""

    retention_days = DAYS

    def __init__(self, destination, failing: set[str] | None = None) -> None:
        self.destination = destination
        self.until: dict[str, datetime] = {}
        self.calls: list[str] = []
        self.failing = failing or set()
        self._lock = threading.Lock()

    def extend_object_retention(self, name: str, until: datetime) -> bool:
        with self._lock:
            self.calls.append(name)
        if name in self.failing:
            raise PermissionError("AccessDenied")
        if not self.destination.exists(name):
            raise ObjectNotFound(name)
        with self._lock:
            if self.until.get(name, datetime.min.replace(tzinfo=UTC)) >= until:
                return False
            self.until[name] = until
            return True


@pytest.fixture
def two_sharing(repo: Repository, tmp_path):
    """Two restore points of one disk, the second incremental (it reuses the first's packs), and a third of another
    disk whose document is then deleted: its packs and index object are referenced by nobody."""
    disk = tmp_path / "disk.img"
    write_image(disk, 4 * MiB)
    first, _ = backup(repo, disk, strategy="full")
    overwrite(disk, MiB, b"changed" * 1000)
    second, _ = backup(repo, disk, strategy="incremental", previous=first)
    other = tmp_path / "other.img"
    write_image(other, 2 * MiB, seed=7, pattern="r")
    gone, _ = backup(repo, other, key="other", strategy="full")
    orphaned = set(repo.objects_of(gone)) - set(repo.objects_of(first)) - set(repo.objects_of(second))
    repo.delete_restore_point(gone)
    return first, second, orphaned


def test_the_recorder_is_a_retention_keeper():
    assert isinstance(RetentionRecorder(None), RetentionKeeper)


def test_shared_packs_are_retained_as_long_as_their_longest_locked_user(repo, two_sharing):
    first, second, orphaned = two_sharing
    keeper = RetentionRecorder(repo.destination)
    locked_until = datetime.now(UTC) + timedelta(days=30)
    before = datetime.now(UTC)
    report = repo.maintain_locks({first: locked_until}, keeper=keeper)
    after = datetime.now(UTC)
    assert report.ok and report.restore_points == 2 and report.locked_restore_points == 1, report
    of_first, of_second = set(repo.objects_of(first)), set(repo.objects_of(second))
    assert of_first & of_second - {f"restore-points/{first}"}, "the incremental shares packs with the full"
    keys = {info.name for info in repo.destination.list("keys/")}
    assert set(keeper.until) == of_first | of_second | {"config"} | keys  # exactly what prune would keep
    assert not orphaned & set(keeper.calls) and orphaned  # nobody references these: left to expire
    for name in of_first:
        assert keeper.until[name] >= locked_until, name
    for name in of_second - of_first:
        assert before + timedelta(days=DAYS) <= keeper.until[name] <= after + timedelta(days=DAYS), name
    assert keeper.until["config"] >= locked_until
    assert report.objects_checked == report.objects_extended == len(keeper.until)
    assert report.objects_long_enough == report.objects_failed == 0 and not report.failures
    assert report.protected_until is not None and report.protected_until.startswith(str(before.year))

    # The next pass: the unlocked restore point's objects move on, the locked one's are long enough already.
    again = repo.maintain_locks({first: locked_until}, keeper=keeper)
    assert again.ok and again.objects_long_enough == len(of_first | {"config"} | keys)
    assert again.objects_extended == len(of_second - of_first)


def test_the_documents_own_lock_counts_and_nothing_is_shortened(repo, two_sharing):
    first, second, _ = two_sharing
    keeper = RetentionRecorder(repo.destination)
    in_ten_days = datetime.now(UTC) + timedelta(days=10)
    repo.set_retention_lock(second, in_ten_days)
    repo.maintain_locks({}, keeper=keeper)
    assert all(keeper.until[name] >= in_ten_days for name in repo.objects_of(second))
    keeper.until = {name: until + timedelta(days=100) for name, until in keeper.until.items()}
    later = dict(keeper.until)
    report = repo.maintain_locks({second: in_ten_days}, keeper=keeper)
    assert report.objects_extended == 0 and report.objects_long_enough == len(later)
    assert keeper.until == later


def test_one_restore_point_only(repo, two_sharing):
    """What the ``lock`` task extends: one restore point's objects to its lock date, nobody else's."""
    first, second, _ = two_sharing
    keeper = RetentionRecorder(repo.destination)
    until = datetime.now(UTC) + timedelta(days=20)
    report = repo.maintain_locks({second: until}, [second], keeper=keeper)
    keys = {info.name for info in repo.destination.list("keys/")}
    assert report.ok and report.restore_points == 1
    assert set(keeper.until) == set(repo.objects_of(second)) | {"config"} | keys
    assert all(date >= until for date in keeper.until.values())


def test_failures_are_reported_per_object_and_the_others_still_extended(repo, two_sharing):
    first, second, _ = two_sharing
    pack = next(name for name in repo.objects_of(first) if name.startswith("data/"))
    keeper = RetentionRecorder(repo.destination, failing={pack})
    report = repo.maintain_locks({first: datetime.now(UTC) + timedelta(days=3), "vanished-point": "2099-01-01"},
                                 keeper=keeper)
    assert not report.ok and report.objects_failed == 1
    assert report.missing_locked == ["vanished-point"]
    assert any(failure.startswith(pack) and "AccessDenied" in failure for failure in report.failures)
    assert any("vanished-point" in failure for failure in report.failures)
    assert pack not in keeper.until and len(keeper.until) == report.objects_extended > 0


def test_a_missing_pack_is_a_failure_not_a_crash(repo, two_sharing):
    first, _, _ = two_sharing
    pack = next(name for name in repo.objects_of(first) if name.startswith("data/"))
    repo.destination.delete(pack)
    report = repo.maintain_locks({}, keeper=RetentionRecorder(repo.destination))
    assert not report.ok and any(failure.startswith(pack) and "not found" in failure for failure in report.failures)


def test_an_unreadable_document_is_reported(repo, two_sharing):
    first, _, _ = two_sharing
    repo.destination.put(f"restore-points/{first}", b"garbage")
    report = repo.maintain_locks({}, keeper=RetentionRecorder(repo.destination))
    assert not report.ok and report.unreadable_restore_points and report.restore_points == 1
    assert any(first in failure for failure in report.failures)


def test_a_destination_without_retention_is_refused(repo):
    with pytest.raises(InvalidRequest, match="no per-object retention"):
        repo.maintain_locks({})
