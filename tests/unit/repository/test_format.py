# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The versioned format: newer versions are refused with a message, never misread."""
from __future__ import annotations

import json
import struct

import pytest
from storage_backup.repository import CorruptObject, Repository, RepositoryExists, RepositoryNotFound, UnsupportedFormat
from storage_backup.repository.format import ENVELOPE, FORMAT_VERSION, restore_point_name

from tests.support.repository_images import MiB, backup, write_image


def test_repository_of_a_newer_format_is_refused(tmp_path):
    root = tmp_path / "repo"
    Repository.init(str(root))
    config = json.loads((root / "config").read_text())
    config["version"] = FORMAT_VERSION + 1
    (root / "config").write_text(json.dumps(config))
    newer = rf"format version {FORMAT_VERSION + 1}, newer than this storage-backup understands"
    with pytest.raises(UnsupportedFormat, match=newer):
        Repository.open(str(root))


def test_restore_point_of_a_newer_format_is_refused(repo, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, MiB, pattern="r")
    restore_point, _ = backup(repo, image)
    path = repo.destination._path(restore_point_name(restore_point))
    data = bytearray(open(path, "rb").read())
    magic, version, kind, reserved = ENVELOPE.unpack_from(data)
    ENVELOPE.pack_into(data, 0, magic, version + 1, kind, reserved)
    open(path, "wb").write(data)
    with pytest.raises(UnsupportedFormat, match="newer than this storage-backup understands"):
        repo.get_restore_point(restore_point)


def test_restore_point_document_records_the_format_version(repo, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, MiB, pattern="r")
    restore_point, _ = backup(repo, image)
    point = repo.get_restore_point(restore_point)
    assert point.format_version == FORMAT_VERSION
    assert point.volumes[0].block_size == repo.config.block_size


def test_pack_of_a_newer_format_is_refused_by_check(repo, tmp_path):
    image = tmp_path / "disk.img"
    write_image(image, MiB, pattern="r")
    backup(repo, image)
    pack = next((tmp_path / "repo" / "data").rglob("*"))
    while pack.is_dir():
        pack = next(pack.iterdir())
    data = bytearray(pack.read_bytes())
    struct.pack_into("<H", data, len(data) - 8, FORMAT_VERSION + 1)
    pack.write_bytes(data)
    report = repo.check(read_data=True)
    assert any("newer than this storage-backup understands" in error for error in report.errors)


def test_not_a_repository_and_already_a_repository(tmp_path):
    with pytest.raises(RepositoryNotFound, match="repo init"):
        Repository.open(str(tmp_path / "nothing"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config").write_text('{"kind": "something-else"}')
    with pytest.raises(CorruptObject, match="not a storage-backup repository"):
        Repository.open(str(tmp_path / "other"))
    Repository.init(str(tmp_path / "repo"))
    with pytest.raises(RepositoryExists):
        Repository.init(str(tmp_path / "repo"))
