# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Issue 10 item 2: a lock date never breaks the repository, and one unreadable restore-point document never breaks
listing, deletion, retention, prune or check of the others: it is reported and skipped."""
from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from storage_backup import cli
from storage_backup.repository import Repository, RetentionLocked
from storage_backup.repository.format import restore_point_name

from tests.support.repository_images import MiB, backup


@pytest.fixture
def three(repo, tmp_path):
    image = tmp_path / "disk.img"
    ids = []
    for number in range(3):
        image.write_bytes(os.urandom(1 * MiB))
        ids.append(backup(repo, image, labels={"name": f"series-{number}"})[0])
    return repo, ids


def test_times_are_written_zero_padded_and_read_leniently():
    from storage_backup.repository.times import format_time, parse_time

    assert format_time(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000000Z"
    assert format_time(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)) == "9999-12-31T23:59:59.000000Z"
    for legacy in ("1-01-01T00:00:00.000000Z", "0001-01-01T00:00:00Z", "0001-01-01 00:00:00", "1-1-1T0:00Z"):
        assert parse_time(legacy) == datetime(1, 1, 1, tzinfo=UTC), legacy
    assert parse_time("2030-01-02T03:04:05+02:00") == datetime(2030, 1, 2, 1, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("next tuesday")


def test_a_lock_of_year_1_leaves_the_restore_point_deletable_and_listable(three):
    repo, ids = three
    repo.set_retention_lock(ids[0], datetime(1, 1, 1, tzinfo=UTC))
    assert repo.get_restore_point(ids[0]).lock_until == "0001-01-01T00:00:00.000000Z"
    assert [point.id for point in repo.list_restore_points()] == ids
    repo.delete_restore_point(ids[0])  # year 1 is long past: not locked
    assert repo.restore_point_ids() == sorted(ids[1:])


def test_a_lock_written_unpadded_by_an_older_release_is_read(three, capsys):
    repo, ids = three
    store = repo._store
    document = store.get_restore_point(ids[1])
    document.lock_until = "1-01-01T00:00:00.000000Z"  # what %Y wrote for year 1
    store.put_restore_point(document)
    assert repo.get_restore_point(ids[1]).lock_until == "0001-01-01T00:00:00.000000Z"
    assert not repo.get_restore_point(ids[1]).locked()
    assert cli.main(["repo", "list", "--repo", repo.location]) == 0
    assert ids[1] in capsys.readouterr().out
    repo.delete_restore_point(ids[1])


def test_a_lock_date_nobody_can_read_counts_as_locked(three):
    repo, ids = three
    store = repo._store
    document = store.get_restore_point(ids[2])
    document.lock_until = "not a date"
    store.put_restore_point(document)
    with pytest.raises(RetentionLocked):
        repo.delete_restore_point(ids[2])
    later = datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert repo.set_retention_lock(ids[2], later).lock_until == "2099-01-02T03:04:05.000000Z"


def _plant_corrupt_document(repo: Repository) -> str:
    bad_id = "0" * 31 + "f"
    repo.destination.put(restore_point_name(bad_id), b"SBKO\x01\x00\x01\x00" + os.urandom(200))
    return bad_id


def test_a_corrupt_document_is_named_and_the_others_listed(three, capsys):
    repo, ids = three
    bad_id = _plant_corrupt_document(repo)
    unreadable = []
    assert [point.id for point in repo.list_restore_points(unreadable=unreadable)] == ids
    assert [item[0] for item in unreadable] == [bad_id]
    assert cli.main(["repo", "list", "--repo", repo.location]) == 0
    output = capsys.readouterr()
    assert all(point_id in output.out for point_id in ids)
    assert bad_id in output.err and "cannot be read" in output.err
    assert cli.main(["repo", "list", "--json", "--repo", repo.location]) == 0
    assert bad_id in capsys.readouterr().err


def test_a_corrupt_document_stops_neither_check_nor_prune_nor_the_deletion_of_others(three, capsys):
    repo, ids = three
    bad_id = _plant_corrupt_document(repo)
    report = repo.check()
    assert report.restore_points == 3 and any(bad_id in error for error in report.errors)
    repo.delete_restore_point(ids[0])  # retention deletes the others as before
    pruned = repo.prune()
    assert pruned.restore_points == 2 and [item.split(":")[0] for item in pruned.unreadable_restore_points] == [bad_id]
    assert pruned.packs_deleted == 0  # what the unreadable one uses is unknown: nothing deleted on a guess
    assert cli.main(["repo", "prune", "--repo", repo.location]) == 0
    assert bad_id in capsys.readouterr().out
    repo.destination.delete(restore_point_name(bad_id))
    assert repo.prune().packs_deleted >= 1 and repo.check(read_data=True).ok


def test_a_backup_whose_previous_document_cannot_be_read_is_a_full_one(three, tmp_path):
    repo, ids = three
    repo.destination.put(restore_point_name(ids[-1]), b"SBKO\x01\x00\x01\x00" + os.urandom(200))
    image = tmp_path / "disk.img"
    point, entry = backup(repo, image, previous=ids[-1])
    assert entry.strategy == "full" and any("cannot be read" in note for note in entry.notes)
    repo.restore_volume(point, "disk", str(tmp_path / "out.img"))
    assert (tmp_path / "out.img").read_bytes() == image.read_bytes()
