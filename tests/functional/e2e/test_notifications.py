# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Job notifications reach their receivers, from real jobs of the whole product (``support.Stack``):

- oslo.messaging notifications over a private RabbitMQ (``tests/support/rabbitmq.py``), read by a real
  oslo.messaging notification listener, as ceilometer or any OpenStack consumer reads cinder's;
- the project's signed webhooks, POSTed to an HTTP receiver on 127.0.0.1 that checks each signature;
- the policy's e-mail, sent through a real SMTP server (aiosmtpd) on 127.0.0.1.

A backup that succeeds and one that fails (Cinder refuses the snapshot) tell all three; a hook that wants
``backup.error`` only hears the failure (a ``*.error`` one the same), and once changed to ``*.end`` the next
backup's end only; a backup cancelled while it runs tells its start then ``backup.cancel`` (naming who cancelled),
one cancelled while queued only ``backup.cancel``, heard by a ``*.cancel`` hook and not by the failures' hooks;
another project's hook hears nothing of them, and never reaches or sees the first project's hooks through the API.
Nothing leaves 127.0.0.0/8.
"""
from __future__ import annotations

import json
import os
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from storage_backup.notifications import signing
from storage_backup_sandbox.launch import free_port

from tests.functional.e2e.support import Stack, expect_api_error, wait_until
from tests.support.rabbitmq import RabbitMQProcess

pytestmark = pytest.mark.timeout(300)
PUBLISHER_HOST = "e2e-control"
STATE: dict = {}


class Receiver:
    """Webhook receiver: every POST recorded with its path, headers and body; ``fail`` answers 500 that many times
    first (a receiver that is down for a moment)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                failing = receiver.fail > 0
                receiver.fail -= failing
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                          "answered": 500 if failing else 204})
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def events(self, path: str, job_id: str) -> list[dict]:
        found = []
        for request in list(self.received):
            document = json.loads(request["body"])
            if request["path"] == path and document["payload"]["job_id"] == job_id:
                found.append({**request, "document": document})
        return found


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "message": message_from_bytes(envelope.original_content or envelope.content,
                                                                         policy=default_policy)})
        return "250 Message accepted for delivery"


class Listener:
    """A real oslo.messaging notification listener on topic ``notifications`` (what ceilometer runs)."""

    def __init__(self, url: str) -> None:
        import oslo_messaging
        from oslo_config import cfg

        self.notifications: list[dict] = []
        conf = cfg.ConfigOpts()
        conf([], project="storage-backup-tests", default_config_files=[], default_config_dirs=[])
        self.transport = oslo_messaging.get_notification_transport(conf, url=url)
        listener = self

        class Endpoint:
            def info(self, ctxt, publisher_id, event_type, payload, metadata):
                listener.notifications.append({"priority": "INFO", "publisher_id": publisher_id,
                                               "event_type": event_type, "payload": payload, "context": ctxt})

            def error(self, ctxt, publisher_id, event_type, payload, metadata):
                listener.notifications.append({"priority": "ERROR", "publisher_id": publisher_id,
                                               "event_type": event_type, "payload": payload, "context": ctxt})

        self.server = oslo_messaging.get_notification_listener(
            self.transport, [oslo_messaging.Target(topic="notifications")], [Endpoint()], executor="threading")

    def of(self, job_id: str) -> list[dict]:
        return [note for note in list(self.notifications) if note["payload"].get("job_id") == job_id]


@pytest.fixture(scope="module")
def receivers(tmp_path_factory):
    """RabbitMQ (started first: it comes up while the stack does), the webhook receiver and the SMTP server."""
    rabbitmq = RabbitMQProcess(str(tmp_path_factory.mktemp("rabbitmq")))
    rabbitmq.spawn()
    receiver, mailbox = Receiver(), Mailbox()
    receiver.thread.start()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        yield {"rabbitmq": rabbitmq, "receiver": receiver, "mailbox": mailbox, "smtp": smtp}
    finally:
        smtp.stop()
        receiver.server.shutdown()
        rabbitmq.stop()


@pytest.fixture(scope="module")
def stack(receivers, tmp_path_factory):
    settings = {
        "STORAGE_BACKUP_NOTIFICATION_TRANSPORT_URL": receivers["rabbitmq"].url,
        "STORAGE_BACKUP_NOTIFICATION_HOST": PUBLISHER_HOST,
        "STORAGE_BACKUP_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "STORAGE_BACKUP_WEBHOOK_RETRY_BACKOFF": "1",
        "STORAGE_BACKUP_WEBHOOK_TIMEOUT": "5",
        "STORAGE_BACKUP_SMTP_HOST": "127.0.0.1",
        "STORAGE_BACKUP_SMTP_PORT": str(receivers["smtp"].port),
        "STORAGE_BACKUP_SMTP_FROM": "backup@cloud.example",
    }
    stack = Stack(str(tmp_path_factory.mktemp("e2e-notify")), settings=settings)
    try:
        stack.start()
        receivers["rabbitmq"].wait_ready()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def listener(stack, receivers):
    listener = Listener(receivers["rabbitmq"].url)
    listener.server.start()
    try:
        yield listener
    finally:
        listener.server.stop()
        listener.server.wait()
        listener.transport.cleanup()


def test_webhooks_belong_to_their_project(stack, receivers):
    member, other = stack.client("demo-member"), stack.client("alt-member")
    error = expect_api_error(400, member.webhook_create, "ftp://127.0.0.1/hook")
    assert error.field == "url" and "http://" in error.message
    error = expect_api_error(400, member.webhook_create, "http://10.1.2.3/hook")
    assert error.field == "url" and "does not allow" in error.message
    hook = member.webhook_create(receivers["receiver"].url + "/demo", description="ops")
    assert hook["secret"].startswith("whsec_") and hook["project_id"] == stack.project_id("demo-member")
    assert "secret" not in member.webhook_get(hook["id"])  # shown once, at creation
    assert [h["id"] for h in member.webhook_list()] == [hook["id"]]
    assert "secret" not in repr(member.webhook_list())
    other_hook = other.webhook_create(receivers["receiver"].url + "/alt")
    assert hook["id"] not in [h["id"] for h in other.webhook_list(all_projects=True)]
    expect_api_error(404, other.webhook_get, hook["id"])
    expect_api_error(404, other.webhook_delete, hook["id"])
    expect_api_error(404, other.webhook_update, hook["id"], url=receivers["receiver"].url + "/stolen")
    assert stack.project_id("alt-member") not in repr(member.webhook_list())
    # Filtered hooks of the same project: failures of backups only, and failures of any job.
    errors_hook = member.webhook_create(receivers["receiver"].url + "/backup-errors", events=["backup.error"])
    any_error_hook = member.webhook_create(receivers["receiver"].url + "/any-error", events=["*.error"])
    assert (errors_hook["events"], any_error_hook["events"]) == (["backup.error"], ["*.error"])
    error = expect_api_error(400, member.webhook_update, errors_hook["id"], events=["backup.failed"])
    assert error.field == "events" and "backup.error" in error.message
    expect_api_error(404, other.webhook_update, errors_hook["id"], events=[])
    STATE.update(hook=hook, other_hook=other_hook, errors_hook=errors_hook, any_error_hook=any_error_hook)


def test_a_backup_tells_rabbitmq_the_webhook_and_the_mailbox(stack, receivers, listener):
    policy = stack.policy(name="notified", strategy="full", notify_on="always",
                          notify_emails=["ops@example.org", "lead@example.org"])
    assert policy["notify_on"] == "always" and policy["notify_emails"] == ["ops@example.org", "lead@example.org"]
    web = stack.server_named("web-1")
    stack.client().protect(web.id, policy["id"])
    STATE.update(policy=policy, web=web)
    job = stack.run_backup(web.id)

    notes = wait_until(lambda: len(found := listener.of(job["id"])) >= 2 and found, timeout=30,
                       what="backup.start and backup.end on RabbitMQ")
    assert [(n["event_type"], n["priority"]) for n in notes] == [("backup.start", "INFO"), ("backup.end", "INFO")]
    end = notes[1]
    assert end["publisher_id"] == f"storage-backup.{PUBLISHER_HOST}"
    assert end["payload"]["project_id"] == stack.project_id("demo-member")
    assert end["payload"]["instance_id"] == web.id and end["payload"]["restore_point_id"] == job["restore_point_id"]
    assert end["payload"]["bytes_read"] > 0 and end["payload"]["duration_seconds"] >= 0
    assert end["payload"]["volume_ids"]

    receiver = receivers["receiver"]
    posts = wait_until(lambda: len(found := receiver.events("/demo", job["id"])) >= 2 and found, timeout=30,
                       what="backup.start and backup.end at the webhook")
    assert sorted(post["document"]["event_type"] for post in posts) == ["backup.end", "backup.start"]
    for post in posts:
        signing.verify(STATE["hook"]["secret"], post["body"], post["headers"][signing.HEADER])
        assert post["headers"][signing.EVENT_HEADER] == post["document"]["event_type"]
    with pytest.raises(signing.SignatureInvalid):  # the other project's secret does not sign them
        signing.verify(STATE["other_hook"]["secret"], posts[0]["body"], posts[0]["headers"][signing.HEADER])

    mail = wait_until(lambda: [m for m in receivers["mailbox"].messages if job["id"] in m["message"].get_content()],
                      timeout=30, what="the success mail")
    assert len(mail) == 1 and sorted(mail[0]["to"]) == ["lead@example.org", "ops@example.org"]
    assert mail[0]["message"]["Subject"] == "[storage-backup] Backup of web-1 succeeded"
    assert mail[0]["from"] == "backup@cloud.example"
    # The unfiltered hook has had both events delivered by now; the control worker queued every hook's at once.
    time.sleep(2)
    assert receiver.events("/backup-errors", job["id"]) == [] and receiver.events("/any-error", job["id"]) == []
    STATE.update(backup=job, volume_id=end["payload"]["volume_ids"][0])


def test_a_failed_backup_tells_its_error_everywhere(stack, receivers, listener):
    # The receiver is down for its first answer: the delivery is tried again, signed again, with the same ID.
    receivers["receiver"].fail = 1
    stack.arm_fault("snapshot.create", "error")
    job = stack.run_backup(STATE["web"].id, expect="failed")

    notes = wait_until(lambda: [n for n in listener.of(job["id"]) if n["event_type"] == "backup.error"], timeout=30,
                       what="backup.error on RabbitMQ")
    assert notes[0]["priority"] == "ERROR"
    payload = notes[0]["payload"]
    assert payload["error_code"] and payload["error_message"] == job["error"]
    assert payload["restore_point_id"] is None

    receiver = receivers["receiver"]
    errors = wait_until(lambda: [p for p in receiver.events("/demo", job["id"]) if p["answered"] == 204
                                 and p["document"]["event_type"] == "backup.error"], timeout=30,
                        what="backup.error delivered to the webhook")
    tries = [p for p in receiver.events("/demo", job["id"])
             if p["headers"][signing.DELIVERY_HEADER] == errors[0]["headers"][signing.DELIVERY_HEADER]]
    assert len(receiver.events("/demo", job["id"])) >= 2
    for post in tries:
        signing.verify(STATE["hook"]["secret"], post["body"], post["headers"][signing.HEADER])
    hook = stack.client().webhook_get(STATE["hook"]["id"])
    assert hook["last_delivery_at"] and hook["last_delivery_status"]

    mail = wait_until(lambda: [m for m in receivers["mailbox"].messages if job["id"] in m["message"].get_content()],
                      timeout=30, what="the failure mail")
    assert mail[0]["message"]["Subject"] == "[storage-backup] Backup of web-1 failed"
    assert job["error"] in mail[0]["message"].get_content()

    # The hooks filtered to failures got this job's error, signed with their own secrets, and nothing else of it.
    for path, hook in (("/backup-errors", STATE["errors_hook"]), ("/any-error", STATE["any_error_hook"])):
        posts = wait_until(lambda path=path: [p for p in receiver.events(path, job["id"]) if p["answered"] == 204],
                           timeout=30, what=f"backup.error delivered to {path}")
        assert {p["document"]["event_type"] for p in receiver.events(path, job["id"])} == {"backup.error"}
        signing.verify(hook["secret"], posts[0]["body"], posts[0]["headers"][signing.HEADER])
        assert posts[0]["document"]["payload"]["error_code"]


def test_a_cancelled_backup_tells_its_cancel(stack, receivers, listener):
    """Cancelled through the API while it runs (its attach hangs): ``backup.start`` then ``backup.cancel``; then one
    cancelled while its message waits in the queue (no worker takes it): ``backup.cancel`` only."""
    member, receiver = stack.client(), receivers["receiver"]
    cancel_hook = member.webhook_create(receiver.url + "/cancels", events=["*.cancel"])
    assert cancel_hook["events"] == ["*.cancel"]
    STATE.update(cancel_hook=cancel_hook)
    user_id = member.session.get_user_id()

    stack.arm_fault("volume.attach", "hang")
    job = member.backup_create(STATE["web"].id)
    wait_until(lambda: member.job_get(job["id"])["progress"].get("step") == "attach", timeout=60,
               what="the backup to hang in its attach")
    assert member.job_cancel(job["id"])["state"] == "running"
    assert stack.wait_job(job["id"])["state"] == "cancelled"
    notes = wait_until(lambda: len(found := listener.of(job["id"])) >= 2 and found, timeout=30,
                       what="backup.start and backup.cancel on RabbitMQ")
    assert [(n["event_type"], n["priority"]) for n in notes] == [("backup.start", "INFO"), ("backup.cancel", "INFO")]
    cancel = notes[1]["payload"]
    assert (cancel["state"], cancel["cancelled_by_user_id"], cancel["cancelled_by_user_name"]) == (
        "cancelled", user_id, "demo-member")
    assert cancel["error_code"] is None and cancel["restore_point_id"] is None and cancel["started_at"]
    posts = wait_until(lambda: len(found := receiver.events("/demo", job["id"])) >= 2 and found, timeout=30,
                       what="backup.start and backup.cancel at the webhook")
    assert sorted(p["document"]["event_type"] for p in posts) == ["backup.cancel", "backup.start"]
    cancels = wait_until(lambda: receiver.events("/cancels", job["id"]), timeout=30, what="backup.cancel at *.cancel")
    assert [p["headers"][signing.EVENT_HEADER] for p in cancels] == ["backup.cancel"]
    signing.verify(cancel_hook["secret"], cancels[0]["body"], cancels[0]["headers"][signing.HEADER])
    assert cancels[0]["document"]["payload"]["cancelled_by_user_name"] == "demo-member"
    mail = wait_until(lambda: [m for m in receivers["mailbox"].messages if job["id"] in m["message"].get_content()],
                      timeout=30, what="the cancel mail (notify_on always: every ending)")
    assert mail[0]["message"]["Subject"] == "[storage-backup] Backup of web-1 was cancelled"
    assert stack.leftovers() == {}

    # Queued: sent to the nova proxy while its worker is stopped (less than the proxy's down-after ago), so the
    # cancel ends it at once; the worker, back, drops the stale message.
    stack.workers["nova"].stop()
    try:
        queued = member.backup_create(STATE["web"].id)
        wait_until(lambda: (j := member.job_get(queued["id"]))["attempts"] == 1 and j["state"] == "queued",
                   timeout=30, what=f"job {queued['id']} to be sent")
        assert member.job_cancel(queued["id"])["state"] == "cancelled"
        notes = wait_until(lambda: listener.of(queued["id"]), timeout=30, what="backup.cancel on RabbitMQ")
        cancels = wait_until(lambda: receiver.events("/cancels", queued["id"]), timeout=30,
                             what="the queued job's backup.cancel at *.cancel")
        time.sleep(2)  # the unfiltered hook's delivery was queued with it
        assert [n["event_type"] for n in listener.of(queued["id"])] == ["backup.cancel"]
        assert [p["document"]["event_type"] for p in receiver.events("/demo", queued["id"])] == ["backup.cancel"]
        assert cancels[0]["document"]["payload"]["started_at"] is None
    finally:
        stack.start_worker("nova")
        stack.wait_for_proxies()
    for path in ("/backup-errors", "/any-error"):  # a cancel is not a failure
        assert receiver.events(path, job["id"]) == [] and receiver.events(path, queued["id"]) == []


def test_a_volume_restore_tells_restore_start_and_end_signed_with_a_new_secret(stack, receivers, listener):
    renewed = stack.client().webhook_new_secret(STATE["hook"]["id"])
    assert renewed["secret"] != STATE["hook"]["secret"] and "secret" not in stack.client().webhook_list()[0]
    expect_api_error(404, stack.client("alt-member").webhook_new_secret, STATE["hook"]["id"])
    job = stack.run_restore(STATE["backup"]["restore_point_id"], volume_id=STATE["volume_id"], name="notified-copy")
    notes = wait_until(lambda: len(found := listener.of(job["id"])) >= 2 and found, timeout=30,
                       what="restore.start and restore.end on RabbitMQ")
    assert [n["event_type"] for n in notes] == ["restore.start", "restore.end"]
    end = notes[1]["payload"]
    assert (end["job_type"], end["restore_point_id"]) == ("restore_volume", STATE["backup"]["restore_point_id"])
    assert end["volume_ids"] == [job["result"]["volume_id"]]
    posts = wait_until(lambda: len(found := receivers["receiver"].events("/demo", job["id"])) >= 2 and found,
                       timeout=30, what="restore events at the webhook")
    assert sorted(post["document"]["event_type"] for post in posts) == ["restore.end", "restore.start"]
    for post in posts:  # the new secret signs them, the old one no longer does
        signing.verify(renewed["secret"], post["body"], post["headers"][signing.HEADER])
        with pytest.raises(signing.SignatureInvalid):
            signing.verify(STATE["hook"]["secret"], post["body"], post["headers"][signing.HEADER])
    assert receivers["receiver"].events("/backup-errors", job["id"]) == []  # a restore's: not a backup's error
    assert receivers["receiver"].events("/any-error", job["id"]) == []  # it succeeded


def test_a_changed_filter_holds_from_the_next_job(stack, receivers):
    """PATCH the failures-only hook to ``*.end``: the next backup's end reaches it, its start does not."""
    member, receiver = stack.client(), receivers["receiver"]
    changed = member.webhook_update(STATE["errors_hook"]["id"], events=["*.end"], description="ends")
    assert (changed["events"], changed["description"]) == (["*.end"], "ends")
    job = stack.run_backup(STATE["web"].id)
    posts = wait_until(lambda: [p for p in receiver.events("/backup-errors", job["id"]) if p["answered"] == 204],
                       timeout=30, what="backup.end at the hook changed to *.end")
    time.sleep(2)  # the unfiltered hook's start and end were queued with it
    assert [p["document"]["event_type"] for p in receiver.events("/backup-errors", job["id"])] == ["backup.end"]
    assert posts[0]["headers"][signing.EVENT_HEADER] == "backup.end"
    assert receiver.events("/any-error", job["id"]) == []


def test_the_other_project_heard_nothing_and_deleting_a_hook_stops_it(stack, receivers):
    receiver = receivers["receiver"]
    assert [r for r in receiver.received if r["path"] == "/alt"] == []  # another project's jobs only, and none ran
    assert not any(r["path"] == "/stolen" for r in receiver.received)
    member = stack.client()
    for name in ("hook", "errors_hook", "any_error_hook", "cancel_hook"):
        member.webhook_delete(STATE[name]["id"])
    assert member.webhook_list() == []
    before = len(receiver.received)
    job = stack.run_backup(STATE["web"].id)
    time.sleep(3)  # long enough for the control worker to have delivered, had there been a hook
    assert [r for r in receiver.received[before:] if json.loads(r["body"])["payload"]["job_id"] == job["id"]] == []


def test_policy_notification_fields_are_validated(stack):
    member = stack.client()
    destination = stack.destination()["id"]
    error = expect_api_error(400, member.policy_create, name="bad-mail", destination_id=destination,
                             notify_on="failure", notify_emails=["not-an-address"])
    assert error.field == "notify_emails" and "not-an-address" in error.message
    error = expect_api_error(400, member.policy_create, name="no-mail", destination_id=destination,
                             notify_on="failure")
    assert error.field == "notify_emails"
    error = expect_api_error(400, member.policy_create, name="bad-when", destination_id=destination,
                             notify_on="sometimes")
    assert error.field == "notify_on"


def test_the_events_were_sent_by_the_control_worker(stack):
    assert "control.notify" in open(os.path.join(stack.control_dir, "control-worker.log")).read()
