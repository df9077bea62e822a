# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Send queued jobs to the workers: a proxy job when a proxy of its AZ is up and has a free slot, a data job when a
data worker is up and has one; by priority.

Runs in the control worker only (its tick, and ``control.dispatch`` when the API has recorded a job), never inside
an HTTP request. Safe to run in several processes at once: a Redis lock serialises dispatching, and each job is
claimed inside a transaction.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from storage_backup import contract
from storage_backup.catalog.models import Job, JobState, JobType, Policy
from storage_backup.catalog.secrets import SecretUnreadable
from storage_backup.contract import ContractError, Message, NoRecipients
from storage_backup.notifications import events
from storage_backup.services import bus, data_plane, lock_maintenance, proxies, proxy_keys, vault
from storage_backup.services.destinations import task_view
from storage_backup.services.jobs import log_entry

LOG = logging.getLogger(__name__)
LOCK_NAME = "storage-backup:dispatch-lock"


def payload(job: Job) -> Message:
    """The job's request of docs/TASKS.md: what the catalog recorded (``job.request``) and, read from the catalog
    now, the destination and the secrets (repository secret, SSH keys) decrypted (``SecretUnreadable`` when this
    process lacks their key). ``ContractError`` when the job cannot make a valid request."""
    message = dict(job.request)
    destination = job.destination
    if destination is None:
        raise ContractError(f"job {job.id} has no destination any more (it was deleted)")
    # A restore from the vault reads it through the vault worker's grant (sealed like any credentials).
    message["destination"] = vault.presigned_destination(job) or task_view(destination)
    message["repository_secret"] = destination.repository_secret or None
    if job.type == JobType.BACKUP:
        policy: Policy | None = job.policy
        message["pre_command"] = policy.pre_command if policy else None
        message["post_command"] = policy.post_command if policy else None
    return contract.spec_of(job.task_name).request.from_message(message, f"{job.task_name} request")


def sealed_payload(job: Job, message: Message) -> dict:
    """The message as it goes to Redis: its secrets sealed to every key enrolled for the job's queue
    (docs/TASKS.md "Sealed secrets"); ``NoRecipients`` when it has secrets and no key is enrolled."""
    request_type = contract.spec_of(job.task_name).request
    return contract.seal(message.to_message(), request_type, proxy_keys.recipients(job.queue))


def _no_key_reason(job: Job) -> str:
    who = "data worker" if job.queue == contract.DATA_QUEUE else f"proxy of {job.availability_zone}"
    return (f"Waiting for an enrolled key: the job carries secrets (a repository password or an SSH key), which "
            f"travel sealed to the keys enrolled for queue {job.queue}, and none is. Enrol the {who}'s public key "
            f"(storage-backup proxy-key show on its host): POST /v1/proxies/<name>/keys with "
            f'{{"queue": "{job.queue}", "public_key": …}} or python -m django proxy_keys enrol.')


def task_id_for(job: Job) -> str:
    return job.id if job.attempts <= 1 else f"{job.id}.{job.attempts}"


def _submit(job: Job) -> bool:
    """Send the job; False when it failed instead because its secrets cannot be decrypted or its request is not
    valid (no worker could do anything with it)."""
    try:
        message = payload(job)
    except (SecretUnreadable, ContractError) as error:
        # It fails with the reason, naming the destination or policy and the key in use, rather than waiting for a
        # key (or a fix) that may never come.
        reason = error.message if isinstance(error, SecretUnreadable) else \
            f"The job cannot be sent: its request does not follow docs/TASKS.md ({error})"
        job.state, job.error, job.finished_at, job.waiting_reason = JobState.FAILED, reason, timezone.now(), ""
        job.log = [*job.log, log_entry("failed", reason)]
        job.save()
        events.announce(events.build(job, events.Phase.ERROR, "not_sent"))
        LOG.error("job %s not sent: %s", job.id, reason)
        lock_maintenance.record(job)  # a lock maintenance that cannot even be sent is an alert like a failed one
        return False
    try:
        sealed = sealed_payload(job, message)
    except NoRecipients:
        # Not a failure of the job: it goes as soon as an administrator enrols a key (never one from Redis).
        _set_waiting(job, _no_key_reason(job))
        return False
    job.attempts += 1
    job.celery_task_id = task_id_for(job)
    job.submitted_at = timezone.now()
    job.waiting_reason = ""
    job.log = [*job.log, log_entry("submitted", f"Sent to {job.queue} (attempt {job.attempts})")]
    job.save()
    # Sent inside the claiming transaction's lifetime but after the row is written: a crash between the two
    # leaves a job that tracking finds PENDING and reports as lost, never a task the catalog does not know.
    bus.set_attempt(job.id, job.celery_task_id)  # first: the worker checks it when the task starts
    bus.send(job.task_name, sealed, job.queue, job.celery_task_id)
    return True


def _set_waiting(job: Job, reason: str) -> None:
    if job.waiting_reason != reason:
        Job.objects.filter(pk=job.pk).update(waiting_reason=reason)
        job.waiting_reason = reason


def dispatch_ready() -> list[str]:
    """Submit what can go now; give every job that waits its reason. Returns the IDs of submitted jobs."""
    lock = bus.redis_client().lock(LOCK_NAME, timeout=60, blocking_timeout=30)
    if not lock.acquire():
        return []
    try:
        return _dispatch()
    finally:
        try:
            lock.release()
        except Exception:  # expired under a very slow database; the next tick dispatches again
            LOG.warning("dispatch lock expired before release")


def _dispatch() -> list[str]:
    now = timezone.now()
    vault.forget_ended_grants()
    waiting = list(Job.objects.filter(state=JobState.QUEUED, celery_task_id="")
                  .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
                  .order_by("-priority", "created_at"))
    if not waiting:
        return []
    # In flight per queue: a proxy.<az> queue, or the data queue that every data worker serves.
    in_flight: dict[str, int] = {}
    for queue in {job.queue for job in waiting}:
        in_flight[queue] = Job.objects.filter(queue=queue, state__in=("queued", "running")).exclude(
            celery_task_id="").count()
    submitted = []
    for job in waiting:
        reason = _why_waiting(job, in_flight[job.queue])
        if reason:
            _set_waiting(job, reason)
            continue
        with transaction.atomic():
            claimed = Job.objects.select_for_update().filter(pk=job.pk, state=JobState.QUEUED,
                                                             celery_task_id="").first()
            if claimed is None or not _submit(claimed):
                continue
        in_flight[job.queue] += 1
        submitted.append(job.id)
    return submitted


def _why_waiting(job: Job, in_flight: int) -> str:
    if job.queue == contract.DATA_QUEUE:
        return data_plane.waiting_reason(in_flight)
    zone = job.availability_zone
    reason = proxies.waiting_reason(zone) or vault.grant_waiting_reason(job)
    if reason:
        return reason
    limit = proxies.capacity(zone)
    if in_flight >= limit:
        return f"Waiting for a free slot: the proxies of {zone} run {in_flight} job(s), their limit is {limit}."
    return ""

