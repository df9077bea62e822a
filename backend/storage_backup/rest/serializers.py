# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Shapes of requests and answers. Types and ranges only: the rules live in ``storage_backup.services``."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from storage_backup.catalog.models import MAX_LOCK_DAYS_LIMIT
from storage_backup.consistency import Consistency
from storage_backup.services import locations, policies, proxies, restore_points, vault, vault_recovery
from storage_backup.unprotected_disks import KINDS, unprotected_disks

STRATEGY_CHOICES = ("full", "incremental", "auto")
NOTIFY_ON_CHOICES = ("never", "failure", "always")
# What the catalog's integer columns hold on every database it runs on: a number beyond is a 400 naming the field,
# never the database's overflow (a 500). Every IntegerField a request carries is bounded (a test checks it).
POSITIVE_INT_MAX = 2**31 - 1  # PositiveIntegerField
BIG_INT_MAX = 2**63 - 1  # BigIntegerField


def redactor_of(serializer: serializers.Serializer) -> locations.Redactor:
    """The view's (``ServiceView.get_serializer_context``); without one, destinations' locations are hidden."""
    return serializer.context.get("redactor") or locations.Redactor()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    request_id = serializers.CharField(required=False, help_text="With a 500: quote it to the administrator.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields (400 naming the field) instead of silently ignoring a typo."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: ["is not a known field."]})
        return super().to_internal_value(data)


class GuestCommandSerializer(StrictSerializer):
    command = serializers.CharField(max_length=4096)
    user = serializers.CharField(max_length=255)
    private_key = serializers.CharField(write_only=False, required=False, allow_null=True, max_length=65536,
                                        help_text="PEM or OpenSSH private key; shown back as ******** only.")
    port = serializers.IntegerField(min_value=1, max_value=65535, default=22)
    timeout = serializers.IntegerField(min_value=1, max_value=3600, default=60)
    on_failure = serializers.ChoiceField(choices=("abort", "continue"), default="abort")
    known_hosts = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=65536)
    host_key_policy = serializers.ChoiceField(choices=("reject", "accept-new"), default="reject")


class PolicyWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4096)
    enabled = serializers.BooleanField(required=False)
    shared = serializers.BooleanField(required=False, help_text="Admins: publish the policy for every project.")
    project_id = serializers.CharField(required=False, max_length=64, help_text="Admins: create it for a project.")
    schedule = serializers.CharField(required=False, allow_blank=True, max_length=128,
                                     help_text="Five-field cron expression in the policy's time zone.")
    timezone = serializers.CharField(required=False, max_length=64)
    window_start = serializers.TimeField(required=False, allow_null=True)
    window_end = serializers.TimeField(required=False, allow_null=True)
    strategy = serializers.ChoiceField(choices=STRATEGY_CHOICES, required=False)
    full_every = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    destination_id = serializers.CharField(max_length=36)
    vault_destination_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=36,
                                                 help_text="A vault destination the vault worker copies every "
                                                           "restore point of the policy into (null: none).")
    keep_last = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    keep_daily = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    keep_weekly = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    keep_monthly = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    keep_yearly = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    min_age_days = serializers.IntegerField(required=False, min_value=0, max_value=36500)
    retention_lock_days = serializers.IntegerField(required=False, min_value=0, max_value=36500)
    priority = serializers.IntegerField(required=False, min_value=-1000, max_value=1000)
    read_limit_mbps = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100000,
                                               help_text="Cap on what each backup reads from its volumes, in MB/s "
                                                         "(10^6 bytes); null: only the proxy's own cap.")
    pre_command = GuestCommandSerializer(required=False, allow_null=True)
    post_command = GuestCommandSerializer(required=False, allow_null=True)
    auto_assign_tag = serializers.CharField(required=False, allow_blank=True, max_length=255)
    auto_assign_metadata_key = serializers.CharField(required=False, allow_blank=True, max_length=255)
    auto_assign_metadata_value = serializers.CharField(required=False, allow_blank=True, max_length=255)
    notify_on = serializers.ChoiceField(choices=NOTIFY_ON_CHOICES, required=False,
                                        help_text="E-mail notify_emails about this policy's jobs: never, on failure "
                                                  "only, or always (every ending: success and cancel too).")
    notify_emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False,
                                          max_length=100, help_text="Who gets the policy's e-mail.")


class PolicyUpdateSerializer(PolicyWriteSerializer):
    name = serializers.CharField(max_length=255, required=False)
    destination_id = serializers.CharField(max_length=36, required=False)
    shared = None
    project_id = None


class PolicySerializer(serializers.Serializer):
    id = serializers.CharField()
    project_id = serializers.CharField(allow_blank=True)
    shared = serializers.BooleanField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    enabled = serializers.BooleanField()
    schedule = serializers.CharField(allow_blank=True)
    timezone = serializers.CharField()
    window_start = serializers.TimeField(allow_null=True)
    window_end = serializers.TimeField(allow_null=True)
    strategy = serializers.CharField()
    full_every = serializers.IntegerField()
    destination_id = serializers.CharField()
    vault_destination_id = serializers.CharField(allow_null=True)
    keep_last = serializers.IntegerField()
    keep_daily = serializers.IntegerField()
    keep_weekly = serializers.IntegerField()
    keep_monthly = serializers.IntegerField()
    keep_yearly = serializers.IntegerField()
    min_age_days = serializers.IntegerField()
    retention_lock_days = serializers.IntegerField()
    priority = serializers.IntegerField()
    read_limit_mbps = serializers.IntegerField(allow_null=True)
    pre_command = serializers.SerializerMethodField()
    post_command = serializers.SerializerMethodField()
    auto_assign_tag = serializers.CharField(allow_blank=True)
    auto_assign_metadata_key = serializers.CharField(allow_blank=True)
    auto_assign_metadata_value = serializers.CharField(allow_blank=True)
    notify_on = serializers.CharField()
    notify_emails = serializers.ListField(child=serializers.CharField())
    last_scheduled_at = serializers.DateTimeField(allow_null=True)
    next_run_at = serializers.SerializerMethodField()
    schedule_error = serializers.SerializerMethodField()
    schedule_failed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_pre_command(self, policy) -> GuestCommandSerializer(allow_null=True):  # type: ignore[valid-type]
        return policies.shown_command(policy, "pre_command")

    def get_post_command(self, policy) -> GuestCommandSerializer(allow_null=True):  # type: ignore[valid-type]
        return policies.shown_command(policy, "post_command")

    def _schedule_status(self, policy) -> tuple:
        if not hasattr(policy, "_schedule_status"):  # computed once for both fields
            policy._schedule_status = policies.schedule_status(policy, timezone.now())
        return policy._schedule_status

    def get_next_run_at(self, policy) -> serializers.DateTimeField(allow_null=True):  # type: ignore[valid-type]
        moment = self._schedule_status(policy)[0]
        return moment.isoformat() if moment else None

    def get_schedule_error(self, policy) -> str:
        """Why this schedule cannot run (stored before the API refused it, or failing in the scheduler), or ""."""
        return self._schedule_status(policy)[1]


class ProtectSerializer(StrictSerializer):
    instance_id = serializers.CharField(max_length=64)
    policy_id = serializers.CharField(max_length=36)


class ProtectedInstanceSerializer(serializers.Serializer):
    instance_id = serializers.CharField()
    project_id = serializers.CharField()
    policy_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    availability_zone = serializers.CharField(allow_blank=True)
    source = serializers.ChoiceField(choices=("manual", "auto"))
    created_at = serializers.DateTimeField()


class BackupSerializer(StrictSerializer):
    instance_id = serializers.CharField(max_length=64)
    strategy = serializers.ChoiceField(choices=("full", "incremental"), required=False, allow_null=True)


class ProgressSerializer(serializers.Serializer):
    percent = serializers.FloatField(required=False, allow_null=True)
    bytes_read = serializers.IntegerField(required=False, allow_null=True)
    bytes_stored = serializers.IntegerField(required=False, allow_null=True)
    bytes_total = serializers.IntegerField(required=False, allow_null=True)
    rate = serializers.FloatField(required=False, allow_null=True, help_text="bytes per second")
    eta = serializers.FloatField(required=False, allow_null=True, help_text="seconds left")
    step = serializers.CharField(required=False, allow_null=True)


class LogEntrySerializer(serializers.Serializer):
    # Entries also come from proxies (their Redis list): one missing a key shows it empty rather than failing the
    # whole job list with a 500.
    at = serializers.CharField(default="")
    step = serializers.CharField(default="")
    message = serializers.CharField(allow_blank=True, default="")
    # "warning" / "error" where the proxy marked the entry so (what a backup leaves out, what a restore could not
    # bring back); null for an ordinary step.
    level = serializers.ChoiceField(choices=("warning", "error"), allow_null=True, default=None)


class JobSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    state = serializers.ChoiceField(choices=("queued", "running", "succeeded", "failed", "cancelled"))
    project_id = serializers.CharField()
    instance_id = serializers.CharField(allow_blank=True)
    instance_name = serializers.CharField(allow_blank=True)
    policy_id = serializers.CharField(allow_null=True)
    restore_point_id = serializers.CharField(allow_blank=True)
    destination_id = serializers.CharField(allow_null=True, help_text="The destination a data job (verify, delete, "
                                                                      "prune, lock, rebuild) works on, or null")
    strategy = serializers.CharField(allow_blank=True)
    availability_zone = serializers.CharField(allow_blank=True)
    proxy = serializers.CharField(source="proxy_hostname", allow_blank=True)
    progress = ProgressSerializer()
    log = LogEntrySerializer(many=True)
    error = serializers.CharField(allow_blank=True)
    waiting_reason = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    cancel_requested = serializers.BooleanField()
    scheduled = serializers.BooleanField()
    result = serializers.JSONField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, job) -> dict:
        data = super().to_representation(job)
        redactor = redactor_of(self)
        for name in ("error", "waiting_reason"):
            data[name] = redactor.text(data[name])
        data["log"] = redactor.value(data["log"])
        data["result"] = redactor.value(data["result"])
        return data


class UnprotectedDiskSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS, help_text="The flavor's ephemeral disk, or its swap.")
    size_mb = serializers.IntegerField()


class RestorePointCopySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=("primary", "vault"))
    destination_id = serializers.CharField()
    destination_name = serializers.CharField(allow_blank=True)
    state = serializers.ChoiceField(choices=("stored", "deleted", "queued", "copying", "copied", "failed"),
                                    help_text="stored: the primary (deleted: a vault-only restore point's); a vault "
                                              "copy's state as its vault worker reported")
    at = serializers.DateTimeField(allow_null=True, help_text="When the copy was made (or last reported).")
    chunks_copied = serializers.IntegerField(allow_null=True)
    bytes_copied = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


class RestorePointSerializer(serializers.Serializer):
    id = serializers.CharField()
    project_id = serializers.CharField()
    instance_id = serializers.CharField()
    instance_name = serializers.CharField(allow_blank=True)
    availability_zone = serializers.CharField(allow_blank=True)
    policy_id = serializers.CharField(allow_null=True)
    destination_id = serializers.CharField()
    job_id = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    strategy = serializers.CharField(allow_blank=True)
    consistency = serializers.ChoiceField(choices=Consistency.choices(), allow_blank=True)
    bytes_total = serializers.IntegerField()
    bytes_read = serializers.IntegerField()
    bytes_stored = serializers.IntegerField()
    volumes = serializers.JSONField()
    retention_lock_until = serializers.DateTimeField(allow_null=True)
    locked = serializers.SerializerMethodField()
    vault_only = serializers.BooleanField(help_text=(
        "Deleted from its primary destination and recovered from its vault copy (POST /v1/vault-copies/{id}/"
        "recover): it restores from the vault only; verify, file restore, revert in place and locking are refused."))
    unprotected_disks = serializers.SerializerMethodField(help_text=(
        "Disks of the instance this restore point does NOT hold: the flavor's ephemeral disk and swap, local to the "
        "hypervisor, which an agentless backup cannot read. A restore gives them new and empty."))

    copies = serializers.SerializerMethodField(help_text="Every copy: the primary, then each vault copy with its "
                                                         "state and time.")

    def get_locked(self, point) -> bool:
        return restore_points.is_locked(point)

    @extend_schema_field(RestorePointCopySerializer(many=True))
    def get_copies(self, point) -> list[dict]:
        return RestorePointCopySerializer(vault.shown_copies(point), many=True).data

    @extend_schema_field(UnprotectedDiskSerializer(many=True))
    def get_unprotected_disks(self, point) -> list[dict]:
        return unprotected_disks(point.metadata or {})


class RestorePointLockSerializer(StrictSerializer):
    retention_lock_until = serializers.DateTimeField(allow_null=True)


class RestoreSerializer(StrictSerializer):
    name = serializers.CharField(required=False, allow_null=True, max_length=255)
    availability_zone = serializers.CharField(required=False, allow_null=True, max_length=255)
    flavor_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    network_mapping = serializers.DictField(child=serializers.CharField(max_length=64), required=False)
    volume_types = serializers.DictField(child=serializers.CharField(max_length=255), required=False)
    volumes = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    # Names are checked (stripped, at most 255 characters, no control characters) by services.restore_names, so
    # that every refusal names the field; the lengths here only bound what is read.
    volume_names = serializers.DictField(
        child=serializers.CharField(max_length=4096, allow_blank=True, trim_whitespace=False), required=False,
        help_text="{original volume id: name} of the new volumes; a volume not named is called "
                  "'<original> (restored <UTC time>)'.")
    volume_id = serializers.CharField(required=False, allow_null=True, max_length=64,
                                      help_text="Restore only this volume (as a new volume).")
    volume_name = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False,
                                        max_length=4096,
                                        help_text="With volume_id: the new volume's name (default "
                                                  "'<original> (restored <UTC time>)').")
    volume_type = serializers.CharField(required=False, allow_null=True, max_length=255)
    attach_to = serializers.CharField(required=False, allow_null=True, max_length=64,
                                      help_text="With volume_id: attach the new volume to this instance.")
    source = serializers.ChoiceField(choices=("primary", "vault"), required=False, allow_null=True,
                                     help_text="vault: read the restore point's vault copy (through the vault "
                                               "worker's time-limited read-only grant), e.g. while the primary "
                                               "destination is lost. Default: primary; vault for a vault-only "
                                               "restore point (which refuses primary).")


class RevertSerializer(StrictSerializer):
    volume_id = serializers.CharField(required=False, allow_null=True, max_length=64,
                                      help_text="Revert only this data volume (detached, overwritten, reattached).")
    instance = serializers.BooleanField(required=False, default=False,
                                        help_text="Revert the whole instance: every volume, the boot volume by "
                                                  "Nova's rebuild (compute 2.93).")
    confirm = serializers.JSONField(required=False, default=None,
                                    help_text="true, or the name (or id) of the instance or volume overwritten, typed "
                                              "back: what it holds now is overwritten.")
    stop_server = serializers.BooleanField(
        required=False, default=False,
        help_text="With volume_id: stop the server (if ACTIVE) before its volume is detached and start it again once "
                  "the volume is back, after a failure too, so the guest never sees its disk vanish and return with "
                  "other content. Default false: the server keeps running (the guest must not be using that disk). "
                  "Refused with instance: a whole-instance revert always stops the server.")


class DestinationWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=255)
    type = serializers.ChoiceField(choices=("filesystem", "nfs", "s3", "swift"), default="filesystem")
    path = serializers.CharField(max_length=1024, help_text="A directory on the workers (filesystem, nfs), or the "
                                                            "object store's location: s3://BUCKET/PREFIX?endpoint=URL"
                                                            "&region=R&path_style=1&lock=COMPLIANCE&lock_days=N or "
                                                            "swift://CONTAINER/PREFIX?auth_url=KEYSTONE_V3_URL"
                                                            "&region=R&interface=public")
    credentials = serializers.DictField(
        child=serializers.CharField(max_length=4096, allow_blank=False), required=False, write_only=True,
        help_text="Object storage only: S3 access_key and secret_key; Swift application_credential_id and "
                  "application_credential_secret (or username, password, project_name, user_domain_name, "
                  "project_domain_name). Sealed in the catalog, never shown.")
    encrypted = serializers.BooleanField(default=False)
    repository_secret = serializers.CharField(required=False, allow_blank=True, max_length=4096)
    project_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    retention_lock_min_days = serializers.IntegerField(required=False, min_value=0, max_value=36500,
                                                       help_text="Immutability: every restore point written here "
                                                                 "is locked at least this many days.")
    dedup_scope = serializers.ChoiceField(
        choices=("project", "cloud"), default="project",
        help_text="project (default): no deduplication across projects, so no project learns what another backed "
                  "up; cloud: deduplication across every project of the destination (less space, that side "
                  "channel).")
    hardened = serializers.BooleanField(
        default=False, help_text="Filesystem WORM: locked objects get the immutable attribute (not on NFS).")
    max_lock_days = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LOCK_DAYS_LIMIT,
                                             help_text="How far ahead a retention lock of a restore point here may "
                                                       "reach, in days (default 36525, 100 years).")
    vault = serializers.BooleanField(default=False, help_text="An air-gapped vault: the vault worker copies "
                                                              "restore points into it with credentials only it "
                                                              "holds; give no credentials here.")


class RebuildSerializer(StrictSerializer):
    dry_run = serializers.BooleanField(default=False, help_text="Report what would change; change nothing.")
    remove_missing = serializers.BooleanField(
        default=True, help_text="Remove catalog rows of restore points the repository no longer holds.")


class DestinationSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    path = serializers.CharField(required=False, help_text="Administrators only (rule "
                                                           "storage_backup:destination:show_location).")
    encrypted = serializers.BooleanField()
    project_id = serializers.CharField(allow_blank=True)
    retention_lock_min_days = serializers.IntegerField()
    dedup_scope = serializers.CharField()
    hardened = serializers.BooleanField()
    max_lock_days = serializers.IntegerField()
    vault = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def to_representation(self, destination) -> dict:
        data = super().to_representation(destination)
        if not self.context.get("show_location"):
            data.pop("path", None)
        return data


class ProxySerializer(serializers.Serializer):
    hostname = serializers.CharField()
    availability_zone = serializers.CharField()
    server_id = serializers.CharField(allow_blank=True)
    version = serializers.CharField(allow_blank=True)
    device_root_ok = serializers.BooleanField()
    max_jobs = serializers.IntegerField()
    last_heartbeat = serializers.DateTimeField(allow_null=True)
    status = serializers.SerializerMethodField()
    running_jobs = serializers.IntegerField(read_only=True, help_text="Jobs this proxy runs now.")
    queue_depth = serializers.IntegerField(read_only=True, help_text="Jobs queued for this proxy's availability "
                                                                     "zone, which any proxy of the zone may take.")

    def get_status(self, proxy) -> str:
        return "up" if proxies.is_up(proxy) else "down"


class QuotaSerializer(StrictSerializer):
    protected_instances = serializers.IntegerField(min_value=0, max_value=POSITIVE_INT_MAX, allow_null=True,
                                                   required=False)
    restore_points = serializers.IntegerField(min_value=0, max_value=POSITIVE_INT_MAX, allow_null=True,
                                              required=False)
    stored_bytes = serializers.IntegerField(min_value=0, max_value=BIG_INT_MAX, allow_null=True, required=False)


class UsageSerializer(serializers.Serializer):
    """A project's usage, counted by the service (``statistics.project_usage``)."""

    project_id = serializers.CharField()
    protected_instances = serializers.IntegerField()
    restore_points = serializers.IntegerField()
    stored_bytes = serializers.IntegerField()
    quota = QuotaSerializer()


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    user_id = serializers.CharField(allow_blank=True)
    user_name = serializers.CharField(allow_blank=True)
    project_id = serializers.CharField(allow_blank=True)
    action = serializers.CharField()
    target_type = serializers.CharField(allow_blank=True)
    target_id = serializers.CharField(allow_blank=True)
    result = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)

    def to_representation(self, event) -> dict:
        data = super().to_representation(event)
        data["detail"] = redactor_of(self).text(data["detail"])
        return data


class VersionSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    links = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


class VaultWorkSerializer(serializers.Serializer):
    vault_id = serializers.CharField()
    copies = serializers.ListField(child=serializers.DictField(), help_text=(
        "Restore points to copy, oldest first (docs/TASKS.md VaultCopyItem): the primary's id, type and location, "
        "the repository secret sealed to the vault worker's enrolled key."))
    grants = serializers.ListField(child=serializers.DictField(), help_text="Restores from the vault waiting for a "
                                                                            "read-only grant (VaultGrantRequest).")
    waiting = serializers.ListField(child=serializers.DictField(), help_text="Copies held back, and why.")


class VaultCopyReportSerializer(StrictSerializer):
    copy_id = serializers.CharField(max_length=36)
    vault_id = serializers.CharField(max_length=36, required=False)
    state = serializers.ChoiceField(choices=("copying", "copied", "failed"))
    chunks_total = serializers.IntegerField(required=False, min_value=0, max_value=BIG_INT_MAX)
    chunks_copied = serializers.IntegerField(required=False, min_value=0, max_value=BIG_INT_MAX)
    chunks_present = serializers.IntegerField(required=False, min_value=0, max_value=BIG_INT_MAX)
    bytes_copied = serializers.IntegerField(required=False, min_value=0, max_value=BIG_INT_MAX)
    error = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class VaultCopySerializer(serializers.Serializer):
    copy_id = serializers.CharField(source="id")
    restore_point_id = serializers.CharField()
    vault_id = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    chunks_copied = serializers.IntegerField()
    bytes_copied = serializers.IntegerField()
    copied_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


class VaultGrantPostSerializer(StrictSerializer):
    grant_id = serializers.CharField(max_length=36, help_text="The grant request's id (the restore job's).")
    vault_id = serializers.CharField(max_length=36, required=False)
    grant = serializers.DictField(help_text="{expires: ISO 8601, objects: {name: pre-signed URL}}; sealed at rest.")


class VaultGrantSerializer(serializers.Serializer):
    grant_id = serializers.CharField(source="job_id")
    restore_point_id = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class OrphanedVaultCopySerializer(serializers.Serializer):
    """A vault copy whose restore point was deleted from the catalog (``GET /v1/vault-copies``)."""

    id = serializers.CharField(help_text="The copy's id (POST /v1/vault-copies/{id}/recover).")
    restore_point_id = serializers.CharField()
    project_id = serializers.CharField()
    instance_id = serializers.CharField(allow_blank=True)
    instance_name = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField(source="point_created_at", allow_null=True,
                                           help_text="When the restore point was made.")
    strategy = serializers.SerializerMethodField()
    bytes_total = serializers.SerializerMethodField()
    vault_id = serializers.CharField()
    vault_name = serializers.CharField(source="vault.name")
    primary_destination_id = serializers.CharField(source="primary_id", allow_null=True,
                                                   help_text="null: the primary destination was deleted.")
    state = serializers.CharField(help_text="The copy's state: only a copied one can be recovered.")
    copied_at = serializers.DateTimeField(allow_null=True)
    bytes_copied = serializers.IntegerField()
    primary_deleted_at = serializers.DateTimeField(help_text="When the restore point left the catalog.")
    in_catalog = serializers.BooleanField(help_text="Recovered: in the catalog again, as a vault-only restore point.")
    recoverable = serializers.SerializerMethodField()
    not_recoverable_reason = serializers.SerializerMethodField(help_text="Why it cannot be recovered, or \"\".")

    def _record(self, copy) -> dict:
        return copy.point_record or {}

    def get_strategy(self, copy) -> str:
        return str(self._record(copy).get("strategy") or "")

    def get_bytes_total(self, copy) -> int | None:
        value = self._record(copy).get("bytes_total")
        return int(value) if value is not None else None

    def get_recoverable(self, copy) -> bool:
        return not vault_recovery.refusal(copy)

    def get_not_recoverable_reason(self, copy) -> str:
        return vault_recovery.refusal(copy)
