# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Send queued jobs to the proxies: only when a proxy of the AZ is up and has a free slot, by priority.

Safe to call from several processes at once (the API after a request, the control worker on its tick): a Redis
lock serialises dispatching, and each job is claimed inside a transaction.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from storage_backup.catalog.models import Job, JobState, Policy
from storage_backup.catalog.secrets import SecretUnreadable
from storage_backup.services import bus, proxies
from storage_backup.services.destinations import task_view
from storage_backup.services.jobs import log_entry

LOG = logging.getLogger(__name__)
LOCK_NAME = "storage-backup:dispatch-lock"


def payload(job: Job) -> dict:
    """The task message of docs/TASKS.md, secrets (repository secret, SSH keys) read from the catalog now and
    decrypted (``SecretUnreadable`` when this process lacks their key)."""
    message = dict(job.request)
    destination = job.destination
    message["destination"] = task_view(destination) if destination else None
    message["repository_secret"] = (destination.repository_secret or None) if destination else None
    if job.type == "backup":
        policy: Policy | None = job.policy
        message["pre_command"] = policy.pre_command if policy else None
        message["post_command"] = policy.post_command if policy else None
    return message


def task_id_for(job: Job) -> str:
    return job.id if job.attempts <= 1 else f"{job.id}.{job.attempts}"


def _submit(job: Job) -> bool:
    """Send the job; False when it failed instead because its secrets cannot be decrypted."""
    try:
        message = payload(job)
    except SecretUnreadable as error:
        # No proxy could use the job without its secrets: it fails with the reason, naming the destination or
        # policy and the key in use, rather than waiting for a key that may never come.
        job.state, job.error, job.finished_at, job.waiting_reason = JobState.FAILED, error.message, timezone.now(), ""
        job.log = [*job.log, log_entry("failed", error.message)]
        job.save()
        LOG.error("job %s not sent: %s", job.id, error.message)
        return False
    job.attempts += 1
    job.celery_task_id = task_id_for(job)
    job.submitted_at = timezone.now()
    job.waiting_reason = ""
    job.log = [*job.log, log_entry("submitted", f"Sent to {job.queue} (attempt {job.attempts})")]
    job.save()
    # Sent inside the claiming transaction's lifetime but after the row is written: a crash between the two
    # leaves a job that tracking finds PENDING and reports as lost, never a task the catalog does not know.
    bus.send(job.task_name, message, job.queue, job.celery_task_id)
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
    waiting = list(Job.objects.filter(state=JobState.QUEUED, celery_task_id="")
                  .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
                  .order_by("-priority", "created_at"))
    if not waiting:
        return []
    in_flight: dict[str, int] = {}
    for zone in {job.availability_zone for job in waiting}:
        in_flight[zone] = Job.objects.filter(availability_zone=zone, state__in=("queued", "running")).exclude(
            celery_task_id="").count()
    submitted = []
    for job in waiting:
        zone = job.availability_zone
        reason = proxies.waiting_reason(zone)
        if not reason:
            limit = proxies.capacity(zone)
            if in_flight[zone] >= limit:
                reason = (f"Waiting for a free slot: the proxies of {zone} run {in_flight[zone]} job(s), their "
                          f"limit is {limit}.")
        if reason:
            _set_waiting(job, reason)
            continue
        with transaction.atomic():
            claimed = Job.objects.select_for_update().filter(pk=job.pk, state=JobState.QUEUED,
                                                             celery_task_id="").first()
            if claimed is None or not _submit(claimed):
                continue
        in_flight[zone] += 1
        submitted.append(job.id)
    return submitted


def max_attempts() -> int:
    return settings.CONTROL["job_max_attempts"]
