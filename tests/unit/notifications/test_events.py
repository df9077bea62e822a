# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A job's events: names as OpenStack's (``backup.start`` …), what changes of state tell, a payload without
secrets, and the e-mail and URL rules that go with them."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import override_settings
from django.utils import timezone
from storage_backup.catalog.models import Destination, Job, JobState
from storage_backup.notifications import events, mail, messaging, targets
from storage_backup.notifications.events import Phase


def _job(**fields) -> Job:
    now = timezone.now()
    values = {"id": "job-1", "type": "backup", "project_id": "project-a", "instance_id": "server-1",
              "instance_name": "web-1", "state": JobState.SUCCEEDED, "created_at": now - dt.timedelta(minutes=2),
              "started_at": now - dt.timedelta(seconds=90), "finished_at": now, "restore_point_id": "point-1",
              "request": {"repository_secret": "s3cr3t-repository-key", "pre_command": {"private_key": "PRIVATE"}},
              "result": {"restore_point_id": "point-1", "bytes_read": 4096, "bytes_stored": 1024, "bytes_total": 8192,
                         "volumes": [{"volume_id": "vol-1"}, {"volume_id": "vol-2"}]}}
    values.update(fields)
    return Job(**values)


def test_a_succeeded_backup_ends_with_its_restore_point_bytes_and_duration():
    event = events.build(_job(), Phase.END)
    assert event.event_type == "backup.end"
    payload = event.payload
    assert payload["job_id"] == "job-1" and payload["project_id"] == payload["tenant_id"] == "project-a"
    assert payload["volume_ids"] == ["vol-1", "vol-2"] and payload["restore_point_id"] == "point-1"
    assert (payload["bytes_read"], payload["bytes_stored"], payload["bytes_total"]) == (4096, 1024, 8192)
    assert payload["duration_seconds"] == pytest.approx(90, abs=1)
    assert payload["error_code"] is None and payload["error_message"] is None


def test_nothing_of_the_request_reaches_the_payload():
    text = repr(events.build(_job(state=JobState.FAILED, error="boom"), Phase.ERROR, "snapshot_failed").to_message())
    assert "s3cr3t-repository-key" not in text and "PRIVATE" not in text


def test_an_error_names_its_code_and_message():
    event = events.build(_job(state=JobState.FAILED, error="Cinder refused the snapshot", result=None), Phase.ERROR,
                         "snapshot_failed")
    assert event.event_type == "backup.error"
    assert (event.payload["error_code"], event.payload["error_message"]) == ("snapshot_failed",
                                                                             "Cinder refused the snapshot")


def test_a_destination_location_in_the_error_is_named_not_shown():
    name = f"vault-{uuid.uuid4().hex[:6]}"
    Destination.objects.create(name=name, path=f"/srv/{name}-repository")
    job = _job(state=JobState.FAILED, error=f"cannot write /srv/{name}-repository/packs/ab: disk full")
    message = events.build(job, Phase.ERROR, "io").payload["error_message"]
    assert f"/srv/{name}-repository" not in message and f"<destination {name}>" in message


def test_a_volume_restore_is_a_restore_event():
    job = _job(type="restore_volume", result={"volume_id": "vol-new", "restore_point_id": "point-1"})
    event = events.build(job, Phase.START)
    assert event.event_type == "restore.start" and event.payload["job_type"] == "restore_volume"
    assert event.payload["volume_ids"] == ["vol-new"]


@pytest.mark.parametrize(("before", "after", "started", "phases"), [
    (JobState.QUEUED, JobState.RUNNING, True, [Phase.START]),
    (JobState.RUNNING, JobState.SUCCEEDED, True, [Phase.END]),
    (JobState.RUNNING, JobState.FAILED, True, [Phase.ERROR]),
    (JobState.QUEUED, JobState.SUCCEEDED, True, [Phase.START, Phase.END]),  # started and ended between two looks
    (JobState.QUEUED, JobState.FAILED, False, [Phase.ERROR]),  # never ran: no start
    (JobState.RUNNING, JobState.CANCELLED, True, [Phase.CANCEL]),  # its start was told when it ran
    (JobState.QUEUED, JobState.CANCELLED, False, [Phase.CANCEL]),  # cancelled before it ran: only the cancel
    (JobState.QUEUED, JobState.CANCELLED, True, [Phase.START, Phase.CANCEL]),  # ran, and stopped, between two looks
    (JobState.RUNNING, JobState.RUNNING, True, []),
    (JobState.RUNNING, JobState.QUEUED, True, []),  # queued again for a retry: it has not ended
])
def test_what_a_change_of_state_tells(before, after, started, phases):
    job = _job(state=after, started_at=timezone.now() if started else None)
    assert events.phases_of_change(before, job) == phases


def test_a_cancel_names_who_asked_and_no_error():
    log = [{"at": "…", "step": "start", "message": "Started"},
           {"at": "…", "step": "cancel", "message": "Cancel requested by alice; …", "user_id": "u-alice",
            "user_name": "alice"},
           {"at": "…", "step": "cancelled", "message": "Cancelled; temporary resources cleaned up"}]
    job = _job(state=JobState.CANCELLED, log=log, result=None, restore_point_id="", error="")
    event = events.build(job, Phase.CANCEL)
    assert (event.event_type, event.phase) == ("backup.cancel", "cancel")
    payload = event.payload
    assert (payload["state"], payload["cancelled_by_user_id"], payload["cancelled_by_user_name"]) == (
        "cancelled", "u-alice", "alice")
    assert payload["error_code"] is None and payload["error_message"] is None and payload["restore_point_id"] is None
    assert set(payload) == set(events.build(_job(), Phase.END).payload)  # one shape for every phase


def test_only_a_cancel_names_a_canceller_and_only_one_the_job_recorded():
    asked = [{"step": "cancel", "message": "…", "user_id": "u-alice", "user_name": "alice"}]
    # A proxy's own "cancelled" entry carries no user: nobody is named.
    assert events.build(_job(state=JobState.CANCELLED, log=[{"step": "cancelled", "message": "…"}]),
                        Phase.CANCEL).payload["cancelled_by_user_id"] is None
    ended = events.build(_job(log=asked), Phase.END).payload  # it succeeded although asked to stop
    assert (ended["cancelled_by_user_id"], ended["cancelled_by_user_name"]) == (None, None)
    unnamed = [{"step": "cancelled", "message": "…", "user_id": "u-bob", "user_name": ""}]
    assert events.canceller(_job(log=unnamed)) == ("u-bob", None)


def test_a_cancel_is_told_on_messaging_as_info_and_mailed_only_to_always(monkeypatch):
    job = _job(state=JobState.CANCELLED, log=[{"step": "cancel", "message": "…", "user_id": "u-a",
                                               "user_name": "alice"}])
    event = events.build(job, Phase.CANCEL)
    assert [mail.wanted(notify_on, event) for notify_on in ("never", "failure", "always")] == [False, False, True]
    message = mail.message(event, ["ops@example.org"])
    assert message["Subject"] == "[storage-backup] Backup of web-1 was cancelled"
    assert message["X-Storage-Backup-Event"] == "backup.cancel" and "Cancelled by: alice" in message.get_content()
    told = []

    class Notifier:
        def info(self, context, event_type, payload):
            told.append(("INFO", event_type))

        def error(self, context, event_type, payload):
            told.append(("ERROR", event_type))

    monkeypatch.setattr(messaging, "_notifier", lambda: Notifier())
    messaging.emit(event)
    assert told == [("INFO", "backup.cancel")]  # asked for, not a fault


def test_the_event_survives_the_trip_through_celery():
    event = events.build(_job(), Phase.END)
    assert events.JobEvent.from_message(event.to_message()) == event


@pytest.mark.parametrize(("notify_on", "phase", "mailed"), [
    ("never", Phase.ERROR, False), ("failure", Phase.ERROR, True), ("failure", Phase.END, False),
    ("always", Phase.END, True), ("always", Phase.ERROR, True), ("always", Phase.START, False),
    ("always", Phase.CANCEL, True), ("failure", Phase.CANCEL, False), ("never", Phase.CANCEL, False)])
def test_notify_on_chooses_what_is_mailed(notify_on, phase, mailed):
    assert mail.wanted(notify_on, events.build(_job(), phase)) is mailed


def test_the_mail_names_what_failed_and_why():
    event = events.build(_job(state=JobState.FAILED, error="Cinder refused the snapshot"), Phase.ERROR, "snap")
    message = mail.message(event, ["ops@example.org"])
    assert message["Subject"] == "[storage-backup] Backup of web-1 failed"
    assert "Cinder refused the snapshot" in message.get_content() and "s3cr3t" not in message.get_content()


def test_recipients_are_checked_trimmed_and_each_kept_once():
    assert mail.check_recipients([" a@example.org", "A@example.org", "b@example.org"]) == ["a@example.org",
                                                                                           "b@example.org"]
    with pytest.raises(mail.RecipientsInvalid, match="'not-an-address' is not an e-mail address"):
        mail.check_recipients(["a@example.org", "not-an-address"])
    with pytest.raises(mail.RecipientsInvalid, match="must be a list"):
        mail.check_recipients("a@example.org")
    with override_settings(NOTIFICATIONS={**_settings(), "max_emails_per_policy": 2}), \
            pytest.raises(mail.RecipientsInvalid, match="at most 2"):
        mail.check_recipients(["a@example.org", "b@example.org", "c@example.org"])


def _settings() -> dict:
    from django.conf import settings
    return dict(settings.NOTIFICATIONS)


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://hooks.example.org/x", "http:// or https://"),
    ("https://user:pw@hooks.example.org/x", "must not hold a user or password"),
    ("https://hooks.example.org/x#part", "fragment"),
    ("https://hooks.example.org:99999/x", "invalid port"),
    ("https://127.0.0.1/x", "does not allow"),
    ("http://169.254.169.254/latest/meta-data", "does not allow"),
    ("http://10.0.0.5/hook", "does not allow"),
    ("https://hooks.example.org/a b", "spaces"),
])
def test_webhook_urls_that_are_refused(url, why):
    with override_settings(NOTIFICATIONS={**_settings(), "webhook_allowed_hosts": []}), \
            pytest.raises(targets.TargetRefused, match=why):
        targets.check_url(url)


def test_an_allowlist_admits_what_it_lists_and_nothing_else():
    with override_settings(NOTIFICATIONS={**_settings(), "webhook_allowed_hosts": ["127.0.0.0/8", "hooks.example"]}):
        assert targets.check_url("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"
        assert targets.check_url("https://hooks.example/x") == "https://hooks.example/x"
        with pytest.raises(targets.TargetRefused):
            targets.check_url("https://8.8.8.8/x")
        targets.check_resolved("http://127.0.0.1:8080/hook")
    with override_settings(NOTIFICATIONS={**_settings(), "webhook_allowed_hosts": ["hooks.example"]}), \
            pytest.raises(targets.TargetRefused, match="not among the hosts"):
        targets.check_url("https://other.example/x")


def test_public_addresses_pass_without_an_allowlist():
    with override_settings(NOTIFICATIONS={**_settings(), "webhook_allowed_hosts": []}):
        assert targets.check_url("https://8.8.8.8/x") == "https://8.8.8.8/x"
        with pytest.raises(targets.TargetRefused, match="resolves to"):
            targets.check_resolved("http://localhost:9/hook")


def test_a_start_and_end_seen_at_once_go_in_one_message_in_order(monkeypatch):
    sent = []

    class App:
        def send_task(self, name, args, queue, retry, retry_policy):
            sent.append((name, args, queue))
            assert retry and retry_policy["max_retries"] == 2

    monkeypatch.setattr(events.bus, "celery_app", lambda: App())
    events.announce_change(JobState.QUEUED, _job())  # outside a transaction: on_commit runs at once
    [(name, [messages], queue)] = sent
    assert (name, queue) == ("control.notify", "control")
    assert [message["event_type"] for message in messages] == ["backup.start", "backup.end"]


def test_a_broker_away_loses_the_event_not_the_job(monkeypatch, caplog):
    class App:
        def send_task(self, *args, **kwargs):
            raise ConnectionError("Redis is away")

    monkeypatch.setattr(events.bus, "celery_app", lambda: App())
    events.announce_change(JobState.RUNNING, _job(state=JobState.FAILED, error="boom"), "snapshot_failed")
    assert "backup.error of job job-1 not sent" in caplog.text


def test_the_webhook_event_vocabulary_comes_from_the_tenant_job_types():
    assert events.TENANT_EVENT_NAMES == ("backup", "restore", "verify")  # restore_volume is restore.*
    assert "backup.error" in events.EVENT_FILTERS and "verify.start" in events.EVENT_FILTERS
    assert {"backup.*", "restore.*", "verify.*", "*.start", "*.end", "*.error", "*.cancel"} <= set(events.EVENT_FILTERS)
    assert {"backup.cancel", "restore.cancel", "verify.cancel"} <= set(events.TENANT_EVENT_TYPES)
    assert events.check_event_filter(["backup.cancel", "*.cancel"]) == ["backup.cancel", "*.cancel"]
    assert events.build(_job(type="restore_volume"), Phase.END).event_type in events.TENANT_EVENT_TYPES


def test_an_event_filter_is_cleaned_or_refused_with_what_is_allowed():
    assert events.check_event_filter(None) == [] and events.check_event_filter([]) == []
    assert events.check_event_filter(["*.error", "backup.end", "*.error"]) == ["*.error", "backup.end"]
    for bad in (["backup.created"], ["prune.error"], ["*"], [3], "backup.error"):
        with pytest.raises(events.EventFilterInvalid) as raised:
            events.check_event_filter(bad)
        assert "backup.error" in str(raised.value) and "*.error" in str(raised.value)


@pytest.mark.parametrize(("event_filter", "event_type", "wanted"), [
    ([], "backup.start", True),
    (["backup.error"], "backup.error", True),
    (["backup.error"], "backup.end", False),
    (["backup.error"], "restore.error", False),
    (["*.error"], "verify.error", True),
    (["*.error"], "verify.end", False),
    (["restore.*"], "restore.start", True),
    (["restore.*", "*.error"], "backup.error", True),
    (["restore.*"], "backup.end", False),
    (["backup.cancel"], "backup.cancel", True),
    (["backup.cancel"], "backup.error", False),
    (["*.cancel"], "verify.cancel", True),
    (["*.error"], "backup.cancel", False),  # a cancel is not a failure
    (["backup.*"], "backup.cancel", True),
])
def test_a_filter_matches_exact_types_and_wildcards(event_filter, event_type, wanted):
    assert events.filter_matches(event_filter, event_type) is wanted


def test_the_dashboard_offers_exactly_the_event_types_the_service_allows():
    from storage_backup_dashboard.common import choices

    assert tuple(value for value, _label in choices.WEBHOOK_EVENT_CHOICES) == events.EVENT_FILTERS
