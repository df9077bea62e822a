# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The rules every file-level restore path follows (no traversal, bounded), and the download area: names only this
code makes, nothing served after its TTL, leftovers swept."""
from __future__ import annotations

import os
import time

import pytest
from storage_backup.filebrowse import download_area
from storage_backup.filebrowse.paths import InvalidPath, normal_path, path_parts


def test_paths_are_absolute_and_never_climb():
    assert path_parts("/") == [] and path_parts("/etc//ssh/") == ["etc", "ssh"]
    assert normal_path("/var/log/") == "/var/log"
    for bad, why in (("etc", "absolute"), ("/etc/../root", r"\. or \.\."), ("/./etc", r"\. or \.\."),
                     ("/a\x00b", "NUL"), ("/" + "x" * 256, "longer than 255"), ("/a" * 2049, "4096 bytes")):
        with pytest.raises(InvalidPath, match=why):
            path_parts(bad)
    with pytest.raises(InvalidPath):
        path_parts(None)  # type: ignore[arg-type]


def test_the_area_serves_only_its_own_names_and_only_until_they_expire(tmp_path):
    env = {"STORAGE_BACKUP_DOWNLOAD_DIR": str(tmp_path / "area"), "STORAGE_BACKUP_DOWNLOAD_TTL": "60"}
    directory = download_area.prepare(env)
    assert os.stat(directory).st_mode & 0o777 == 0o700
    name = download_area.stored_name("6f1c-job", "zip")
    path = os.path.join(directory, name)
    with open(path, "wb") as handle:
        handle.write(b"PK")
    assert download_area.path_of(name, env) == path
    for hostile in ("../../etc/passwd", "a/b.zip", "x.exe", "", "6f1c-job.zip.part"):
        assert download_area.path_of(hostile, env) is None
    with pytest.raises(ValueError):
        download_area.stored_name("../x", "zip")
    old = time.time() - 120
    os.utime(path, (old, old))
    assert download_area.path_of(name, env) is None and not os.path.exists(path)  # expired: removed, not served


def test_sweep_removes_what_is_older_than_the_ttl(tmp_path):
    env = {"STORAGE_BACKUP_DOWNLOAD_DIR": str(tmp_path), "STORAGE_BACKUP_DOWNLOAD_TTL": "10"}
    for name, age in (("a.tar", 5), ("b.zip", 50), ("c.raw.part", 50)):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (time.time() - age, time.time() - age))
    assert download_area.sweep(env) == 2
    assert sorted(os.listdir(tmp_path)) == ["a.tar"]
    assert download_area.sweep({"STORAGE_BACKUP_DOWNLOAD_DIR": str(tmp_path / "none")}) == 0


def test_settings_are_checked():
    assert download_area.max_bytes({}) == download_area.DEFAULT_MAX_BYTES
    with pytest.raises(ValueError, match="STORAGE_BACKUP_DOWNLOAD_MAX_BYTES must be a whole number"):
        download_area.max_bytes({"STORAGE_BACKUP_DOWNLOAD_MAX_BYTES": "lots"})
    with pytest.raises(ValueError, match="must be positive"):
        download_area.ttl_seconds({"STORAGE_BACKUP_DOWNLOAD_TTL": "0"})
    assert download_area.download_dir({"STORAGE_BACKUP_DATA_DIR": "/srv/sb"}) == "/srv/sb/downloads"
