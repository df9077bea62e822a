# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Deduplication domains: chunk ids keyed per domain (a project), so one project's backups never deduplicate
against another's and ``bytes_deduplicated`` tells nobody what is in someone else's restore points (issue 10,
item 6). Restore points record their domain; restore, verify, check and prune recompute ids with its key."""
from __future__ import annotations

import pytest
from storage_backup.repository import Repository

from tests.support.repository_images import BLOCK, MiB, read, write_image


def _backup(repository: Repository, path, domain: str | None, key: str = "disk", **kwargs):
    with repository.start_restore_point({"name": "test"}, dedup_domain=domain) as writer:
        entry = writer.backup_volume(key, str(path), **kwargs)
        return writer.commit(), entry


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "disk.img"
    write_image(path, 2 * MiB, seed=3, pattern="r")  # random blocks: no block repeats inside the image
    return path


def test_two_domains_do_not_deduplicate_against_each_other(repo, image, tmp_path):
    first, first_entry = _backup(repo, image, "project:aaa", strategy="full")
    second, second_entry = _backup(repo, image, "project:bbb", strategy="full")
    assert first_entry.stats["bytes_deduplicated"] == 0
    # The same bytes in another project: stored again, nothing learnt from the first project's restore point.
    assert second_entry.stats["bytes_deduplicated"] == 0
    assert second_entry.stats["bytes_new"] == 2 * MiB
    first_ids = {r.chunk_id for r in repo.volume_records(first) if r.chunk_id}
    second_ids = {r.chunk_id for r in repo.volume_records(second) if r.chunk_id}
    assert first_ids and second_ids and not first_ids & second_ids
    assert repo.get_restore_point(first).dedup_domain == "project:aaa"
    assert repo.get_restore_point(second).dedup_domain == "project:bbb"
    # Each restores, verifies and checks with its own domain's key.
    for restore_point in (first, second):
        target = tmp_path / f"{restore_point}.img"
        repo.restore_volume(restore_point, "disk", str(target))
        assert read(target) == read(image)
        assert repo.verify_volume(restore_point, "disk")["chunks"] == 2 * MiB // BLOCK
    report = repo.check(read_data=True)
    assert report.ok, report.errors


def test_one_domain_deduplicates_within_itself(repo, image):
    _backup(repo, image, "project:aaa", key="vol-a", strategy="full")
    _, entry = _backup(repo, image, "project:aaa", key="vol-b", strategy="full")
    assert entry.stats["bytes_deduplicated"] == 2 * MiB
    assert entry.stats["bytes_new"] == 0


def test_the_repository_wide_domain_deduplicates_across_everything(repo, image):
    """``dedup_domain=None`` (a destination an admin opened to cloud-wide deduplication): the repository's key."""
    _backup(repo, image, None, key="vol-a", strategy="full")
    restore_point, entry = _backup(repo, image, None, key="vol-b", strategy="full")
    assert entry.stats["bytes_deduplicated"] == 2 * MiB
    assert repo.get_restore_point(restore_point).dedup_domain is None
    assert repo.chunk_id(read(image)[:BLOCK]) == next(iter(repo.volume_records(restore_point))).chunk_id


def test_chunk_id_of_a_restore_point_uses_its_domain(repo, image):
    restore_point, _ = _backup(repo, image, "project:aaa", strategy="full")
    first = next(iter(repo.volume_records(restore_point)))
    block = read(image)[:BLOCK]
    assert repo.chunk_id(block, restore_point=restore_point) == first.chunk_id
    assert repo.chunk_id(block) != first.chunk_id  # the repository's own key is another domain


def test_incremental_over_another_domain_is_a_full_backup(repo, image):
    """Ids of another domain cannot be carried over (they would not verify under this domain's key)."""
    first, _ = _backup(repo, image, None, strategy="full")
    second, entry = _backup(repo, image, "project:aaa", previous=first)
    assert entry.strategy == "full"
    assert entry.stats["bytes_new"] == 2 * MiB
    assert any("deduplication domain" in note for note in entry.notes)
    assert repo.verify_volume(second, "disk")["chunks"] == 2 * MiB // BLOCK
    third, entry = _backup(repo, image, "project:aaa", previous=second)
    assert entry.strategy == "incremental" and entry.stats["bytes_unchanged"] == 2 * MiB
    assert repo.verify_volume(third, "disk")["chunks"] == 2 * MiB // BLOCK


def test_changed_extents_over_another_domain_read_the_whole_volume(repo, image, tmp_path):
    first, _ = _backup(repo, image, "project:aaa", strategy="full")
    second, entry = _backup(repo, image, "project:bbb", previous=first, changed_extents=[(0, BLOCK)])
    assert entry.strategy == "full"
    assert entry.stats["bytes_read"] == 2 * MiB
    target = tmp_path / "restored.img"
    repo.restore_volume(second, "disk", str(target))
    assert read(target) == read(image)


def test_prune_keeps_the_chunks_of_every_domain(repo, image, tmp_path):
    first, _ = _backup(repo, image, "project:aaa", strategy="full")
    second, _ = _backup(repo, image, "project:bbb", strategy="full")
    repo.prune()
    for restore_point in (first, second):
        target = tmp_path / f"{restore_point}.img"
        repo.restore_volume(restore_point, "disk", str(target))
        assert read(target) == read(image)
    assert repo.check(read_data=True).ok


def test_check_still_finds_an_altered_chunk_of_a_domain(tmp_path, image):
    """Matching a chunk against the known domains' keys must not make a damaged chunk pass."""
    root = tmp_path / "plain"
    repo = Repository.init(str(root), block_size=BLOCK, pack_size=MiB)
    _backup(repo, image, "project:aaa", strategy="full")
    pack = next(p for p in (root / "data").rglob("*") if p.is_file())
    data = bytearray(pack.read_bytes())
    data[100] ^= 0xFF
    pack.write_bytes(data)
    report = repo.check(read_data=True)
    assert not report.ok
    assert report.damaged_chunks
