# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Policies: schedule, strategy, destination, retention, WORM lock, pre/post commands, auto-assignment."""
from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from storage_backup.catalog import secrets
from storage_backup.catalog.models import Policy, Strategy
from storage_backup.contract import READ_LIMIT_MBPS_MAX, READ_LIMIT_MBPS_MIN
from storage_backup.notifications import mail
from storage_backup.policies import backup_policies as rules
from storage_backup.services import destinations, schedule
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize, listing
from storage_backup.services.errors import Conflict, NotFound, ValidationFailed

LOG = logging.getLogger(__name__)
EDITABLE = ("name", "description", "enabled", "schedule", "timezone", "window_start", "window_end", "strategy",
            "full_every", "keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly", "min_age_days",
            "retention_lock_days", "priority", "read_limit_mbps", "pre_command", "post_command", "auto_assign_tag",
            "auto_assign_metadata_key", "auto_assign_metadata_value", "notify_on", "notify_emails")
SCHEDULE_FIELDS = {"schedule", "timezone", "window_start", "window_end"}
ON_FAILURE = ("abort", "continue")
HOST_KEY_POLICIES = ("reject", "accept-new")
SECRET_MASK = "********"


def visible(caller: Caller):
    """Own project's policies and the shared ones; every policy for an admin asking for all projects."""
    queryset = Policy.objects.select_related("destination")
    if caller.sees_all():
        return queryset
    return queryset.filter(Q(project_id=caller.project_id) | Q(shared=True))


def list_policies(caller: Caller, project_id: str | None = None):
    caller = listing(caller, rules.LIST, rules.LIST_ALL)
    queryset = visible(caller)
    if project_id and caller.sees_all():
        queryset = queryset.filter(Q(project_id=project_id) | Q(shared=True))
    return queryset


def get_policy(caller: Caller, policy_id: str) -> Policy:
    queryset = Policy.objects.select_related("destination") if caller.is_admin else visible(caller)
    policy = queryset.filter(id=policy_id).first()
    if policy is None:
        raise NotFound(f"Policy {policy_id} could not be found.")
    authorize(caller, rules.GET, _target(caller, policy))
    return policy


def _target(caller: Caller, policy: Policy) -> dict:
    """A published policy belongs to no project: it is offered to every one, the caller's included."""
    return {"project_id": caller.project_id if policy.shared else policy.project_id}


def _check_writable(caller: Caller, policy: Policy, rule: str, shared_rule: str) -> None:
    authorize(caller, shared_rule if policy.shared else rule, _target(caller, policy))


def _validate_command(field: str, command: dict | None, existing: dict | None) -> dict | None:
    if command is None:
        return None
    if not isinstance(command, dict):
        raise ValidationFailed(field, "must be an object with command, user, private_key, timeout, on_failure")
    merged = dict(command)
    if merged.get("private_key") in (None, "", SECRET_MASK) and existing:
        merged["private_key"] = existing.get("private_key")  # a PATCH that leaves the key out keeps it
    for key in ("command", "user", "private_key"):
        if not isinstance(merged.get(key), str) or not merged[key].strip():
            raise ValidationFailed(f"{field}.{key}", "is required and must be a non-empty string")
    merged.setdefault("port", 22)
    merged.setdefault("timeout", 60)
    merged.setdefault("on_failure", "abort")
    merged.setdefault("host_key_policy", "reject")
    merged.setdefault("known_hosts", None)
    if not isinstance(merged["port"], int) or not 1 <= merged["port"] <= 65535:
        raise ValidationFailed(f"{field}.port", "must be an integer between 1 and 65535")
    if not isinstance(merged["timeout"], int | float) or not 1 <= merged["timeout"] <= 3600:
        raise ValidationFailed(f"{field}.timeout", "must be between 1 and 3600 seconds")
    if merged["on_failure"] not in ON_FAILURE:
        raise ValidationFailed(f"{field}.on_failure", "must be 'abort' or 'continue'")
    if merged["host_key_policy"] not in HOST_KEY_POLICIES:
        raise ValidationFailed(f"{field}.host_key_policy", "must be 'reject' or 'accept-new'")
    if merged["host_key_policy"] == "reject" and not merged.get("known_hosts"):
        raise ValidationFailed(f"{field}.known_hosts", "is required when host_key_policy is 'reject' (give the "
                                                       "instance's host key line, as in known_hosts)")
    allowed = {"command", "user", "private_key", "port", "timeout", "on_failure", "known_hosts", "host_key_policy"}
    unknown = set(merged) - allowed
    if unknown:
        raise ValidationFailed(f"{field}.{sorted(unknown)[0]}", "is not a known field")
    return merged


def _validate(policy: Policy, data: dict) -> None:
    if "name" in data and not str(data["name"]).strip():
        raise ValidationFailed("name", "must not be empty")
    start = data.get("window_start", policy.window_start)
    end = data.get("window_end", policy.window_end)
    if SCHEDULE_FIELDS & set(data) or policy._state.adding:
        expression = data.get("schedule", policy.schedule)
        zone = data.get("timezone", policy.timezone)
        if expression:
            # A schedule that never runs, or a window that holds none of its fires, is refused here: stored, it
            # would only ever fail (and once, every tick failed with it).
            schedule.check(expression, zone, start, end, timezone.now())
        elif "timezone" in data and not schedule.valid_timezone(zone):
            raise ValidationFailed("timezone", f"{zone!r} is not an IANA time zone such as Europe/Paris")
    if (start is None) != (end is None):
        raise ValidationFailed("window_end" if end is None else "window_start",
                               "a time window needs both window_start and window_end")
    if start is not None and start == end:
        raise ValidationFailed("window_end", "must differ from window_start")
    if "strategy" in data and data["strategy"] not in Strategy.values:
        raise ValidationFailed("strategy", f"must be one of: {', '.join(Strategy.values)}")
    if "full_every" in data and data["full_every"] < 1:
        raise ValidationFailed("full_every", "must be at least 1")
    limit = data.get("read_limit_mbps")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not READ_LIMIT_MBPS_MIN <= limit <= READ_LIMIT_MBPS_MAX):
        raise ValidationFailed("read_limit_mbps", f"must be a whole number of MB/s from {READ_LIMIT_MBPS_MIN} to "
                                                  f"{READ_LIMIT_MBPS_MAX}, or null for no cap of the policy's own")
    if "notify_on" in data and data["notify_on"] not in mail.NOTIFY_ON:
        raise ValidationFailed("notify_on", f"must be one of: {', '.join(mail.NOTIFY_ON)}")
    if "notify_emails" in data:
        try:
            data["notify_emails"] = mail.check_recipients(data["notify_emails"])
        except mail.RecipientsInvalid as error:
            raise ValidationFailed("notify_emails", str(error)) from None
    if data.get("notify_on", policy.notify_on) != "never" and \
            not data.get("notify_emails", policy.notify_emails):
        if "notify_on" in data or "notify_emails" in data:
            raise ValidationFailed("notify_emails", f"needs at least one address when notify_on is "
                                                    f"{data.get('notify_on', policy.notify_on)}")
    if data.get("auto_assign_metadata_value") and not data.get("auto_assign_metadata_key",
                                                               policy.auto_assign_metadata_key):
        raise ValidationFailed("auto_assign_metadata_key", "is required with auto_assign_metadata_value")


def _apply(caller: Caller, policy: Policy, data: dict) -> None:
    _validate(policy, data)
    for name in ("pre_command", "post_command"):
        if name in data:
            data[name] = _validate_command(name, data[name], getattr(policy, name))
    if "destination_id" in data:
        try:
            destination = destinations.get_destination(caller, data["destination_id"])
        except NotFound:
            raise ValidationFailed("destination_id", f"no destination {data['destination_id']} is available to "
                                                     "this project") from None
        if destination.vault:
            raise ValidationFailed("destination_id", f"destination {destination.name} is a vault: restore points "
                                                     "are copied there by the vault worker (vault_destination_id), "
                                                     "never written there by a backup")
        policy.destination = destination
    if "vault_destination_id" in data:
        policy.vault_destination = _vault_of(caller, data["vault_destination_id"])
    for name in EDITABLE:
        if name in data:
            setattr(policy, name, data[name])
    if SCHEDULE_FIELDS & set(data):
        policy.schedule_error, policy.schedule_failed_at = "", None  # the scheduler tells again if it still fails


def _vault_of(caller: Caller, vault_id: str | None):
    """The policy's vault: a vault destination the policy's project may use (None: no vault copy)."""
    if not vault_id:
        return None
    try:
        vault = destinations.get_destination(caller, vault_id)
    except NotFound:
        raise ValidationFailed("vault_destination_id", f"no destination {vault_id} is available to this "
                                                       "project") from None
    if not vault.vault:
        raise ValidationFailed("vault_destination_id", f"destination {vault.name} is not a vault (an administrator "
                                                       "makes one with vault: true)")
    return vault


def create_policy(caller: Caller, data: dict) -> Policy:
    with audited(caller, "policy.create", "policy") as target:
        data = dict(data)
        shared = bool(data.pop("shared", False))
        project_id = data.pop("project_id", None) or caller.project_id
        authorize(caller, rules.CREATE, {"project_id": project_id})
        if shared or project_id != caller.project_id:
            authorize(caller, rules.CREATE_SHARED, {"project_id": project_id})
        if "destination_id" not in data:
            raise ValidationFailed("destination_id", "is required")
        policy = Policy(project_id="" if shared else project_id, shared=shared, created_by=caller.user_id)
        _apply(caller, policy, data)
        policy.save()
        target.id, target.project_id = policy.id, policy.project_id
        return policy


def update_policy(caller: Caller, policy_id: str, data: dict) -> Policy:
    with audited(caller, "policy.update", "policy", policy_id) as target:
        with transaction.atomic():
            policy = get_policy(caller, policy_id)
            target.project_id = policy.project_id
            _check_writable(caller, policy, rules.UPDATE, rules.UPDATE_SHARED)
            _apply(caller, policy, dict(data))
            policy.save()
        return policy


def delete_policy(caller: Caller, policy_id: str) -> None:
    with audited(caller, "policy.delete", "policy", policy_id) as target:
        with transaction.atomic():
            policy = get_policy(caller, policy_id)
            target.project_id = policy.project_id
            _check_writable(caller, policy, rules.DELETE, rules.DELETE_SHARED)
            count = policy.assignments.count()
            if count:
                raise Conflict(f"Policy {policy.name!r} ({policy_id}) still protects {count} instance(s); unassign "
                               "them or move them to another policy first.")
            policy.delete()


def public_command(command: dict | None) -> dict | None:
    """A pre/post command as the API shows it: the private key never leaves the catalog."""
    if command is None:
        return None
    shown = dict(command)
    shown["private_key"] = SECRET_MASK if shown.get("private_key") else None
    return shown


def shown_command(policy: Policy, name: str) -> dict | None:
    """``pre_command`` or ``post_command`` as the API shows it, read without decrypting the key: a listing never
    needs the catalog key."""
    return public_command(secrets.stored(policy, name))


def schedule_status(policy: Policy, now: dt.datetime) -> tuple[dt.datetime | None, str]:
    """The policy's next run (None when disabled, on demand or unable to run) and what is wrong with its schedule
    (``""`` when nothing is). A schedule stored before the API refused it is shown with its error, never raised:
    one policy must not break a listing."""
    error = policy.schedule_error
    if not policy.schedule:
        return None, error
    try:
        error = schedule.problem(policy.schedule, policy.timezone, policy.window_start, policy.window_end,
                                 now) or error
        if error or not policy.enabled:
            return None, error
        return schedule.next_fire(policy.schedule, policy.timezone, now, policy.window_start,
                                  policy.window_end), error
    except Exception as failure:  # whatever it is, the listing goes on and shows it
        LOG.warning("next run of policy %s could not be computed: %s", policy.id, failure)
        return None, getattr(failure, "message", None) or f"{type(failure).__name__}: {failure}"


def lock_until(policy: Policy | None, created_at: dt.datetime) -> dt.datetime | None:
    """When a restore point made now under ``policy`` may be deleted again (WORM), or None."""
    if policy is None:
        return None
    # The destination's immutability setting is a floor under every policy writing there.
    days = max(policy.retention_lock_days, policy.destination.retention_lock_min_days if policy.destination_id else 0)
    if not days:
        return None
    if policy.destination_id:
        days = min(days, policy.destination.max_lock_days)  # never beyond what the destination allows
    return created_at + dt.timedelta(days=days)
