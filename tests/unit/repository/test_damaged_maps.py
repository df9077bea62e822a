# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""An incremental backup whose previous restore point's maps are damaged or missing is not a failed backup: it reads
what it cannot compare and stores it again (found by the fault matrix: a pack deleted, then the next backup of the
instance failed "chunk … is in a pack that is missing")."""
from __future__ import annotations

import os

from storage_backup.repository.format import pack_name

from tests.support.repository_images import MiB, backup, read


def _pack_files(repo) -> list[str]:
    return sorted(os.path.join(folder, name) for folder, _, files in os.walk(os.path.join(repo.location, "data"))
                  for name in files)


def _map_packs(repo, point: str) -> set[str]:
    """The pack files holding the maps of ``point``'s volume (manifest and checksum map)."""
    store = repo._store
    entry = store.get_restore_point(point).volume("disk")
    maps = store.volume_maps(store.get_restore_point(point), entry)
    ids = set(maps.map_chunk_ids())
    return {repo.destination._path(pack_name(store.index.get(chunk_id)[0])) for chunk_id in ids}


def test_the_next_backup_stores_again_what_damaged_maps_no_longer_describe(repo, tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(3 * MiB))
    first, _ = backup(repo, image)
    for path in _map_packs(repo, first):  # the maps' packs gone (and with them whatever data they held)
        os.unlink(path)
    repo._store.refresh_index(force=True)
    second, _ = backup(repo, image, previous=first)
    volume = repo.get_restore_point(second).volume("disk")
    assert any("cannot be read" in note for note in volume.notes), volume.notes
    restored = tmp_path / "restored.img"
    repo.restore_volume(second, "disk", str(restored))
    assert read(restored) == read(image)
