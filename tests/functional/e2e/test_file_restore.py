# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""File-level restore through the whole product: the guest writes a GPT disk holding an ext4 filesystem (made by
``mkfs.ext4 -d``) to ``web-1``'s data volume, a backup takes it, and through the REST API alone the tenant lists
folders, searches by name and downloads a file and folders (tar, zip) — byte for byte what the guest wrote — while
every step ran on the data worker, the only one holding the repository's secret. The same through the real
``openstack storage backup file`` commands. Another project gets 404 through every path."""
from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile

import pytest

from tests.functional.cli.conftest import register_in_catalog
from tests.functional.cli.test_openstack_cli import openstack
from tests.functional.e2e.support import expect_api_error
from tests.support.filesystem_images import make_ext4, make_gpt, populate

STATE: dict = {}
pytestmark = pytest.mark.timeout(120)


def test_backup_of_a_volume_holding_ext4(stack, tmp_path):
    tree = tmp_path / "tree"
    files = populate(tree, many=50)
    disk = tmp_path / "disk.img"
    make_gpt(disk, make_ext4(tmp_path / "fs.img", tree, 32 * 1024 * 1024))
    web = stack.server_named("web-1")
    member = stack.client()
    member.protect(web.id, stack.policy(name="files", strategy="full")["id"])
    data = next(a.volume_id for a in stack.service.compute.volume_attachments(web.id) if a.device != "/dev/vda")
    with open(disk, "rb") as source, open(stack.guest_device(web.id, data), "r+b") as device:  # the guest writes
        device.write(source.read())
        device.flush()
        os.fsync(device.fileno())
    job = stack.run_backup(web.id)
    STATE.update(point=job["restore_point_id"], volume=data, files=files, web=web)


def test_list_a_folder_and_search_by_name(stack):
    member, point, volume = stack.client(), STATE["point"], STATE["volume"]
    root = member.file_list(point, volume)
    assert (root["filesystem"], root["partition"], root["path"]) == ("ext4", 2, "/")
    assert [(part["number"], part["filesystem"]) for part in root["partitions"]] == [(1, None), (2, "ext4")]
    assert {entry["name"] for entry in root["entries"]} >= {"etc", "var", "home", "empty-dir", "lost+found"}
    etc = member.file_list(point, volume, "/etc/")
    by_name = {entry["name"]: entry for entry in etc["entries"]}
    assert by_name["hostname"]["type"] == "file" and by_name["hostname"]["size"] == 6
    assert by_name["link-to-hostname"]["target"] == "hostname"
    found = member.file_list(point, volume, "/", search="sshd")
    assert [entry["path"] for entry in found["entries"]] == ["/etc/ssh/sshd_config"]
    logs = member.file_list(point, volume, "/var", search="*.log", limit=10)
    assert len(logs["entries"]) == 10 and logs["truncated"] is True
    jobs = {job["type"] for job in member.job_list(instance_id=STATE["web"].id)}
    assert "file_browse" in jobs


def test_download_a_file_and_folders(stack):
    member, point, volume, files = stack.client(), STATE["point"], STATE["volume"], STATE["files"]
    out = io.BytesIO()
    name, size = member.file_download(point, volume, "/var/lib/app/data.bin", out)
    assert (name, size) == ("data.bin", len(files["var/lib/app/data.bin"]))
    assert out.getvalue() == files["var/lib/app/data.bin"]
    out = io.BytesIO()
    name, _ = member.file_download(point, volume, "/var/lib", out, format="tar")
    assert name == "lib.tar"
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        assert tar.extractfile("lib/app/sparse.bin").read() == files["var/lib/app/sparse.bin"]
    out = io.BytesIO()
    name, _ = member.file_download(point, volume, "/etc", out, format="zip")
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
        assert package.read("etc/ssh/sshd_config") == files["etc/ssh/sshd_config"]
    download = [job for job in member.job_list(instance_id=STATE["web"].id) if job["type"] == "file_restore"][0]
    assert download["proxy"] == stack.data_worker.node_name and download["state"] == "succeeded"
    STATE["download_job"] = download["id"]


def test_bad_requests_say_what_is_wrong(stack):
    member, point, volume = stack.client(), STATE["point"], STATE["volume"]
    error = expect_api_error(400, member.file_list, point, volume, "/etc/../root")
    assert error.field == "path"
    assert expect_api_error(400, member.file_list, point, volume, "etc").field == "path"
    assert expect_api_error(400, member.file_list, point, volume, "/", limit=-1).field == "limit"
    assert expect_api_error(400, member.file_download_start, point, volume, "/etc", format="rar").field == "format"
    assert "does not exist" in expect_api_error(404, member.file_list, point, volume, "/nothing/here").message
    assert expect_api_error(422, member.file_list, point, volume, "/etc/hostname").status == 422
    expect_api_error(404, member.file_list, point, "no-such-volume")
    expect_api_error(404, member.file_list, point, volume, "/", partition=9)
    failed = member.file_download_start(point, volume, "/etc/missing")
    job = stack.wait_job(failed["id"])
    assert job["state"] == "failed" and "/etc/missing does not exist" in job["error"]
    expect_api_error(409, member.job_download, job["id"], io.BytesIO())


def test_another_project_sees_nothing(stack):
    other, point, volume = stack.client("alt-member"), STATE["point"], STATE["volume"]
    expect_api_error(404, other.file_list, point, volume)
    expect_api_error(404, other.file_list, point, volume, "/etc", search="host")
    expect_api_error(404, other.file_download_start, point, volume, "/etc")
    expect_api_error(404, other.job_download, STATE["download_job"], io.BytesIO())
    assert not [job for job in other.job_list() if job["type"] in ("file_browse", "file_restore")]


def test_the_openstack_cli_lists_searches_and_downloads(stack, tmp_path):
    register_in_catalog(stack)
    point, volume, files = STATE["point"], STATE["volume"], STATE["files"]
    listed = json.loads(openstack(stack, "file", "list", point, volume, "--path", "/etc", "-f", "json").stdout)
    assert {"Name": "hostname", "Type": "file", "Size": 6} in [
        {key: row[key] for key in ("Name", "Type", "Size")} for row in listed]
    found = json.loads(openstack(stack, "file", "search", point, volume, "SSHD", "-f", "json").stdout)
    assert [row["Path"] for row in found] == ["/etc/ssh/sshd_config"]
    target = tmp_path / "notes.txt"
    shown = json.loads(openstack(stack, "file", "download", point, volume, "/home/user/notes.txt", "--file",
                                 str(target), "-f", "json").stdout)
    assert target.read_bytes() == files["home/user/notes.txt"] and shown["bytes"] == target.stat().st_size
    failed = openstack(stack, "file", "download", point, volume, "/home/user/notes.txt", "--file", str(target),
                       expect=1)
    assert "exists" in failed.stderr
    folder = tmp_path / "etc.zip"
    openstack(stack, "file", "download", point, volume, "/etc", "--archive", "zip", "--file", str(folder))
    with zipfile.ZipFile(folder) as package:
        assert package.read("etc/hostname") == files["etc/hostname"]
    refused = openstack(stack, "file", "list", point, volume, "--path", "/etc", user="alt-member", expect=1)
    assert "HTTP 404" in refused.stderr
