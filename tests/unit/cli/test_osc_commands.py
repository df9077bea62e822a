# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ``openstack storage backup`` commands without a service: how each parses its arguments into the API's
fields, how answers are formatted, how ``--wait`` follows a job, how the API's errors end a command, and how the
plugin finds the service in the catalog. The real ``openstack`` command against the product is
tests/functional/cli."""
from __future__ import annotations

import importlib.metadata
import io
import re
from types import SimpleNamespace
from unittest import mock

import pytest
from osc_lib import exceptions
from storage_backup_client.client import BackupApiError
from storage_backup_client.osc import plugin
from storage_backup_client.osc.v1 import (
    backups,
    common,
    jobs,
    policies,
    protection,
    restore_points,
    vault_copies,
    webhooks,
)

POLICY_ID = "4f1e2d3c-0000-4000-8000-000000000001"
SERVER_ID = "5a6b7c8d-0000-4000-8000-000000000002"
POINT_ID = "9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b"


def command(cls, client=None):
    """A command as OSC builds it, its client and Nova (``sdk_connection``) mocked."""
    app = mock.Mock()
    app.client_manager.storage_backup = client or mock.Mock()
    return cls(app, None)


def parse(cmd, *argv):
    return cmd.get_parser("openstack storage backup").parse_args(list(argv))


def job(state="running", **fields):
    return {"id": "job-1", "type": "backup", "state": state, "error": "", "waiting_reason": "", "log": [],
            "progress": {"percent": 40.0, "bytes_read": 2 * 1024 ** 3, "bytes_total": 5 * 1024 ** 3,
                         "step": "read", "eta": 12.0}, **fields}


# -- arguments into the API's fields -----------------------------------------------------------------------------

def test_policy_create_sends_only_what_was_given_and_finds_the_destination_by_name():
    client = mock.Mock()
    client.destination_list.return_value = [{"id": "dest-1", "name": "nfs"}, {"id": "dest-2", "name": "s3"}]
    client.policy_create.return_value = {"id": POLICY_ID, "name": "nightly"}
    cmd = command(policies.CreatePolicy, client)
    args = parse(cmd, "nightly", "--destination", "s3", "--schedule", "0 2 * * *", "--keep-last", "7",
                 "--retention-lock-days", "30", "--strategy", "incremental", "--disable")
    names, values = cmd.take_action(args)
    client.policy_create.assert_called_once_with(name="nightly", destination_id="dest-2", schedule="0 2 * * *",
                                                 strategy="incremental", keep_last=7, retention_lock_days=30,
                                                 enabled=False)
    assert dict(zip(names, values, strict=True)) == {"id": POLICY_ID, "name": "nightly"}


def test_policy_create_sends_whom_to_mail_and_when():
    client = mock.Mock()
    client.policy_create.return_value = {"id": POLICY_ID}
    cmd = command(policies.CreatePolicy, client)
    args = parse(cmd, "nightly", "--destination", POLICY_ID, "--notify-on", "failure", "--notify-email",
                 "ops@example.org", "--notify-email", "lead@example.org")
    cmd.take_action(args)
    client.policy_create.assert_called_once_with(name="nightly", destination_id=POLICY_ID, notify_on="failure",
                                                 notify_emails=["ops@example.org", "lead@example.org"])


def test_webhook_create_shows_the_secret_it_was_given_once():
    client = mock.Mock()
    client.webhook_create.return_value = {"id": "hook-1", "url": "https://hooks.example.org/x",
                                          "secret": "whsec_once"}
    cmd = command(webhooks.CreateWebhook, client)
    names, values = cmd.take_action(parse(cmd, "https://hooks.example.org/x", "--description", "ops", "--disable"))
    client.webhook_create.assert_called_once_with("https://hooks.example.org/x", description="ops", enabled=False)
    assert dict(zip(names, values, strict=True))["secret"] == "whsec_once"


def test_webhook_set_changes_what_was_given_and_shows_a_new_secret_once():
    client = mock.Mock()
    client.webhook_new_secret.return_value = {"id": "hook-1", "secret": "whsec_new"}
    cmd = command(webhooks.SetWebhook, client)
    names, values = cmd.take_action(parse(cmd, "hook-1", "--disable", "--new-secret"))
    client.webhook_update.assert_called_once_with("hook-1", enabled=False)
    assert dict(zip(names, values, strict=True))["secret"] == "whsec_new"
    with pytest.raises(exceptions.CommandError, match="Nothing to change"):
        cmd.take_action(parse(cmd, "hook-1"))


def test_webhook_event_options_send_the_event_types_or_clear_them():
    client = mock.Mock()
    client.webhook_create.return_value = client.webhook_update.return_value = {"id": "hook-1", "events": []}
    cmd = command(webhooks.CreateWebhook, client)
    cmd.take_action(parse(cmd, "https://hooks.example.org/x", "--event", "backup.error", "--event", "*.end"))
    client.webhook_create.assert_called_once_with("https://hooks.example.org/x", description="", enabled=True,
                                                  events=["backup.error", "*.end"])
    cmd = command(webhooks.SetWebhook, client)
    cmd.take_action(parse(cmd, "hook-1", "--event", "restore.*"))
    client.webhook_update.assert_called_with("hook-1", events=["restore.*"])
    cmd.take_action(parse(cmd, "hook-1", "--all-events"))
    client.webhook_update.assert_called_with("hook-1", events=[])
    with pytest.raises(SystemExit):
        parse(cmd, "hook-1", "--all-events", "--event", "backup.end")
    client.webhook_list.return_value = [{"id": "a", "events": []}, {"id": "b", "events": ["*.error", "backup.end"]}]
    cmd = command(webhooks.ListWebhook, client)
    rows = list(cmd.take_action(parse(cmd))[1])
    assert [row[webhooks.LIST_FIELDS.index("events")] for row in rows] == ["all", "*.error, backup.end"]


def test_webhook_delete_goes_on_past_a_refusal_and_says_how_many_failed(caplog):
    client = mock.Mock()
    client.webhook_delete.side_effect = [BackupApiError(404, "not_found", "Webhook hook-1 could not be found."), None]
    cmd = command(webhooks.DeleteWebhook, client)
    with pytest.raises(exceptions.CommandError, match="Failed to delete 1 of 2 webhooks"):
        cmd.take_action(parse(cmd, "hook-1", "hook-2"))
    assert client.webhook_delete.call_count == 2 and "could not be found" in caplog.text


@pytest.mark.parametrize("argv", [["nightly"], ["nightly", "--destination", "d", "--keep-last", "many"],
                                  ["nightly", "--destination", "d", "--strategy", "sometimes"]])
def test_policy_create_refuses_bad_arguments_before_asking_the_service(argv, capsys):
    cmd = command(policies.CreatePolicy)
    with pytest.raises(SystemExit):
        parse(cmd, *argv)
    assert "error:" in capsys.readouterr().err


def test_a_name_that_two_policies_have_is_refused_with_their_ids():
    client = mock.Mock()
    client.policy_list.return_value = [{"id": "a", "name": "daily"}, {"id": "b", "name": "daily"}]
    with pytest.raises(exceptions.CommandError, match=r"More than one policy is named 'daily' \(a, b\)"):
        policies.find_policy(client, "daily")
    client.policy_get.return_value = {"id": POLICY_ID}
    assert policies.find_policy(client, POLICY_ID) == {"id": POLICY_ID}  # an ID is asked for directly


def test_protection_create_resolves_the_server_name_in_nova_and_the_policy_name():
    client = mock.Mock()
    client.policy_list.return_value = [{"id": POLICY_ID, "name": "nightly"}]
    client.protect.return_value = {"instance_id": SERVER_ID, "policy_id": POLICY_ID}
    cmd = command(protection.CreateProtection, client)
    cmd.app.client_manager.sdk_connection.compute.find_server.return_value = SimpleNamespace(id=SERVER_ID)
    cmd.take_action(parse(cmd, "web-1", "--policy", "nightly"))
    cmd.app.client_manager.sdk_connection.compute.find_server.assert_called_once_with("web-1", ignore_missing=False)
    client.protect.assert_called_once_with(SERVER_ID, POLICY_ID)


def test_a_server_id_goes_to_the_service_without_asking_nova():
    cmd = command(backups.StartBackup)
    cmd.backup.backup_create.return_value = job("queued")
    cmd.take_action(parse(cmd, SERVER_ID, "--full"))
    cmd.backup.backup_create.assert_called_once_with(SERVER_ID, "full")
    cmd.app.client_manager.sdk_connection.compute.find_server.assert_not_called()
    with pytest.raises(SystemExit):
        parse(cmd, SERVER_ID, "--full", "--incremental")


def test_restore_maps_networks_volume_types_and_a_subset_of_volumes():
    cmd = command(restore_points.RestoreInstance)
    cmd.backup.restore.return_value = job("queued", type="restore")
    cmd.take_action(parse(cmd, POINT_ID, "--name", "web-1-again", "--availability-zone", "az2",
                          "--network", "net-old=net-new", "--volume-type", "vol-1=ssd", "--volume", "vol-1"))
    cmd.backup.restore.assert_called_once_with(POINT_ID, name="web-1-again", availability_zone="az2",
                                               network_mapping={"net-old": "net-new"},
                                               volume_types={"vol-1": "ssd"}, volumes=["vol-1"])
    with pytest.raises(SystemExit):
        parse(cmd, POINT_ID, "--network", "net-new")  # not OLD=NEW


def test_restore_names_the_restored_volumes():
    cmd = command(restore_points.RestoreInstance)
    cmd.backup.restore.return_value = job("queued", type="restore")
    cmd.take_action(parse(cmd, POINT_ID, "--volume-name", "vol-1=db data", "--volume-name", "vol-2=a=b"))
    cmd.backup.restore.assert_called_once_with(POINT_ID, volume_names={"vol-1": "db data", "vol-2": "a=b"})
    with pytest.raises(SystemExit):
        parse(cmd, POINT_ID, "--volume-name", "vol-1")  # not VOLUME=NAME
    single = command(restore_points.RestoreVolume)
    single.backup.restore.return_value = job("queued", type="restore_volume")
    single.take_action(parse(single, POINT_ID, "vol-1", "--name", "db-before"))
    single.backup.restore.assert_called_once_with(POINT_ID, volume_id="vol-1", name="db-before")


def test_restore_volume_sends_the_volume_and_where_to_attach_it():
    cmd = command(restore_points.RestoreVolume)
    cmd.backup.restore.return_value = job("queued", type="restore_volume")
    cmd.take_action(parse(cmd, POINT_ID, "vol-1", "--volume-type", "ssd", "--attach-to", SERVER_ID))
    cmd.backup.restore.assert_called_once_with(POINT_ID, volume_id="vol-1", volume_type="ssd", attach_to=SERVER_ID)


def test_revert_sends_the_target_and_the_confirmation():
    cmd = command(restore_points.RevertRestorePoint)
    cmd.backup.revert.return_value = job("queued", type="revert")
    cmd.take_action(parse(cmd, POINT_ID, "--volume", "vol-1", "--yes"))
    cmd.backup.revert.assert_called_once_with(POINT_ID, volume_id="vol-1", instance=False, confirm=True,
                                              stop_server=False)
    cmd.backup.revert.reset_mock()
    cmd.take_action(parse(cmd, POINT_ID, "--instance", "--confirm", "web-1"))
    cmd.backup.revert.assert_called_once_with(POINT_ID, volume_id=None, instance=True, confirm="web-1",
                                              stop_server=False)
    cmd.backup.revert.reset_mock()
    cmd.take_action(parse(cmd, POINT_ID, "--volume", "vol-1", "--stop-server", "--yes"))
    cmd.backup.revert.assert_called_once_with(POINT_ID, volume_id="vol-1", instance=False, confirm=True,
                                              stop_server=True)


@pytest.mark.parametrize("argv", [[POINT_ID, "--volume", "vol-1"], [POINT_ID, "--yes"],
                                  [POINT_ID, "--instance", "--volume", "vol-1", "--yes"]])
def test_revert_needs_one_target_and_a_confirmation(argv, capsys):
    cmd = command(restore_points.RevertRestorePoint)
    with pytest.raises(SystemExit):
        parse(cmd, *argv)
    cmd.backup.revert.assert_not_called()


@pytest.mark.parametrize(("given", "sent"), [("2027-01-31", "2027-01-31T00:00:00Z"),
                                             ("2027-01-31T18:30:00", "2027-01-31T18:30:00Z"),
                                             ("2027-01-31T18:30:00+02:00", "2027-01-31T18:30:00+02:00")])
def test_lock_until_takes_a_date_or_a_time_utc_unless_zoned(given, sent):
    cmd = command(restore_points.LockRestorePoint)
    cmd.backup.restore_point_lock.return_value = {"id": POINT_ID, "locked": True}
    cmd.take_action(parse(cmd, POINT_ID, "--until", given))
    cmd.backup.restore_point_lock.assert_called_once_with(POINT_ID, sent)


def test_lock_until_refuses_what_is_not_a_date(capsys):
    with pytest.raises(SystemExit):
        parse(command(restore_points.LockRestorePoint), POINT_ID, "--until", "next week")
    assert "invalid date value: 'next week'" in capsys.readouterr().err


def test_job_list_passes_its_filters():
    cmd = command(jobs.ListJob)
    cmd.backup.job_list.return_value = [job("succeeded", instance_name="web-1", created_at="t0", finished_at="t1")]
    headers, rows = cmd.take_action(parse(cmd, "--state", "failed", "--type", "restore_volume", "--active"))
    cmd.backup.job_list.assert_called_once_with(instance_id=None, state="failed", all_projects=False, limit=None,
                                                type="restore_volume", active=True, exclude_type=None)
    assert headers == jobs.LIST_HEADERS
    [row] = list(rows)
    assert row[:4] + row[5:] == ("job-1", "backup", "succeeded", "web-1", "t0", "t1")
    assert row[4].human_readable() == "40%" and row[4].machine_readable()["bytes_total"] == 5 * 1024 ** 3


def test_job_list_leaves_out_the_types_asked():
    cmd = command(jobs.ListJob)
    cmd.backup.job_list.return_value = []
    cmd.take_action(parse(cmd, "--exclude-type", "file_browse", "--exclude-type", "verify"))
    assert cmd.backup.job_list.call_args.kwargs["exclude_type"] == "file_browse,verify"
    with pytest.raises(SystemExit):
        parse(cmd, "--exclude-type", "teleport")


# -- formatting --------------------------------------------------------------------------------------------------

def test_the_progress_line_says_state_percent_bytes_step_and_time_left():
    assert common.progress_line(job()) == "job job-1 running · 40% · 2.0 GiB of 5.0 GiB read · step read · 12 s left"
    failed = job("failed", error="Volume vol-1 is gone", progress={"percent": 40.0})
    assert common.progress_line(failed) == "job job-1 failed · 40% · Volume vol-1 is gone"
    queued = job("queued", waiting_reason="Every proxy of az2 is busy", progress={})
    assert common.progress_line(queued) == "job job-1 queued · Every proxy of az2 is busy"


def test_show_sorts_fields_and_keeps_nested_values_intact_for_json():
    names, values = common.show_job(job("succeeded", log=[{"at": "10:00", "step": "snapshot", "message": "ok",
                                                           "level": None},
                                                          {"at": "10:01", "step": "read", "message": "swap skipped",
                                                           "level": "warning"}]))
    assert list(names) == sorted(names)
    shown = dict(zip(names, values, strict=True))
    assert shown["log"].human_readable() == "10:00 snapshot: ok\n10:01 read [warning]: swap skipped"
    assert shown["log"].machine_readable()[1]["level"] == "warning"
    assert shown["progress"].machine_readable()["percent"] == 40.0
    assert [common.size(n) for n in (None, 512, 1536, 3 * 1024 ** 3)] == ["-", "512 B", "1.5 KiB", "3.0 GiB"]


# -- --wait ------------------------------------------------------------------------------------------------------

def test_wait_prints_a_line_whenever_the_job_changes_and_returns_it_ended():
    client = mock.Mock()
    client.job_get.side_effect = [job(), job(), job(progress={"percent": 90.0, "step": "commit"}),
                                  job("succeeded", progress={"percent": 100.0, "step": "recorded"})]
    out = io.StringIO()
    ended = common.wait_for_job(client, job("queued", progress={}), out=out, sleep=lambda _: None)
    assert ended["state"] == "succeeded"
    assert out.getvalue().splitlines() == [
        "job job-1 queued", "job job-1 running · 40% · 2.0 GiB of 5.0 GiB read · step read · 12 s left",
        "job job-1 running · 90% · step commit", "job job-1 succeeded · 100% · step recorded"]


def test_a_job_that_fails_under_wait_is_shown_and_ends_the_command_with_1():
    cmd = command(jobs.ShowJob)
    cmd.backup.job_get.side_effect = [job(), job("failed", error="No proxy in az2")]
    follow = common.wait_for_job
    with mock.patch.object(common, "wait_for_job", lambda client, answer: follow(
            client, answer, out=io.StringIO(), sleep=lambda _: None)):
        assert cmd.run(parse(cmd, "job-1", "--wait", "-f", "value", "-c", "state")) == 1
    cmd = command(jobs.ShowJob)
    cmd.backup.job_get.return_value = job("failed")
    assert cmd.run(parse(cmd, "job-1", "-f", "value", "-c", "state")) == 0  # without --wait: only shown


# -- errors ------------------------------------------------------------------------------------------------------

def test_an_api_error_ends_the_command_with_the_api_message_on_one_line():
    cmd = command(restore_points.DeleteRestorePoint)
    cmd.backup.restore_point_delete.side_effect = BackupApiError(
        409, "conflict", "Restore point x is under a retention lock until 2027-01-31T00:00:00+00:00.")
    with pytest.raises(exceptions.CommandError) as raised:
        cmd.run(parse(cmd, POINT_ID))
    assert str(raised.value) == ("Restore point x is under a retention lock until 2027-01-31T00:00:00+00:00. "
                                 "(HTTP 409 conflict)")
    cmd.backup.restore_point_delete.side_effect = [None, BackupApiError(404, "not_found", "No such restore point.")]
    with pytest.raises(exceptions.CommandError, match="Failed to delete 1 of 2 restore points"):
        cmd.run(parse(cmd, POINT_ID, "other"))


def test_a_field_error_names_the_field():
    error = BackupApiError(400, "invalid", "Enter a valid cron expression.", field="schedule")
    assert common.api_error_text(error) == "Enter a valid cron expression. (HTTP 400 invalid, field schedule)"


# -- the plugin --------------------------------------------------------------------------------------------------

def cli_instance(endpoint):
    return SimpleNamespace(_cli_options=SimpleNamespace(storage_backup_endpoint=None), session=mock.Mock(),
                           region_name="RegionOne", interface="public",
                           get_endpoint_for_service_type=mock.Mock(return_value=endpoint))


def test_the_client_is_found_at_the_catalogs_data_protection_endpoint():
    instance = cli_instance("http://127.0.0.1:8779/v1/")
    client = plugin.make_client(instance)
    instance.get_endpoint_for_service_type.assert_called_once_with("data-protection", region_name="RegionOne",
                                                                   interface="public")
    assert client.endpoint == "http://127.0.0.1:8779" and client.session is instance.session
    instance._cli_options.storage_backup_endpoint = "http://10.0.0.5:8779"
    assert plugin.make_client(instance).endpoint == "http://10.0.0.5:8779"


def test_a_catalog_without_the_service_says_what_to_do():
    with pytest.raises(exceptions.EndpointNotFound, match="no data-protection endpoint.*--os-storage-backup-endpoint"):
        plugin.make_client(cli_instance(None))


def test_global_options_default_to_api_version_1_and_read_the_environment(monkeypatch):
    import argparse

    monkeypatch.setenv("OS_STORAGE_BACKUP_ENDPOINT", "http://127.0.0.1:1/v1")
    parsed = plugin.build_option_parser(argparse.ArgumentParser()).parse_args([])
    assert (parsed.os_storage_backup_api_version, parsed.os_storage_backup_endpoint) == ("1", "http://127.0.0.1:1/v1")


def test_every_command_entry_point_loads_and_no_other_plugin_uses_the_group():
    commands = importlib.metadata.entry_points(group="openstack.storage_backup.v1")
    assert {entry.name.removeprefix("storage_backup_").replace("_", " ") for entry in commands} == {
        "policy list", "policy show", "policy create", "policy delete",
        "protection list", "protection show", "protection create", "protection delete", "start",
        "restore point list", "restore point show", "restore point verify", "restore point lock",
        "restore point delete", "restore point revert", "restore", "restore volume", "job list", "job show",
        "job cancel", "file list", "file search", "file download",
        "webhook list", "webhook show", "webhook create", "webhook delete", "webhook set",
        "vault copy list", "vault copy recover"}
    for entry in commands:
        assert re.fullmatch(r"storage_backup_[a-z_]+", entry.name), entry.name
        assert issubclass(entry.load(), common.ServiceCommand), entry.name
    [extension] = [e for e in importlib.metadata.entry_points(group="openstack.cli.extension")
                   if e.name == "storage_backup"]
    assert extension.load() is plugin
    # Every installed plugin's commands (python-openstackclient's own, the official clients'): none is ours.
    others = {entry.name for group in importlib.metadata.entry_points().groups
              if re.fullmatch(r"openstack\.\w+\.v[\d_]+", group) and group != "openstack.storage_backup.v1"
              for entry in importlib.metadata.entry_points(group=group)}
    assert len(others) > 100 and not {name for name in others if name.startswith("storage_backup")}


def test_vault_copy_list_asks_for_those_not_recovered_unless_told_and_recover_shows_the_point():
    client = mock.Mock()
    client.vault_copy_list.return_value = [{"id": "copy-1", "restore_point_id": POINT_ID, "instance_name": "web-1",
                                            "created_at": "2026-11-23T02:00:00Z", "state": "copied",
                                            "primary_deleted_at": "2026-11-25T09:00:00Z", "in_catalog": False,
                                            "not_recoverable_reason": ""}]
    cmd = command(vault_copies.ListVaultCopy, client)
    headers, rows = cmd.take_action(parse(cmd))
    client.vault_copy_list.assert_called_once_with(all_projects=False, limit=None, in_catalog="false")
    assert dict(zip(headers, next(iter(rows)), strict=True))["Restore Point"] == POINT_ID
    client.vault_copy_list.reset_mock()
    cmd.take_action(parse(cmd, "--recovered", "--all-projects"))
    client.vault_copy_list.assert_called_once_with(all_projects=True, limit=None)

    client.vault_copy_recover.return_value = {"id": POINT_ID, "vault_only": True}
    cmd = command(vault_copies.RecoverVaultCopy, client)
    names, values = cmd.take_action(parse(cmd, "copy-1"))
    client.vault_copy_recover.assert_called_once_with("copy-1")
    assert dict(zip(names, values, strict=True)) == {"id": POINT_ID, "vault_only": True}
