# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What the control worker does with one job event (tasks ``control.notify`` and ``control.deliver_webhook``):
each channel on its own, a failure logged and reported, never raised.

- oslo.messaging: every job's events, when a transport is set;
- webhooks: every enabled hook of the job's project (a job of no project, such as a prune of a shared destination,
  has none) whose ``events`` filter wants the event (an empty one wants all), each as its own task, tried again
  with backoff up to ``webhook_max_attempts``;
- e-mail: the job's policy's ``notify_emails``, when its ``notify_on`` asks for this phase.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from storage_backup.catalog.models import Policy, Webhook
from storage_backup.contract import CONTROL_QUEUE
from storage_backup.notifications import mail, messaging, webhook_delivery
from storage_backup.notifications.events import TENANT_JOB_TYPES, JobEvent, filter_matches
from storage_backup.services import bus

LOG = logging.getLogger(__name__)

WEBHOOK_TASK = "control.deliver_webhook"


def _channel(report: dict, name: str, event: JobEvent, run: Callable[[], object]) -> None:
    try:
        report[name] = run()
    except Exception as error:
        LOG.warning("%s of job %s: %s not delivered: %s: %s", event.event_type, event.payload.get("job_id"), name,
                    type(error).__name__, error)
        report[name] = f"failed: {type(error).__name__}: {error}"


def deliver_all(messages: list[dict] | dict) -> list[dict]:
    """The events of one change of a job's state, in their order."""
    return [deliver(message) for message in (messages if isinstance(messages, list) else [messages])]


def deliver(message: dict) -> dict:
    event = JobEvent.from_message(message)
    report: dict = {"event_type": event.event_type}
    if messaging.enabled():
        _channel(report, "messaging", event, lambda: messaging.emit(event) or "sent")
    if event.payload.get("job_type") in TENANT_JOB_TYPES and event.project_id:
        _channel(report, "webhooks", event, lambda: queue_webhooks(event))
        _channel(report, "email", event, lambda: send_mail(event))
    return report


def queue_webhooks(event: JobEvent) -> list[str]:
    found = Webhook.objects.filter(project_id=event.project_id, enabled=True).values_list("id", "events")
    hooks = [hook_id for hook_id, event_filter in found if filter_matches(event_filter, event.event_type)]
    for hook_id in hooks:
        send_webhook_task(hook_id, event.to_message(), attempt=1, delivery_id=str(uuid.uuid4()))
    return hooks


def send_webhook_task(hook_id: str, message: dict, attempt: int, delivery_id: str, countdown: float = 0) -> None:
    bus.celery_app().send_task(WEBHOOK_TASK, args=[hook_id, message, attempt, delivery_id], queue=CONTROL_QUEUE,
                               countdown=countdown or None)


def deliver_webhook(hook_id: str, message: dict, attempt: int, delivery_id: str) -> str:
    """One attempt; a failed one is sent again with backoff (the same delivery ID, so a receiver can tell a retry)."""
    event = JobEvent.from_message(message)
    hook = Webhook.objects.filter(pk=hook_id, enabled=True).first()
    # Tenancy, once more at the last step: a hook hears only its own project's jobs.
    if hook is None or hook.project_id != event.project_id:
        return "gone"
    # Its filter changed since the event was queued (or between retries): it no longer wants this event.
    if not filter_matches(hook.events, event.event_type):
        return "not wanted"
    config = settings.NOTIFICATIONS
    try:
        status = webhook_delivery.post(hook.url, hook.secret, event, delivery_id)
        outcome = f"HTTP {status}"
    except webhook_delivery.DeliveryFailed as error:
        outcome = f"failed: {error}"
        if attempt < config["webhook_max_attempts"]:
            delay = config["webhook_retry_backoff"] * 2 ** (attempt - 1)
            LOG.info("webhook %s: %s of job %s, attempt %d %s; again in %g s", hook.id, event.event_type,
                     event.payload.get("job_id"), attempt, outcome, delay)
            try:
                send_webhook_task(hook.id, message, attempt + 1, delivery_id, countdown=delay)
            except Exception as send_error:
                LOG.warning("webhook %s: retry not queued: %s", hook.id, send_error)
            outcome += f" (attempt {attempt} of {config['webhook_max_attempts']}, retrying)"
        else:
            LOG.warning("webhook %s: %s of job %s not delivered after %d attempts: %s", hook.id, event.event_type,
                        event.payload.get("job_id"), attempt, error)
            outcome += f" (attempt {attempt} of {config['webhook_max_attempts']}, given up)"
    Webhook.objects.filter(pk=hook.pk).update(last_delivery_at=timezone.now(), last_delivery_status=outcome[:255])
    return outcome


def send_mail(event: JobEvent) -> list[str]:
    if not mail.enabled() or not event.policy_id:
        return []
    policy = Policy.objects.filter(pk=event.policy_id).first()
    if policy is None or not policy.notify_emails or not mail.wanted(policy.notify_on, event):
        return []
    # A project's policy mails about that project's jobs only; a published policy's mail is its administrator's.
    if policy.project_id and policy.project_id != event.project_id:
        return []
    recipients = list(policy.notify_emails)
    mail.send(event, recipients)
    return recipients
