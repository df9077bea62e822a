# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Encryption at rest: AES-256-GCM with a per-repository key wrapped by the password."""
from __future__ import annotations

import json
import os

import pytest
from storage_backup.repository import PasswordRequired, Repository, WrongPassword

from tests.support.repository_images import BLOCK, MiB, backup, read

MARKER = b"TOP-SECRET-PLAINTEXT-MARKER-0123456789 "


def _all_files(root):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            yield os.path.join(dirpath, name)


def test_encrypted_round_trip_and_no_plaintext_on_disk(tmp_path):
    root = tmp_path / "repo"
    repo = Repository.init(str(root), password="correct horse", block_size=BLOCK)
    assert repo.config.encrypted
    image = tmp_path / "secret.img"
    image.write_bytes(MARKER * (2 * MiB // len(MARKER)) + os.urandom(MiB))
    restore_point, _ = backup(repo, image, labels={"name": "secret-name-label"},)
    for path in _all_files(root):
        data = read(path)
        assert MARKER[:16] not in data, path
        assert b"secret-name-label" not in data, path
    config = json.loads(read(root / "config"))
    assert "id_key" not in config and config["encryption"] == "aes-256-gcm"
    key_files = list((root / "keys").iterdir())
    assert len(key_files) == 1
    reopened = Repository.open(str(root), password=b"correct horse")
    reopened.restore_volume(restore_point, "disk", str(tmp_path / "out.img"))
    assert read(tmp_path / "out.img") == read(image)
    assert reopened.check(read_data=True).ok


def test_wrong_or_missing_password_is_refused_clearly(tmp_path):
    root = tmp_path / "repo"
    Repository.init(str(root), password="right")
    with pytest.raises(WrongPassword, match="wrong password"):
        Repository.open(str(root), password="wrong")
    with pytest.raises(PasswordRequired, match="STORAGE_BACKUP_PASSWORD"):
        Repository.open(str(root))


def test_add_password_and_identical_data_differs_across_repositories(tmp_path):
    repo = Repository.init(str(tmp_path / "one"), password="first", block_size=BLOCK)
    repo.add_password("second")
    Repository.open(str(tmp_path / "one"), password="second")
    other = Repository.init(str(tmp_path / "two"), password="first", block_size=BLOCK)
    block = os.urandom(BLOCK)
    # Chunk ids are keyed per repository: the same block has unrelated ids in two repositories.
    assert repo.chunk_id(block) != other.chunk_id(block)


def test_tampered_ciphertext_is_detected(tmp_path):
    root = tmp_path / "repo"
    repo = Repository.init(str(root), password="pw", block_size=BLOCK, pack_size=MiB)
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(2 * MiB))
    restore_point, _ = backup(repo, image)
    pack = next(path for path in _all_files(root / "data"))
    with open(pack, "r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 1]))
    report = Repository.open(str(root), password="pw").check(read_data=True)
    assert not report.ok
    assert any("authentication failed" in error for error in report.errors)
