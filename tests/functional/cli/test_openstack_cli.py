# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The real ``openstack`` command (python-openstackclient with this product's plugin, ``storage-backup-client``)
as a tenant runs it, against the whole product: OS_* variables name the embedded Keystone on 127.0.0.1, the
plugin finds the REST API in the token's catalog (``data-protection``), and the workers really back up and restore.

``demo-member`` makes a policy, protects ``web-1`` by name, backs it up with ``--wait`` (progress lines on stderr,
exit 0), lists, shows, verifies and locks the restore point, is refused its deletion with the API's own message and
exit code 1, restores one volume and the whole instance (followed with ``job show --wait``), sees a verify of a
damaged repository end ``--wait`` with exit code 1, and unwinds.

The tests run in order and build on each other (``STATE``).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from storage_backup_sandbox.seed import user as sandbox_user

STATE: dict = {}
OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")
pytestmark = pytest.mark.timeout(240)


def openstack(stack, *args: str, user: str = "demo-member", expect: int = 0) -> subprocess.CompletedProcess:
    """``openstack storage backup ARGS`` as ``user``, configured by OS_* variables only (no clouds.yaml, no
    proxy); asserts the exit code."""
    spec = sandbox_user(user)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("OS_") and name.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(HOME=STATE.setdefault("home", stack.base_dir), NO_PROXY="127.0.0.1,localhost",
               OS_AUTH_URL=stack.handle.auth_url, OS_IDENTITY_API_VERSION="3", OS_USERNAME=spec.name,
               OS_PASSWORD=spec.password, OS_PROJECT_NAME=spec.project, OS_USER_DOMAIN_ID="default",
               OS_PROJECT_DOMAIN_ID="default", OS_REGION_NAME="RegionOne", OS_INTERFACE="public")
    result = subprocess.run([OPENSTACK, "storage", "backup", *args], env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == expect, (f"openstack storage backup {' '.join(args)} exited {result.returncode}, "
                                         f"not {expect}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n"
                                         f"{result.stderr}\n{stack.control_log(15)}")
    return result


def as_json(stack, *args: str, **kwargs):
    return json.loads(openstack(stack, *args, "-f", "json", **kwargs).stdout)


def test_a_tenant_makes_a_policy_and_protects_an_instance_by_name(stack):
    destination = stack.destination()
    policy = as_json(stack, "policy", "create", "cli-nightly", "--destination", destination["name"],
                     "--schedule", "0 2 * * *", "--strategy", "incremental", "--keep-last", "3")
    assert (policy["name"], policy["schedule"], policy["keep_last"]) == ("cli-nightly", "0 2 * * *", 3)
    assert policy["destination_id"] == destination["id"] and policy["project_id"] == stack.project_id("demo-member")
    listed = as_json(stack, "policy", "list")
    assert [(row["ID"], row["Name"]) for row in listed] == [(policy["id"], "cli-nightly")]

    protected = as_json(stack, "protection", "create", "web-1", "--policy", "cli-nightly")
    web = stack.server_named("web-1")
    assert (protected["instance_id"], protected["policy_id"]) == (web.id, policy["id"])
    rows = as_json(stack, "protection", "list", "--policy", policy["id"])
    assert [(row["Instance ID"], row["Instance"]) for row in rows] == [(web.id, "web-1")]
    STATE.update(policy=policy, web=web)


def test_start_wait_prints_progress_and_ends_with_the_succeeded_job(stack):
    result = openstack(stack, "start", "web-1", "--full", "--wait", "-f", "json")
    job = json.loads(result.stdout)
    assert (job["type"], job["state"], job["instance_id"]) == ("backup", "succeeded", STATE["web"].id)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"job {job['id']} succeeded · 100%"), result.stderr
    assert any(" running" in line for line in lines), result.stderr  # the line moved while it ran
    assert "Traceback" not in result.stderr
    STATE["restore_point_id"] = job["restore_point_id"]


def test_restore_points_list_show_verify_and_lock(stack):
    point_id = STATE["restore_point_id"]
    rows = as_json(stack, "restore", "point", "list", "--instance", STATE["web"].id)
    assert [(row["ID"], row["Instance"], row["Strategy"], row["Locked"]) for row in rows] == [
        (point_id, "web-1", "full", False)]
    assert rows[0]["Size"] == 3 * 1024 ** 3  # bytes for machines; "3.0 GiB" in a table
    point = as_json(stack, "restore", "point", "show", point_id)
    assert point["bytes_total"] == 3 * 1024 ** 3 and len(point["volumes"]) == 2
    STATE["data_volume"] = next(volume["volume_id"] for volume in point["volumes"] if volume["size_gib"] == 1)

    verified = openstack(stack, "restore", "point", "verify", point_id, "--wait", "-f", "value", "-c", "state")
    assert verified.stdout.strip() == "succeeded", verified.stderr

    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    locked = as_json(stack, "restore", "point", "lock", point_id, "--until", until)
    STATE["lock_until"] = until
    assert locked["locked"] is True and locked["retention_lock_until"].startswith(until)


def test_an_api_refusal_is_its_own_message_and_exit_code_1(stack):
    refused = openstack(stack, "restore", "point", "delete", STATE["restore_point_id"], expect=1)
    # One line: the API's sentence as it said it, then its status; nothing else.
    assert refused.stderr.strip().splitlines() == [
        f"Restore point {STATE['restore_point_id']} is under a retention lock until "
        f"{STATE['lock_until']}T00:00:00+00:00; nobody, administrators included, can delete it before then. "
        f"(HTTP 409 conflict)"], refused.stderr
    assert "Traceback" not in refused.stderr
    missing = openstack(stack, "job", "show", "00000000-0000-0000-0000-000000000000", expect=1)
    assert "HTTP 404" in missing.stderr and "Traceback" not in missing.stderr, missing.stderr


def test_restore_one_volume_and_the_whole_instance(stack):
    point_id = STATE["restore_point_id"]
    job = as_json(stack, "restore", "volume", point_id, STATE["data_volume"], "--name", "web-1-data-cli",
                  "--wait")
    assert (job["type"], job["state"]) == ("restore_volume", "succeeded"), job
    assert [v.name for v in stack.admin.block_storage.volumes(all_projects=True) if v.name == "web-1-data-cli"]

    started = as_json(stack, "restore", point_id, "--name", "web-1-cli",  # no --wait: followed below
                      "--volume-name", f"{STATE['data_volume']}=web-1-data-named")
    assert started["state"] in ("queued", "running")
    followed = openstack(stack, "job", "show", started["id"], "--wait", "-f", "json")
    assert json.loads(followed.stdout)["state"] == "succeeded", followed.stderr
    assert f"job {started['id']} succeeded" in followed.stderr
    stack.server_named("web-1-cli")
    assert [v.name for v in stack.admin.block_storage.volumes(all_projects=True) if v.name == "web-1-data-named"]

    jobs = as_json(stack, "job", "list", "--instance", "web-1")
    assert {(row["Type"], row["State"]) for row in jobs} >= {("backup", "succeeded"), ("restore", "succeeded")}
    quiet = as_json(stack, "job", "list", "--instance", "web-1", "--exclude-type", "restore_volume")
    assert quiet and "restore_volume" not in {row["Type"] for row in quiet}
    refused = openstack(stack, "job", "cancel", started["id"], expect=1)  # it has ended
    assert "(HTTP 4" in refused.stderr, refused.stderr


def test_a_job_that_fails_under_wait_ends_the_command_with_1(stack):
    """One byte flipped in every pack of the repository: verify reads a chunk whose hash no longer matches."""
    packs = [os.path.join(folder, name) for folder, _, names in os.walk(os.path.join(stack.repository, "data"))
             for name in names]
    assert packs
    for path in packs:
        with open(path, "r+b") as pack:
            pack.seek(os.path.getsize(path) // 2)
            byte = pack.read(1)
            pack.seek(-1, os.SEEK_CUR)
            pack.write(bytes([byte[0] ^ 0x40]))
    failed = openstack(stack, "restore", "point", "verify", STATE["restore_point_id"], "--wait", "-f", "value",
                       "-c", "state", expect=1)
    assert failed.stdout.strip() == "failed"  # the job is shown all the same
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("job ") and " failed · " in last and "Traceback" not in failed.stderr, failed.stderr


def test_unprotect_and_delete_the_policy(stack):
    openstack(stack, "protection", "delete", "web-1")
    openstack(stack, "policy", "delete", "cli-nightly")
    assert stack.client().protected_instance_list() == [] and stack.client().policy_list() == []


def test_webhook_create_shows_its_secret_once_list_and_delete(stack):
    created = as_json(stack, "webhook", "create", "https://hooks.example.com/cli", "--description", "cli")
    assert created["secret"].startswith("whsec_") and created["url"] == "https://hooks.example.com/cli"
    shown = as_json(stack, "webhook", "show", created["id"])
    assert "secret" not in shown and shown["description"] == "cli"
    assert [row["ID"] for row in as_json(stack, "webhook", "list")] == [created["id"]]
    assert as_json(stack, "webhook", "list", user="alt-member") == []
    refused = openstack(stack, "webhook", "create", "ftp://hooks.example.com/cli", expect=1)
    assert "field url" in refused.stderr and "Traceback" not in refused.stderr
    errors_only = as_json(stack, "webhook", "create", "https://hooks.example.com/cli-errors", "--event", "*.error")
    assert errors_only["events"] == ["*.error"]
    openstack(stack, "webhook", "delete", errors_only["id"])
    renewed = as_json(stack, "webhook", "set", created["id"], "--new-secret", "--description", "renewed")
    assert renewed["secret"].startswith("whsec_") and renewed["secret"] != created["secret"]
    assert renewed["description"] == "renewed"
    assert shown["events"] == [] and as_json(stack, "webhook", "list")[0]["Events"] == "all"
    filtered = as_json(stack, "webhook", "set", created["id"], "--event", "backup.error", "--event", "*.end")
    assert filtered["events"] == ["backup.error", "*.end"]
    assert as_json(stack, "webhook", "list")[0]["Events"] == "backup.error, *.end"
    refused = openstack(stack, "webhook", "set", created["id"], "--event", "backup.done", expect=1)
    assert "field events" in refused.stderr and "backup.error" in refused.stderr and "Traceback" not in refused.stderr
    assert as_json(stack, "webhook", "set", created["id"], "--all-events")["events"] == []
    openstack(stack, "webhook", "set", created["id"], "--event", "*.error", user="alt-member", expect=1)  # 404
    openstack(stack, "webhook", "delete", created["id"], user="alt-member", expect=1)  # not theirs: 404
    openstack(stack, "webhook", "delete", created["id"])
    assert as_json(stack, "webhook", "list") == []
