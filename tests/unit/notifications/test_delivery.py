# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Which hooks and which mail an event reaches: its own project's only (the deliveries themselves, over HTTP and
SMTP, are tests/functional/e2e/test_notifications.py)."""
from __future__ import annotations

import uuid

from django.test import override_settings
from storage_backup.catalog.models import Destination, JobState, Policy, Webhook
from storage_backup.notifications import delivery, events
from storage_backup.notifications.events import Phase

from tests.unit.notifications.test_events import _job, _settings


def _event(project: str, policy_id: str = "", phase: Phase = Phase.ERROR) -> dict:
    job = _job(project_id=project, state=JobState.FAILED, error="boom", policy_id=policy_id or None)
    return events.build(job, phase, "failed").to_message()


def test_an_event_is_queued_for_its_own_project_hooks_only(monkeypatch):
    project_a, project_b = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    mine = Webhook.objects.create(project_id=project_a, url="https://hooks.example.com/a", secret="whsec_a")
    Webhook.objects.create(project_id=project_a, url="https://hooks.example.com/off", secret="whsec_o", enabled=False)
    Webhook.objects.create(project_id=project_b, url="https://hooks.example.com/b", secret="whsec_b")
    queued = []
    monkeypatch.setattr(delivery, "send_webhook_task", lambda hook_id, *args, **kwargs: queued.append(hook_id))
    assert delivery.queue_webhooks(events.JobEvent.from_message(_event(project_a))) == [mine.id]
    assert queued == [mine.id]


def test_a_hook_never_hears_another_project_even_if_asked(monkeypatch):
    other = Webhook.objects.create(project_id=f"b-{uuid.uuid4().hex[:8]}", url="https://hooks.example.com/b",
                                   secret="whsec_b")
    monkeypatch.setattr(delivery.webhook_delivery, "post", lambda *args: (_ for _ in ()).throw(AssertionError))
    assert delivery.deliver_webhook(other.id, _event("project-a"), 1, "delivery-1") == "gone"


def test_a_project_policy_mails_about_its_own_project_jobs_only(monkeypatch):
    destination = Destination.objects.create(name=f"d-{uuid.uuid4().hex[:6]}", path="/srv/d")
    policy = Policy.objects.create(project_id="project-a", name="p", destination=destination, notify_on="failure",
                                   notify_emails=["ops@example.org"])
    sent = []
    monkeypatch.setattr(delivery.mail, "send", lambda event, recipients: sent.append((event.event_type, recipients)))
    with override_settings(NOTIFICATIONS={**_settings(), "smtp_host": "127.0.0.1"}):
        assert delivery.send_mail(events.JobEvent.from_message(_event("project-a", policy.id))) == ["ops@example.org"]
        assert delivery.send_mail(events.JobEvent.from_message(_event("project-b", policy.id))) == []
        assert delivery.send_mail(events.JobEvent.from_message(_event("project-a", policy.id, Phase.END))) == []
    assert sent == [("backup.error", ["ops@example.org"])]


def test_a_channel_that_fails_is_reported_and_the_others_still_run(monkeypatch):
    monkeypatch.setattr(delivery.messaging, "enabled", lambda: True)
    monkeypatch.setattr(delivery.messaging, "emit", lambda event: (_ for _ in ()).throw(ConnectionError("down")))
    monkeypatch.setattr(delivery, "queue_webhooks", lambda event: ["hook"])
    monkeypatch.setattr(delivery, "send_mail", lambda event: [])
    report = delivery.deliver(_event("project-a"))
    assert report["messaging"].startswith("failed: ConnectionError") and report["webhooks"] == ["hook"]


def test_a_hook_hears_only_the_events_its_filter_wants(monkeypatch):
    project = f"a-{uuid.uuid4().hex[:8]}"
    every = Webhook.objects.create(project_id=project, url="https://hooks.example.com/all", secret="whsec_1")
    errors = Webhook.objects.create(project_id=project, url="https://hooks.example.com/e", secret="whsec_2",
                                    events=["*.error"])
    restores = Webhook.objects.create(project_id=project, url="https://hooks.example.com/r", secret="whsec_3",
                                      events=["restore.*"])
    monkeypatch.setattr(delivery, "send_webhook_task", lambda *args, **kwargs: None)
    failed = events.JobEvent.from_message(_event(project))
    ended = events.JobEvent.from_message(_event(project, phase=Phase.END))
    assert delivery.queue_webhooks(failed) == [every.id, errors.id]
    assert delivery.queue_webhooks(ended) == [every.id]
    # A filter changed after the event was queued counts at the delivery (a retry too).
    monkeypatch.setattr(delivery.webhook_delivery, "post", lambda *args: (_ for _ in ()).throw(AssertionError))
    assert delivery.deliver_webhook(restores.id, _event(project), 1, "delivery-2") == "not wanted"
