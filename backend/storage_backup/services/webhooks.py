# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A project's webhooks: registered, listed, changed and removed by its members, each with a signing secret the
service makes and returns once (``create_webhook``) and the event types it wants (``events``, empty: all);
delivered by the control worker (``storage_backup.notifications.delivery``). Another project's hook is a 404, as
everything else."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction

from storage_backup.catalog.models import Webhook
from storage_backup.notifications import events, signing, targets
from storage_backup.policies import webhooks as rules
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize, check_visible, listing, scope_queryset
from storage_backup.services.errors import Conflict, NotFound, ValidationFailed

EDITABLE = ("url", "description", "enabled", "events")


def list_webhooks(caller: Caller, project_id: str | None = None):
    return scope_queryset(listing(caller, rules.LIST, rules.LIST_ALL), Webhook.objects.all(), project_id=project_id)


def get_webhook(caller: Caller, webhook_id: str, rule: str = rules.GET) -> Webhook:
    hook = Webhook.objects.filter(pk=webhook_id).first()
    if hook is None:
        raise NotFound(f"Webhook {webhook_id} could not be found.")
    check_visible(caller, hook.project_id, "Webhook", webhook_id)
    authorize(caller, rule, {"project_id": hook.project_id})
    return hook


def _validate(data: dict) -> dict:
    cleaned = {}
    if "url" in data:
        try:
            cleaned["url"] = targets.check_url(data["url"])
        except targets.TargetRefused as error:
            raise ValidationFailed("url", str(error)) from None
    if "description" in data:
        description = str(data["description"] or "").strip()
        if len(description) > 255:
            raise ValidationFailed("description", "must be at most 255 characters")
        cleaned["description"] = description
    if "enabled" in data:
        cleaned["enabled"] = bool(data["enabled"])
    if "events" in data:
        try:
            cleaned["events"] = events.check_event_filter(data["events"])
        except events.EventFilterInvalid as error:
            raise ValidationFailed("events", str(error)) from None
    return cleaned


def create_webhook(caller: Caller, data: dict) -> tuple[Webhook, str]:
    """The new hook and its secret, which no later call shows again."""
    with audited(caller, "webhook.create", "webhook", project_id=caller.project_id) as target:
        authorize(caller, rules.CREATE, {"project_id": caller.project_id})
        if "url" not in data:
            raise ValidationFailed("url", "is required")
        cleaned = _validate(data)
        limit = settings.NOTIFICATIONS["webhook_max_per_project"]
        with transaction.atomic():
            if Webhook.objects.filter(project_id=caller.project_id).count() >= limit:
                raise Conflict(f"The project has {limit} webhooks, the most allowed; delete one first.")
            secret = signing.new_secret()
            hook = Webhook.objects.create(project_id=caller.project_id, secret=secret, created_by=caller.user_id,
                                          **cleaned)
        target.id, target.detail = hook.id, hook.url
        return hook, secret


def update_webhook(caller: Caller, webhook_id: str, data: dict) -> Webhook:
    with audited(caller, "webhook.update", "webhook", webhook_id) as target:
        with transaction.atomic():
            hook = get_webhook(caller, webhook_id, rules.UPDATE)
            target.project_id = hook.project_id
            for name, value in _validate(data).items():
                setattr(hook, name, value)
            hook.save(update_fields=[*EDITABLE])
        return hook


def new_secret(caller: Caller, webhook_id: str) -> tuple[Webhook, str]:
    """A new signing secret for the hook (the old one signs nothing from now on), returned this once."""
    with audited(caller, "webhook.new_secret", "webhook", webhook_id) as target:
        with transaction.atomic():
            hook = get_webhook(caller, webhook_id, rules.UPDATE)
            target.project_id = hook.project_id
            secret = signing.new_secret()
            hook.secret = secret
            hook.save(update_fields=["secret"])
        return hook, secret


def delete_webhook(caller: Caller, webhook_id: str) -> None:
    with audited(caller, "webhook.delete", "webhook", webhook_id) as target:
        hook = get_webhook(caller, webhook_id, rules.DELETE)
        target.project_id = hook.project_id
        hook.delete()
