# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Editing a destination (administrators): its name and its immutability, the minimum and maximum retention lock.

The minimum lock is the destination's WORM floor: every restore point written there is locked at least that many
days, whatever its policy asks (``policies.lock_until``). Like a retention lock it can be raised at will; lowering it
only affects restore points made afterwards (those already locked keep their lock). The maximum
(``max_lock_days``, default 100 years) bounds how far ahead anyone may lock a restore point there.

Deleting a destination removes it from the catalog only, and only while nothing uses it: no policy writes or copies
to it, no restore point (nor vault copy, nor restore grant) is kept there, no job works on it. Its repository's data
stays where it is: the catalog can be rebuilt from it later (``rebuild``), and removing the data is the
administrator's to do on the storage itself.

An object store's ``credentials`` can be replaced (key rotation): the next job carries the new ones; the audit
records that they changed and their public part (S3's access key, Swift's application credential or user), never a
secret.
"""
from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from storage_backup.catalog.models import (
    ACTIVE_JOB_STATES,
    Destination,
    Job,
    Policy,
    RestorePoint,
    RestorePointCopy,
    VaultGrant,
)
from storage_backup.policies import destinations as rules
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize
from storage_backup.services.destinations import (
    DEDUP_SCOPES,
    OBJECT_STORE_TYPES,
    check_credentials,
    check_hardened,
    check_max_lock_days,
    check_object_lock_days,
    get_destination,
    policy_target,
)
from storage_backup.services.errors import Conflict, ValidationFailed

EDITABLE = ("name", "retention_lock_min_days", "max_lock_days", "dedup_scope", "hardened", "credentials")


def update_destination(caller: Caller, destination_id: str, data: dict) -> Destination:
    with audited(caller, "destination.update", "destination", destination_id) as target:
        authorize(caller, rules.UPDATE)  # before the lookup: whoever may not edit learns nothing of what exists
        destination = get_destination(caller, destination_id)
        target.project_id = destination.project_id
        authorize(caller, rules.UPDATE, policy_target(caller, destination))
        unknown = sorted(set(data) - set(EDITABLE))
        if unknown:
            raise ValidationFailed(unknown[0], "cannot be changed after creation (create another destination)")
        if "name" in data:
            if not str(data["name"]).strip():
                raise ValidationFailed("name", "must not be empty")
            destination.name = str(data["name"]).strip()
        if "retention_lock_min_days" in data:
            days = data["retention_lock_min_days"]
            if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 36500:
                raise ValidationFailed("retention_lock_min_days", "must be a whole number of days from 0 to 36500")
            target.detail = f"minimum lock {destination.retention_lock_min_days} -> {days} days"
            destination.retention_lock_min_days = days
        if "dedup_scope" in data:
            # Takes effect at the next backups: each starts its domain with a full backup; what is stored stays.
            if data["dedup_scope"] not in DEDUP_SCOPES:
                raise ValidationFailed("dedup_scope", f"must be one of: {', '.join(DEDUP_SCOPES)}")
            target.detail = f"deduplication {destination.dedup_scope} -> {data['dedup_scope']}"
            destination.dedup_scope = data["dedup_scope"]
        if "hardened" in data:
            if data["hardened"]:
                check_hardened(destination.type)
            # Turning it off locks nothing new; what the helper locked stays locked until its date.
            target.detail = f"hardened {destination.hardened} -> {bool(data['hardened'])}"
            destination.hardened = bool(data["hardened"])
        if "max_lock_days" in data:
            days = check_max_lock_days(data["max_lock_days"])
            target.detail = ((target.detail + "; ") if target.detail else "") + \
                f"maximum lock {destination.max_lock_days} -> {days} days"
            destination.max_lock_days = days
        if "credentials" in data:
            if destination.type not in OBJECT_STORE_TYPES:
                raise ValidationFailed("credentials", f"a {destination.type} destination takes no credentials")
            destination.credentials = check_credentials(destination.type, data["credentials"])
            target.detail = ((target.detail + "; ") if target.detail else "") + \
                f"credentials replaced ({_public_part(destination.credentials)})"
        if "max_lock_days" in data:
            check_object_lock_days(destination.type, destination.path, destination.max_lock_days, "max_lock_days")
        if destination.retention_lock_min_days > destination.max_lock_days:
            raise ValidationFailed("retention_lock_min_days" if "retention_lock_min_days" in data else "max_lock_days",
                                   f"the minimum lock ({destination.retention_lock_min_days} days) cannot exceed the "
                                   f"maximum ({destination.max_lock_days} days)")
        destination.save()
        return destination


def _public_part(credentials: dict) -> str:
    """What the audit names of new credentials: who they log in as, never a secret."""
    if credentials.get("access_key"):
        return f"access key {credentials['access_key']}"
    if credentials.get("application_credential_id"):
        return f"application credential {credentials['application_credential_id']}"
    if credentials.get("application_credential_name"):
        return f"application credential {credentials['application_credential_name']} of user " \
               f"{credentials.get('username') or ''}"
    return f"user {credentials.get('username') or ''}"


def delete_destination(caller: Caller, destination_id: str) -> None:
    """Remove an unused destination from the catalog (409 saying what still uses it)."""
    with audited(caller, "destination.delete", "destination", destination_id) as target:
        authorize(caller, rules.DELETE)  # before the lookup: whoever may not delete learns nothing of what exists
        with transaction.atomic():
            destination = get_destination(caller, destination_id)
            target.project_id = destination.project_id
            authorize(caller, rules.DELETE, policy_target(caller, destination))
            check_unused(destination)
            target.detail = f"{destination.name} ({destination.type})"
            destination.delete()


def check_unused(destination: Destination) -> None:
    """409 naming what uses the destination and what to do about it, the first such thing found."""
    label = f"Destination {destination.name}"
    policies = list(Policy.objects.filter(Q(destination=destination) | Q(vault_destination=destination))
                    .order_by("name").values_list("name", flat=True)[:6])
    if policies:
        shown = ", ".join(policies[:5]) + (", …" if len(policies) > 5 else "")
        raise Conflict(f"{label} is used by policy {shown}; move those policies to another destination (or delete "
                       "them) first.")
    points = RestorePoint.objects.filter(destination=destination).count()
    if points:
        raise Conflict(f"{label} holds {points} restore point(s); delete them (or let retention expire them) "
                       "first. Deleting the destination would leave them unreachable.")
    copies = RestorePointCopy.objects.filter(vault=destination).count()
    if copies:
        raise Conflict(f"{label} holds {copies} vault cop(ies) of restore points; delete those restore points "
                       "first.")
    if VaultGrant.objects.filter(vault=destination).exists():
        raise Conflict(f"{label} has restore grants of its vault worker; wait for those restores to end.")
    if Job.objects.filter(destination=destination, state__in=ACTIVE_JOB_STATES).exists():
        raise Conflict(f"{label} has queued or running jobs; wait for them to end (or cancel them) first.")
