# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The air-gapped vault copy, on the control plane's side.

The vault worker reaches in, never the reverse: it asks ``GET /v1/vault/work`` what to copy (restore points whose
policy names its vault, their repository secrets sealed to its enrolled key), copies with credentials only it holds,
and reports (``POST /v1/vault/copies``). The control plane holds no vault credential, calls no vault and propagates
no deletion: deleting a restore point leaves its copy row, marked as the only copy (``primary_deleted_at``).

A restore from the vault (``source: "vault"``) waits for the vault worker's grant (``POST /v1/vault/grants``:
pre-signed, read-only, expiring URLs of the objects one restore point needs), stored sealed at rest and sent to the
proxy sealed to its key as the ``credentials`` of a ``presigned`` destination; the row goes when the job ends.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from storage_backup import contract
from storage_backup.catalog.models import (
    ACTIVE_JOB_STATES,
    CopyState,
    Destination,
    Job,
    RestorePoint,
    RestorePointCopy,
    VaultGrant,
)
from storage_backup.policies import vault as rules
from storage_backup.services import proxy_keys, vault_recovery
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize
from storage_backup.services.errors import Conflict, NotFound, ValidationFailed

LOG = logging.getLogger(__name__)
SOURCE_PRIMARY = "primary"
SOURCE_VAULT = "vault"
REPORTED_STATES = (CopyState.COPYING, CopyState.COPIED, CopyState.FAILED)


def _setting(name: str):
    return settings.VAULT[name]


# -- the catalog's side: which copies a restore point has ---------------------------------------------------------

def ensure_copy(point: RestorePoint) -> RestorePointCopy | None:
    """The queued copy of ``point`` into its policy's vault (made once; None when the policy names no vault)."""
    policy = point.policy
    if policy is None or policy.vault_destination_id is None:
        return None
    try:
        with transaction.atomic():
            copy, _ = RestorePointCopy.objects.get_or_create(
                restore_point_id=point.id, vault_id=policy.vault_destination_id,
                defaults={"project_id": point.project_id, "instance_id": point.instance_id,
                          "instance_name": point.instance_name, "point_created_at": point.created_at,
                          "primary": point.destination})
    except IntegrityError:  # made at the same moment by another request
        copy = RestorePointCopy.objects.get(restore_point_id=point.id, vault_id=policy.vault_destination_id)
    return copy


def _queue_missing(vault: Destination) -> None:
    """Copies of the restore points whose policy names ``vault`` and that have none yet (a policy given a vault
    later: its existing restore points are copied too; not a vault-only one, whose primary holds nothing to copy)."""
    have = RestorePointCopy.objects.filter(vault=vault).values("restore_point_id")
    missing = RestorePoint.objects.select_related("policy", "destination").filter(
        policy__vault_destination=vault, vault_only=False).exclude(id__in=have)
    for point in missing[:1000]:
        ensure_copy(point)


def copies_of(point: RestorePoint) -> list[RestorePointCopy]:
    """The vault copies of one restore point (of its project only: the row carries the point's project)."""
    return list(RestorePointCopy.objects.select_related("vault").filter(
        restore_point_id=point.id, project_id=point.project_id).order_by("created_at"))


def shown_copies(point: RestorePoint) -> list[dict]:
    """Every copy of the restore point, the primary first, as the API and Horizon show them (a vault-only point's
    primary copy as ``deleted``)."""
    copies = copies_of(point)
    deleted_at = max((copy.primary_deleted_at for copy in copies if copy.primary_deleted_at), default=None)
    shown = [{"kind": "primary", "destination_id": point.destination_id,
              "destination_name": point.destination.name if point.destination else "",
              "state": "deleted" if point.vault_only else "stored",
              "at": (deleted_at or point.created_at) if point.vault_only else point.created_at,
              "chunks_copied": None, "bytes_copied": None, "error": ""}]
    for copy in copies:
        shown.append({"kind": "vault", "destination_id": copy.vault_id, "destination_name": copy.vault.name,
                      "state": copy.state, "at": copy.copied_at or copy.updated_at,
                      "chunks_copied": copy.chunks_copied, "bytes_copied": copy.bytes_copied,
                      "error": copy.error})
    return shown


def copied_copy(point: RestorePoint) -> RestorePointCopy | None:
    return RestorePointCopy.objects.filter(restore_point_id=point.id, project_id=point.project_id,
                                           state=CopyState.COPIED).order_by("-copied_at").first()


def primary_deleted(restore_point_ids: list[str]) -> None:
    """The restore points leave the catalog (called while their rows are still there): their vault copies stay
    (deletions never propagate), marked as the only copy and keeping the row, so the point can be recovered from
    the vault (``vault_recovery``); a copy not made yet never will be (its primary goes)."""
    now = timezone.now()
    vault_recovery.keep_records(restore_point_ids)
    copies = RestorePointCopy.objects.filter(restore_point_id__in=restore_point_ids)
    copies.update(primary_deleted_at=now)
    copies.exclude(state=CopyState.COPIED).update(
        state=CopyState.FAILED, error="The restore point was deleted before its vault copy was made.")


def check_vault(destination: Destination, field: str = "vault_destination_id") -> Destination:
    if not destination.vault:
        raise ValidationFailed(field, f"destination {destination.name} is not a vault (an administrator creates "
                                      "vault destinations with vault: true)")
    return destination


# -- the vault worker's side: work, reports, grants -----------------------------------------------------------------

def get_vault(vault_id: str) -> Destination:
    vault = Destination.objects.filter(id=vault_id or "", vault=True).first()
    if vault is None:
        raise NotFound(f"No vault destination {vault_id}.")
    return vault


def pending(vault: Destination):
    """Copies the vault worker should make now: queued; failed with attempts left; copying for so long that its
    worker must have died. Oldest restore point first."""
    stale = timezone.now() - dt.timedelta(seconds=_setting("copy_stale_after"))
    return RestorePointCopy.objects.select_related("primary").filter(vault=vault, primary_deleted_at__isnull=True) \
        .filter(Q(state=CopyState.QUEUED)
                | Q(state=CopyState.FAILED, attempts__lt=_setting("max_attempts"))
                | Q(state=CopyState.COPYING, updated_at__lt=stale)) \
        .order_by("point_created_at", "created_at", "id")


def _primary_view(destination: Destination) -> contract.Destination:
    """The primary as the vault worker needs it: where it is, never its credentials (it reads with its own)."""
    return contract.Destination(id=destination.id, path=destination.path, type=destination.type,
                                encrypted=destination.encrypted, dedup_scope=destination.dedup_scope)


def _iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else ""


def work(caller: Caller, vault_id: str) -> dict:
    """What the vault worker of ``vault_id`` should do: copies (secrets sealed to the keys enrolled for queue
    ``vault``) and restores waiting for a grant. Every project's: the vault worker is cloud-wide, and sees this
    only through its dedicated role."""
    authorize(caller, rules.WORK)
    vault = get_vault(vault_id)
    _queue_missing(vault)
    recipients = proxy_keys.recipients(contract.VAULT_QUEUE)
    copies, waiting = [], []
    for copy in pending(vault)[:_setting("work_limit")]:
        primary = copy.primary
        if primary is None:
            continue
        item = contract.VaultCopyItem(
            copy_id=copy.id, restore_point_id=copy.restore_point_id, project_id=copy.project_id, vault_id=vault.id,
            primary=_primary_view(primary), instance_id=copy.instance_id, created_at=_iso(copy.point_created_at),
            attempts=copy.attempts, repository_secret=primary.repository_secret or None)
        try:
            copies.append(contract.seal(item.to_message(), contract.VaultCopyItem, recipients))
        except contract.NoRecipients:
            waiting.append({"restore_point_id": copy.restore_point_id,
                            "reason": "its repository secret travels sealed to the vault worker's key, and none is "
                                      f"enrolled for queue {contract.VAULT_QUEUE}"})
    grants = []
    for grant in VaultGrant.objects.select_related("job__destination").filter(
            vault=vault, grant__isnull=True, job__state__in=ACTIVE_JOB_STATES):
        primary = grant.job.destination
        request = contract.VaultGrantRequest(
            grant_id=grant.job_id, restore_point_id=grant.restore_point_id, project_id=grant.project_id,
            vault_id=vault.id, repository_secret=(primary.repository_secret if primary else "") or None)
        try:
            grants.append(contract.seal(request.to_message(), contract.VaultGrantRequest, recipients))
        except contract.NoRecipients:
            waiting.append({"restore_point_id": grant.restore_point_id,
                            "reason": f"a restore's grant needs the repository secret, sealed to the vault "
                                      f"worker's key, and none is enrolled for queue {contract.VAULT_QUEUE}"})
    return {"vault_id": vault.id, "copies": copies, "grants": grants, "waiting": waiting}


def report_copy(caller: Caller, data: dict) -> RestorePointCopy:
    """The vault worker's word on one copy: started (``copying``), done (``copied``, with its counts) or failed."""
    authorize(caller, rules.REPORT)
    copy = RestorePointCopy.objects.select_related("vault").filter(id=data.get("copy_id") or "").first()
    if copy is None or (data.get("vault_id") and data["vault_id"] != copy.vault_id):
        raise NotFound(f"No vault copy {data.get('copy_id')}.")
    state = data.get("state")
    if state not in REPORTED_STATES:
        raise ValidationFailed("state", f"must be one of: {', '.join(REPORTED_STATES)}")
    with audited(caller, f"vault_copy.{state}", "restore_point", copy.restore_point_id, copy.project_id) as target:
        with transaction.atomic():
            copy = RestorePointCopy.objects.select_for_update().get(pk=copy.pk)
            if copy.state == CopyState.COPIED and state != CopyState.COPIED:
                raise Conflict(f"The vault copy of {copy.restore_point_id} is made already.")
            if state == CopyState.COPYING:
                copy.attempts += 1
                copy.error = ""
            elif state == CopyState.COPIED:
                copy.copied_at = timezone.now()
                copy.error = ""
            else:
                copy.error = str(data.get("error") or "the vault worker gave no reason")[:4000]
            for name in ("chunks_copied", "chunks_present", "bytes_copied"):
                if data.get(name) is not None:
                    setattr(copy, name, int(data[name]))
            copy.state = state
            copy.save()
        target.detail = f"vault {copy.vault.name}: {copy.chunks_copied} chunks, {copy.bytes_copied} bytes copied" \
            if state == CopyState.COPIED else (copy.error if state == CopyState.FAILED else "")
        return copy


# -- restores from the vault ----------------------------------------------------------------------------------------

def request_grant(job: Job, copy: RestorePointCopy) -> VaultGrant:
    return VaultGrant.objects.create(job=job, vault_id=copy.vault_id, restore_point_id=copy.restore_point_id,
                                     project_id=job.project_id)


def _check_grant(value) -> dt.datetime:
    if not isinstance(value, dict) or not isinstance(value.get("objects"), dict) or not value["objects"]:
        raise ValidationFailed("grant", "must be an object with expires and objects ({name: url})")
    expires = parse_datetime(str(value.get("expires") or ""))
    if expires is None:
        raise ValidationFailed("grant.expires", "must be an ISO 8601 date and time")
    return expires if expires.tzinfo else expires.replace(tzinfo=dt.UTC)


def post_grant(caller: Caller, grant_id: str, vault_id: str, value: dict) -> VaultGrant:
    """The vault worker's time-limited read-only grant for one restore: kept sealed at rest until the job ends."""
    authorize(caller, rules.REPORT)
    grant = VaultGrant.objects.select_related("job").filter(job_id=grant_id or "").first()
    if grant is None or (vault_id and vault_id != grant.vault_id):
        raise NotFound(f"No restore waits for vault grant {grant_id}.")
    expires = _check_grant(value)
    with audited(caller, "vault_grant.create", "job", grant.job_id, grant.project_id) as target:
        if grant.job.state not in ACTIVE_JOB_STATES:
            raise Conflict(f"The restore {grant.job_id} has ended; it needs no grant any more.")
        grant.grant = {"expires": _iso(expires), "grant": json.dumps(value)}
        grant.expires_at = expires
        grant.granted_at = timezone.now()
        grant.save()
        target.detail = f"read-only until {_iso(expires)}, {len(value['objects'])} objects"
        return grant


def grant_waiting_reason(job: Job) -> str:
    """Why a restore from the vault cannot go yet ("" once the vault worker's grant is there and valid)."""
    grant = VaultGrant.objects.filter(job=job).first()
    if grant is None:
        return ""
    if grant.grant and grant.expires_at and grant.expires_at > timezone.now() + dt.timedelta(seconds=5):
        return ""
    if grant.grant:  # expired before the restore could go: ask the vault worker for a new one
        VaultGrant.objects.filter(pk=grant.pk).update(grant=None, expires_at=None, granted_at=None)
    return ("Waiting for the vault worker's grant: it issues time-limited read-only access to the vault copy at "
            "its next look for work (it needs no copy window for that).")


def presigned_destination(job: Job) -> dict | None:
    """The destination a restore from the vault reads (``presigned``, the grant in its sealed ``credentials``), or
    None for a restore from the primary."""
    if job.request.get("source") != SOURCE_VAULT:
        return None
    grant = VaultGrant.objects.filter(job=job).first()
    if grant is None or not grant.grant:
        raise contract.ContractError(f"job {job.id} restores from the vault but holds no grant")
    primary = job.destination
    return {"id": grant.vault_id, "type": "presigned", "path": f"vault:{grant.vault_id}",
            "encrypted": bool(primary and primary.encrypted),
            "dedup_scope": primary.dedup_scope if primary else "project", "hardened": False,
            "credentials": json.loads(grant.grant["grant"])}


def forget_grant(job: Job) -> None:
    VaultGrant.objects.filter(job=job).delete()


def forget_ended_grants() -> int:
    """The grants of ended restores go (they expire on the vault's side by themselves anyway)."""
    deleted, _ = VaultGrant.objects.exclude(job__state__in=ACTIVE_JOB_STATES).delete()
    return deleted
