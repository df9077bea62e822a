# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Catalog models. Rules live in ``storage_backup.services``; these classes only say what is stored.

IDs are UUID strings chosen by us (or, for restore points, by the repository), so they can travel in task
messages and be matched against OpenStack resource names and metadata.
"""
from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from storage_backup.catalog.secrets import SealedJSONField, SealedTextField
from storage_backup.consistency import Consistency


def new_id() -> str:
    return str(uuid.uuid4())


class Strategy(models.TextChoices):
    FULL = "full"
    INCREMENTAL = "incremental"
    AUTO = "auto"


#: A destination's ``max_lock_days`` unless its administrator sets another: 100 years.
DEFAULT_MAX_LOCK_DAYS = 36525
#: The most an administrator may allow: 1000 years (far from the calendar's end, so date arithmetic never overflows).
MAX_LOCK_DAYS_LIMIT = 365250


#: The entries of a destination's ``credentials`` that are secrets (encrypted at rest; the rest stays readable).
OBJECT_STORE_SECRET_KEYS = ("secret_key", "session_token", "application_credential_secret", "password")


class Destination(models.Model):
    """Where restore points are written (a repository). Shared destinations have no project."""

    TYPES = (("filesystem", "filesystem"), ("nfs", "nfs"), ("s3", "s3"), ("swift", "swift"))

    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=32, choices=TYPES, default="filesystem")
    # A directory for filesystem and nfs; the location URL for object storage (``s3://BUCKET/PREFIX?endpoint=…``,
    # ``swift://CONTAINER/PREFIX?auth_url=…``), which never holds credentials.
    path = models.CharField(max_length=1024)
    # Object storage's keys (S3 access/secret key; Swift application credential or user): handed to the workers
    # sealed to their own keys, never shown by the API; the secret entries are encrypted at rest.
    credentials = SealedJSONField(null=True, blank=True, secret_keys=OBJECT_STORE_SECRET_KEYS)
    encrypted = models.BooleanField(default=False)
    # Handed to the proxy in the task message; never shown by the API; encrypted at rest (catalog/secrets.py).
    repository_secret = SealedTextField(blank=True, default="")
    project_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # Immutability: every restore point written here is locked (WORM) at least this many days.
    retention_lock_min_days = models.PositiveIntegerField(default=0)
    # Deduplication: per project (the default: one project's backups never share a chunk with another's, so
    # nothing one project stores tells it what another backed up) or cloud-wide (less space, that side channel).
    DEDUP_SCOPES = (("project", "project"), ("cloud", "cloud"))
    dedup_scope = models.CharField(max_length=16, choices=DEDUP_SCOPES, default="project")
    # Filesystem WORM: locked objects get the immutable attribute through storage-backup-immutable (README).
    hardened = models.BooleanField(default=False)
    # The furthest a retention lock of a restore point here may reach, in days from now: a lock is a promise
    # nobody can take back, so a member's typo (year 9999) must not pin the data for ever.
    max_lock_days = models.PositiveIntegerField(default=DEFAULT_MAX_LOCK_DAYS)
    # S3 with Object Lock: the last lock maintenance pass that succeeded (and the earliest date it left any
    # referenced object retained until), the last that failed and why (services/lock_maintenance.py).
    lock_maintained_at = models.DateTimeField(null=True, blank=True)
    lock_protected_until = models.DateTimeField(null=True, blank=True)
    lock_maintenance_failed_at = models.DateTimeField(null=True, blank=True)
    lock_maintenance_error = models.TextField(blank=True, default="")
    # An air-gapped vault: copies are pulled into it by the vault worker, which alone holds its credentials. The
    # catalog knows its name and location for display, never a key (``credentials`` stays empty), so nothing on the
    # primary side (control plane, proxies, data workers) can write to or delete from it.
    vault = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "id")


class Policy(models.Model):
    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    # Empty project: published by an admin for every project to use.
    project_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    shared = models.BooleanField(default=False)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    schedule = models.CharField(max_length=128, blank=True, default="")  # cron; empty = on demand only
    timezone = models.CharField(max_length=64, default="UTC")
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    strategy = models.CharField(max_length=16, choices=Strategy.choices, default=Strategy.AUTO)
    full_every = models.PositiveIntegerField(default=7)  # auto: a full backup every N, incremental otherwise
    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="policies")
    # Where the vault worker copies this policy's restore points (a destination with ``vault``), or none.
    vault_destination = models.ForeignKey(Destination, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="vault_policies")
    keep_last = models.PositiveIntegerField(default=7)
    keep_daily = models.PositiveIntegerField(default=0)
    keep_weekly = models.PositiveIntegerField(default=0)
    keep_monthly = models.PositiveIntegerField(default=0)
    keep_yearly = models.PositiveIntegerField(default=0)
    min_age_days = models.PositiveIntegerField(default=0)
    retention_lock_days = models.PositiveIntegerField(default=0)
    priority = models.IntegerField(default=0)
    # Its backups read at most this many MB/s (10^6 bytes) from each proxy; null: only the proxy's own cap.
    read_limit_mbps = models.PositiveIntegerField(null=True, blank=True)
    # Their SSH private_key is encrypted at rest (catalog/secrets.py); the rest of the command stays readable.
    pre_command = SealedJSONField(null=True, blank=True)
    post_command = SealedJSONField(null=True, blank=True)
    auto_assign_tag = models.CharField(max_length=255, blank=True, default="")
    auto_assign_metadata_key = models.CharField(max_length=255, blank=True, default="")
    auto_assign_metadata_value = models.CharField(max_length=255, blank=True, default="")
    # E-mail about this policy's jobs (backups, and restores and verifies of its restore points): never, on failure
    # only, or always (every ending: success and cancel too), to ``notify_emails`` (storage_backup.notifications).
    NOTIFY_ON = (("never", "never"), ("failure", "failure"), ("always", "always"))
    notify_on = models.CharField(max_length=16, choices=NOTIFY_ON, default="never")
    notify_emails = models.JSONField(default=list, blank=True)
    last_scheduled_at = models.DateTimeField(null=True, blank=True)
    # Why the scheduler could not run this policy at its last try, and since when ("" and None once it runs again):
    # shown with the policy and on the administrators' overview.
    schedule_error = models.TextField(blank=True, default="")
    schedule_failed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-priority", "name", "id")


class ProtectedInstance(models.Model):
    """An instance assigned to a policy (by hand or by its tag / metadata)."""

    SOURCES = (("manual", "manual"), ("auto", "auto"))

    instance_id = models.CharField(primary_key=True, max_length=64)
    project_id = models.CharField(max_length=64, db_index=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="assignments")
    name = models.CharField(max_length=255, blank=True, default="")
    availability_zone = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=8, choices=SOURCES, default="manual")
    created_by = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "instance_id")


class JobType(models.TextChoices):
    # On a proxy of the instance's (or the target's) availability zone:
    BACKUP = "backup"
    RESTORE = "restore"
    RESTORE_VOLUME = "restore_volume"
    REVERT = "revert"  # the original instance's volumes overwritten in place
    # On a data worker (queue ``data``):
    VERIFY = "verify"
    DELETE = "delete"  # restore points removed from the repository (retention, or someone deleting one)
    PRUNE = "prune"  # the data no restore point references any more removed from a destination
    LOCK = "lock"  # a retention lock written into the repository
    REBUILD = "rebuild"  # the catalog's restore points rebuilt from a destination's repository
    LOCK_MAINTENANCE = "lock_maintenance"  # the Object Lock retention of what restore points reference extended
    FILE_BROWSE = "file_browse"  # a directory listed or searched inside a restore point's volume
    FILE_RESTORE = "file_restore"  # a file or folder of a restore point's volume written to the download area
    VANISHED_CHECK = "vanished_check"  # the locked restore points' documents looked for (services/vanished.py)
    # Retention's own jobs before it ran on the data plane (kept for the jobs they left in the catalog).
    RETENTION = "retention"


class JobState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)


class Job(models.Model):
    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    type = models.CharField(max_length=16, choices=JobType.choices)
    project_id = models.CharField(max_length=64, db_index=True)
    instance_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    instance_name = models.CharField(max_length=255, blank=True, default="")
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    destination = models.ForeignKey(Destination, null=True, blank=True, on_delete=models.SET_NULL)
    restore_point_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    strategy = models.CharField(max_length=16, blank=True, default="")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    availability_zone = models.CharField(max_length=255, blank=True, default="")
    queue = models.CharField(max_length=255, blank=True, default="")
    task_name = models.CharField(max_length=128, blank=True, default="")
    celery_task_id = models.CharField(max_length=64, blank=True, default="")
    proxy_hostname = models.CharField(max_length=255, blank=True, default="")
    priority = models.IntegerField(default=0)
    request = models.JSONField(default=dict, blank=True)  # the task payload, secrets left out
    result = models.JSONField(null=True, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    log = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    # What a succeeded backup read from its volumes and stored: kept with the job, which stays when retention
    # deletes its restore point, so the metrics' byte counters only grow.
    bytes_read = models.BigIntegerField(default=0)
    bytes_stored = models.BigIntegerField(default=0)
    waiting_reason = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    scheduled = models.BooleanField(default=False)  # started by the scheduler rather than a person
    requested_by = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "id")
        # The metrics count jobs by state and type at every scrape (services/metrics.py).
        indexes = [models.Index(fields=["state", "type"], name="job_state_type")]
        constraints = [
            # At most one backup per instance at a time, enforced by the database too: a partial unique index on
            # SQLite and PostgreSQL; MariaDB has none (Django skips this there), so migration 0005 builds the same
            # rule as a unique index on a generated column. Keep the two in step if the rule changes.
            models.UniqueConstraint(fields=["instance_id"], name="one_active_backup_per_instance",
                                    condition=Q(state__in=["queued", "running"], type="backup")),
        ]


class RestorePoint(models.Model):
    """What the repository holds, indexed. The repository is the truth; ``rebuild_catalog`` recreates these."""

    id = models.CharField(primary_key=True, max_length=64)
    project_id = models.CharField(max_length=64, db_index=True)
    instance_id = models.CharField(max_length=64, db_index=True)
    instance_name = models.CharField(max_length=255, blank=True, default="")
    availability_zone = models.CharField(max_length=255, blank=True, default="")
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="restore_points")
    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="restore_points")
    job_id = models.CharField(max_length=36, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    strategy = models.CharField(max_length=16, blank=True, default="")
    consistency = models.CharField(max_length=16, blank=True, default="", choices=Consistency.choices())
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    bytes_stored = models.BigIntegerField(default=0)
    volumes = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    retention_lock_until = models.DateTimeField(null=True, blank=True)
    # When a retention or verify pass found the document gone from the repository (a locked one: WORM broken).
    missing_since = models.DateTimeField(null=True, blank=True)
    # Put back from its vault copy after it left the catalog (services/vault_recovery.py): its primary copy is gone,
    # so it restores from the vault only, and nothing is ever done to it on the primary.
    vault_only = models.BooleanField(default=False)

    class Meta:
        ordering = ("-created_at", "id")


class CopyState(models.TextChoices):
    QUEUED = "queued"
    COPYING = "copying"
    COPIED = "copied"
    FAILED = "failed"


class RestorePointCopy(models.Model):
    """A restore point's copy in a vault, as the vault worker reported it. Not a foreign key to the restore point:
    deleting the point (or pruning its primary) never propagates to the vault, so the row stays and says the vault
    holds the only copy (``primary_deleted_at``)."""

    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    restore_point_id = models.CharField(max_length=64, db_index=True)
    project_id = models.CharField(max_length=64, db_index=True)
    instance_id = models.CharField(max_length=64, blank=True, default="")
    instance_name = models.CharField(max_length=255, blank=True, default="")
    point_created_at = models.DateTimeField(null=True, blank=True)
    primary = models.ForeignKey(Destination, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="copies_from")
    vault = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="vault_copies")
    state = models.CharField(max_length=16, choices=CopyState.choices, default=CopyState.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    chunks_copied = models.BigIntegerField(default=0)
    chunks_present = models.BigIntegerField(default=0)
    bytes_copied = models.BigIntegerField(default=0)
    copied_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    primary_deleted_at = models.DateTimeField(null=True, blank=True)
    # The restore point's catalog row as it was when it left the catalog (services/vault_recovery.py): what a
    # recovery puts back, since the vault copy alone is unreadable without it (the control plane opens no vault).
    point_record = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("point_created_at", "created_at", "id")
        constraints = [models.UniqueConstraint(fields=["restore_point_id", "vault"],
                                               name="one_copy_per_restore_point_and_vault")]


class VaultGrant(models.Model):
    """A restore from a vault copy waiting for, or holding, the vault worker's time-limited read-only grant. The
    grant (pre-signed URLs) is sealed at rest; the row goes when the job ends, and the grant expires by itself."""

    job = models.OneToOneField(Job, primary_key=True, on_delete=models.CASCADE, related_name="vault_grant")
    vault = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="vault_grants")
    restore_point_id = models.CharField(max_length=64)
    project_id = models.CharField(max_length=64, db_index=True)
    grant = SealedJSONField(null=True, blank=True, secret_keys=("grant",))
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    granted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "job_id")


class VaultWorkerSeen(models.Model):
    """When a vault's worker last asked for work and last reported a copy, and the copy window and interval it said
    it keeps (services/vault_health.py). Its own row, not fields of the destination: written at every look for work,
    it must never race an administrator's edit of the destination."""

    vault = models.OneToOneField(Destination, primary_key=True, on_delete=models.CASCADE,
                                 related_name="vault_worker_seen")
    asked_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    # As the worker's config says (``[worker] window``, ``timezone``, ``interval``); empty window: copies any time,
    # no interval: a worker of before that did not say.
    window = models.CharField(max_length=32, blank=True, default="")
    timezone = models.CharField(max_length=64, blank=True, default="")
    interval = models.FloatField(null=True, blank=True)


class Webhook(models.Model):
    """A project's HTTP(S) endpoint told about its jobs' events, each POST signed with the hook's own secret
    (``X-Storage-Backup-Signature``, storage_backup.notifications.signing). The secret is made by the service, shown
    once when the hook is created, and encrypted at rest."""

    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    project_id = models.CharField(max_length=64, db_index=True)
    url = models.CharField(max_length=2048)
    description = models.CharField(max_length=255, blank=True, default="")
    enabled = models.BooleanField(default=True)
    # The event types it wants (storage_backup.notifications.events.EVENT_FILTERS); empty: every event, as hooks
    # made before the filter existed.
    events = models.JSONField(default=list, blank=True)
    secret = SealedTextField()
    created_by = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # The last delivery tried (after its retries): when, the HTTP status or error, so a tenant sees a broken hook.
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    last_delivery_status = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ("created_at", "id")


class Proxy(models.Model):
    """A proxy worker seen through its heartbeats (``proxy.ping`` answered on ``proxy.<az>``)."""

    hostname = models.CharField(primary_key=True, max_length=255)
    availability_zone = models.CharField(max_length=255, db_index=True)
    server_id = models.CharField(max_length=64, blank=True, default="")
    version = models.CharField(max_length=64, blank=True, default="")
    device_root_ok = models.BooleanField(default=False)
    max_jobs = models.PositiveIntegerField(default=2)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("availability_zone", "hostname")


class ProxyKey(models.Model):
    """A worker's public key that an administrator enrolled (API, ``proxy_keys`` command or the deployment): task
    secrets for ``queue`` are sealed to every key of that queue not revoked (docs/TASKS.md "Sealed secrets"). Never
    made from anything a worker sends over Redis. A revoked key stays, for the audit trail."""

    id = models.CharField(primary_key=True, max_length=36, default=new_id, editable=False)
    proxy_name = models.CharField(max_length=255, db_index=True)  # the name the administrator gave the worker
    queue = models.CharField(max_length=255, db_index=True)  # proxy.<az> or data
    public_key = models.CharField(max_length=128)  # x25519:<base64>
    key_id = models.CharField(max_length=16, unique=True)  # the key's fingerprint (storage_backup.contract.key_id)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=255, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoked_by = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ("queue", "proxy_name", "created_at")


class Quota(models.Model):
    """Per project limits; the row with an empty project holds the defaults. ``None`` means unlimited."""

    project_id = models.CharField(primary_key=True, max_length=64, blank=True)
    protected_instances = models.PositiveIntegerField(null=True, blank=True)
    restore_points = models.PositiveIntegerField(null=True, blank=True)
    stored_bytes = models.BigIntegerField(null=True, blank=True)


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user_id = models.CharField(max_length=64, blank=True, default="")
    user_name = models.CharField(max_length=255, blank=True, default="")
    project_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    result = models.CharField(max_length=16)  # success | failure
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("-at", "-id")


class UnresolvedLeftover(models.Model):
    """A temporary resource of a dead job that the last sweep could not remove (``storage_backup.control.sweeper``):
    each sweep replaces these rows, and the admin overview lists them under what needs attention."""

    resource_id = models.CharField(primary_key=True, max_length=64)
    resource_type = models.CharField(max_length=32)  # volume | snapshot | group snapshot | image | server
    status = models.CharField(max_length=32, blank=True, default="")
    job_id = models.CharField(max_length=64, blank=True, default="")
    project_id = models.CharField(max_length=64, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("first_seen", "resource_id")
