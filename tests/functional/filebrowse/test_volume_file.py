# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A restore point's volume read as a file (``Repository.open_volume``): a GPT disk holding ext4, backed up into a
real repository, browsed and archived through the chunks without writing the volume out, with a bounded cache."""
from __future__ import annotations

import io
import tarfile

import pytest
from storage_backup.filebrowse import archive, browse
from storage_backup.repository import ChunkError, Repository, VolumeNotFound

from tests.support.filesystem_images import make_gpt
from tests.support.repository_images import MiB, backup

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def backed_up(ext4_image, tmp_path_factory):
    root = tmp_path_factory.mktemp("repository")
    disk = root / "disk.img"
    make_gpt(disk, ext4_image)
    repository = Repository.init(str(root / "repo"), block_size=64 * 1024, pack_size=1 * MiB)
    point, _ = backup(repository, disk, key="vol-1")
    return repository, point, disk


def test_reads_match_the_disk_at_any_offset(backed_up):
    repository, point, disk = backed_up
    data = disk.read_bytes()
    with repository.open_volume(point, "vol-1", cache_chunks=4) as volume:
        assert volume.size == len(data)
        for offset, length in ((0, 512), (65_530, 20), (3 * MiB + 17, 200_000), (len(data) - 10, 100)):
            assert volume.pread(offset, length) == data[offset:offset + length]
        volume.seek(1024)
        assert volume.read(4096) == data[1024:5120] and volume.tell() == 5120
        assert len(volume._cache) <= 4  # the LRU never holds more than it was given


def test_browse_and_archive_through_the_repository(backed_up, tree):
    repository, point, _ = backed_up
    with repository.open_volume(point, "vol-1") as volume:
        opened = browse.open_filesystem(volume)
        assert (opened.filesystem.name, opened.partition.number) == ("ext4", 2)
        entries, _ = browse.list_directory(opened.filesystem, "/etc/ssh")
        assert [entry["name"] for entry in entries] == ["sshd_config"]
        listing_reads = volume.chunks_read
        assert listing_reads < 40  # metadata only, not the volume
        out = io.BytesIO()
        archive.write_archive(opened.filesystem, "/var/lib", "tar", out, 1 << 30)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        assert tar.extractfile("lib/app/data.bin").read() == tree[1]["var/lib/app/data.bin"]


def test_unknown_volume_and_damaged_chunk(backed_up, tmp_path):
    repository, point, _ = backed_up
    with pytest.raises(VolumeNotFound, match="no volume 'nope'"):
        repository.open_volume(point, "nope")
    with repository.open_volume(point, "vol-1") as volume:
        volume._store.read_chunk = _broken(volume._store.read_chunk)
        with pytest.raises(ChunkError):
            volume.pread(3 * MiB, 10)


def _broken(read_chunk):
    from storage_backup.repository import ChunkCorrupt

    def read(chunk_id, **where):
        raise ChunkCorrupt("is damaged (test)", chunk_id, volume=where.get("volume"), offset=where.get("offset"))

    return read
