# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Enrolled worker keys: the public keys task secrets are sealed to (docs/TASKS.md "Sealed secrets").

A key is trusted only because an administrator enrolled it here — through ``POST /v1/proxies/{name}/keys``, the
``proxy_keys`` management command or a deployment tool calling either — never because it arrived over Redis: no
heartbeat, ping answer or task result can add one, so whoever can write to Redis cannot make the control plane seal
secrets to a key of theirs. Several keys of one queue are all recipients (two during a worker's key rotation, one
per worker when several serve a zone); a revoked key gets no task sealed from then on.
"""
from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from storage_backup import contract
from storage_backup.catalog.models import ProxyKey
from storage_backup.policies import proxy_keys as rules
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize
from storage_backup.services.errors import Conflict, NotFound, ValidationFailed

NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._@-]{0,254}\Z")


def _queue(queue: object) -> str:
    text = str(queue or "").strip()
    if text in (contract.DATA_QUEUE, contract.VAULT_QUEUE):
        return text
    if text.startswith(contract.PROXY_QUEUE_PREFIX) and len(text) > len(contract.PROXY_QUEUE_PREFIX):
        return text
    raise ValidationFailed("queue", f"must be {contract.DATA_QUEUE!r} (a data worker), {contract.VAULT_QUEUE!r} (the "
                                    f"vault worker) or '{contract.PROXY_QUEUE_PREFIX}<availability zone>' (a proxy "
                                    "worker)")


def _name(name: object) -> str:
    text = str(name or "")
    if not NAME.match(text):
        raise ValidationFailed("name", "must be 1 to 255 letters, digits, '.', '_', '@' or '-', e.g. proxy-nova-1")
    return text


def enrol(caller: Caller, name: str, queue: str, public_key: str) -> ProxyKey:
    """Trust ``public_key`` for the tasks of ``queue`` as the key of worker ``name``. Enrolling the same key again
    for the same worker and queue returns it as it is (a deployment tool may run twice); the same key for another
    worker or queue, or a revoked key, is a conflict (revoked keys stay revoked: make a new one)."""
    with audited(caller, "proxy_key.create", "proxy_key") as target:
        authorize(caller, rules.CREATE)
        name, queue = _name(name), _queue(queue)
        try:
            key_text = contract.public_key_text(contract.parse_public_key(public_key))
        except ValueError as error:
            raise ValidationFailed("public_key", str(error)) from None
        fingerprint = contract.key_id(key_text)
        target.id = fingerprint
        existing = ProxyKey.objects.filter(key_id=fingerprint).first()
        if existing is not None:
            if existing.revoked_at is not None:
                raise Conflict(f"key {fingerprint} was revoked on {existing.revoked_at.isoformat()}; a revoked key is "
                               "never trusted again: make a new one (storage-backup proxy-key rotate)")
            if (existing.proxy_name, existing.queue) != (name, queue):
                raise Conflict(f"key {fingerprint} is enrolled for {existing.proxy_name} on {existing.queue}")
            target.detail = f"{name} {queue} (already enrolled)"
            return existing
        try:
            with transaction.atomic():
                key = ProxyKey.objects.create(proxy_name=name, queue=queue, public_key=key_text, key_id=fingerprint,
                                              created_by=caller.user_name or caller.user_id)
        except IntegrityError:  # enrolled at the same moment by another request
            raise Conflict(f"key {fingerprint} was enrolled meanwhile") from None
        target.detail = f"{name} {queue}"
        return key


def revoke(caller: Caller, name: str, key_id: str) -> ProxyKey:
    """No task is sealed to the key from now on (tasks sealed before may still open with it until they ran)."""
    with audited(caller, "proxy_key.delete", "proxy_key", key_id) as target:
        authorize(caller, rules.DELETE)
        key = ProxyKey.objects.filter(proxy_name=name, key_id=key_id).first()
        if key is None:
            raise NotFound(f"No key {key_id} is enrolled for worker {name}.")
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.revoked_by = caller.user_name or caller.user_id
            key.save(update_fields=["revoked_at", "revoked_by"])
        target.detail = f"{key.proxy_name} {key.queue}"
        return key


def list_keys(caller: Caller, name: str | None = None, include_revoked: bool = True) -> QuerySet:
    authorize(caller, rules.LIST)
    keys = ProxyKey.objects.all()
    if name is not None:
        keys = keys.filter(proxy_name=name)
    if not include_revoked:
        keys = keys.filter(revoked_at__isnull=True)
    return keys


def recipients(queue: str) -> list[str]:
    """The public keys a task of ``queue`` is sealed to: every enrolled key of the queue not revoked."""
    return list(ProxyKey.objects.filter(queue=queue, revoked_at__isnull=True).order_by("created_at")
                .values_list("public_key", flat=True))
