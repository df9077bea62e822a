# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup file list|search|download`` without a service: arguments into the client's calls,
the table, and a download written to a file only once complete, never over an existing one."""
from __future__ import annotations

from unittest import mock

import pytest
from osc_lib import exceptions
from storage_backup_client.osc.v1 import files

LISTING = {"filesystem": "ext4", "partition": 2, "truncated": False, "entries": [
    {"name": "ssh", "type": "directory", "size": 0, "mtime": 0, "mode": "0755"},
    {"name": "hostname", "type": "file", "size": 6, "mtime": 1796000000, "mode": "0644"}]}


def command(cls, client):
    app = mock.Mock()
    app.client_manager.storage_backup = client
    return cls(app, None)


def parse(cmd, *argv):
    return cmd.get_parser("openstack storage backup file").parse_args(list(argv))


def test_list_passes_path_partition_and_limit_and_shows_a_table(capsys):
    client = mock.Mock()
    client.file_list.return_value = LISTING
    cmd = command(files.ListFiles, client)
    headers, rows = cmd.take_action(parse(cmd, "rp-1", "vol-1", "--path", "/etc", "--partition", "2", "--limit", "5"))
    client.file_list.assert_called_once_with("rp-1", "vol-1", "/etc", partition=2, limit=5)
    rows = list(rows)
    assert headers[:3] == ("Name", "Type", "Size") and [row[0] for row in rows] == ["ssh", "hostname"]
    assert rows[1][3] == "2026-11-30 00:53:20" and rows[1][2].machine_readable() == 6
    assert "ext4, partition 2: 2 entries" in capsys.readouterr().err


def test_search_sends_the_pattern():
    client = mock.Mock()
    client.file_list.return_value = {**LISTING, "entries": [{**LISTING["entries"][1], "path": "/etc/hostname"}]}
    cmd = command(files.SearchFiles, client)
    headers, rows = cmd.take_action(parse(cmd, "rp-1", "vol-1", "*.conf", "--path", "/etc"))
    client.file_list.assert_called_once_with("rp-1", "vol-1", "/etc", search="*.conf", partition=None, limit=None)
    assert headers[0] == "Path" and [row[0] for row in rows] == ["/etc/hostname"]


def _client_with_download(payload: bytes):
    client = mock.Mock()
    client.file_download_start.return_value = {"id": "job-9", "state": "succeeded", "log": [], "progress": {},
                                               "result": {"file_name": "etc.zip", "format": "zip", "files": 3}}

    def download(job_id, out):
        out.write(payload)
        return "etc.zip", len(payload)

    client.job_download.side_effect = download
    return client


def test_download_writes_the_file_and_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    client = _client_with_download(b"PK zip bytes")
    cmd = command(files.DownloadFiles, client)
    names, values = cmd.take_action(parse(cmd, "rp-1", "vol-1", "/etc", "--archive", "zip"))
    client.file_download_start.assert_called_once_with("rp-1", "vol-1", "/etc", "zip", None)
    assert (tmp_path / "etc.zip").read_bytes() == b"PK zip bytes"
    assert dict(zip(names, values, strict=True))["bytes"] == 12 and not (tmp_path / "etc.zip.part").exists()
    with pytest.raises(exceptions.CommandError, match="etc.zip exists"):
        cmd.take_action(parse(cmd, "rp-1", "vol-1", "/etc", "--archive", "zip"))
    cmd.take_action(parse(cmd, "rp-1", "vol-1", "/etc", "--file", "etc.zip", "--force"))


def test_a_failed_download_job_is_the_command_error(tmp_path):
    client = mock.Mock()
    client.file_download_start.return_value = {"id": "job-9", "state": "failed", "log": [], "progress": {},
                                               "error": "/etc/missing does not exist in this restore point"}
    cmd = command(files.DownloadFiles, client)
    with pytest.raises(exceptions.CommandError, match="does not exist"):
        cmd.take_action(parse(cmd, "rp-1", "vol-1", "/etc/missing", "--file", str(tmp_path / "x")))
    assert not (tmp_path / "x").exists()


def test_an_unknown_archive_format_is_refused_by_the_parser():
    cmd = command(files.DownloadFiles, mock.Mock())
    with pytest.raises(SystemExit):
        parse(cmd, "rp-1", "vol-1", "/etc", "--archive", "rar")
