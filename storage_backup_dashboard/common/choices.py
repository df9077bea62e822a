# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Display names of the backup service's states and kinds (translated; ``pgettext_lazy`` for statuses)."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

JOB_STATE_DISPLAY = (
    ("queued", pgettext_lazy("State of a backup job", "Queued")),
    ("running", pgettext_lazy("State of a backup job", "Running")),
    ("succeeded", pgettext_lazy("State of a backup job", "Succeeded")),
    ("failed", pgettext_lazy("State of a backup job", "Failed")),
    ("cancelled", pgettext_lazy("State of a backup job", "Cancelled")),
)
# Rows of queued and running jobs keep polling (None); ended ones are done (True) or in error (False).
JOB_STATE_STATUS = (
    ("queued", None),
    ("running", None),
    ("succeeded", True),
    ("failed", False),
    ("cancelled", False),
)
JOB_TYPE_DISPLAY = (
    ("backup", pgettext_lazy("Type of a backup job", "Backup")),
    ("restore", pgettext_lazy("Type of a backup job", "Restore")),
    ("restore_volume", pgettext_lazy("Type of a backup job", "Volume restore")),
    ("revert", pgettext_lazy("Type of a backup job", "Revert in place")),
    ("retention", pgettext_lazy("Type of a backup job", "Retention")),
    ("verify", pgettext_lazy("Type of a backup job", "Verify")),
    ("file_browse", pgettext_lazy("Type of a backup job", "Browse files")),
    ("file_restore", pgettext_lazy("Type of a backup job", "File download")),
)
# A running job's step (docs/TASKS.md progress ``step``), as its progress cell says it; others show as they come.
JOB_STEP_DISPLAY = (
    ("queued", pgettext_lazy("Step of a backup job", "Queued")),
    ("starting", pgettext_lazy("Step of a backup job", "Starting…")),
    ("inspect", pgettext_lazy("Step of a backup job", "Reading the instance…")),
    ("pre_command", pgettext_lazy("Step of a backup job", "Running the pre-snapshot command…")),
    ("snapshot", pgettext_lazy("Step of a backup job", "Taking snapshots…")),
    ("prepare", pgettext_lazy("Step of a backup job", "Preparing…")),
    ("create", pgettext_lazy("Step of a backup job", "Creating volumes…")),
    ("attach", pgettext_lazy("Step of a backup job", "Attaching to the proxy…")),
    ("read", pgettext_lazy("Step of a backup job", "Reading")),
    ("write", pgettext_lazy("Step of a backup job", "Writing")),
    ("verify", pgettext_lazy("Step of a backup job", "Verifying")),
    ("detach", pgettext_lazy("Step of a backup job", "Detaching…")),
    ("release", pgettext_lazy("Step of a backup job", "Removing temporary copies…")),
    ("commit", pgettext_lazy("Step of a backup job", "Writing the restore point…")),
    ("image", pgettext_lazy("Step of a backup job", "Looking for the image…")),
    ("upload_image", pgettext_lazy("Step of a backup job", "Uploading image to Glance…")),
    ("server", pgettext_lazy("Step of a backup job", "Creating the instance…")),
    ("floating_ips", pgettext_lazy("Step of a backup job", "Re-associating floating IPs…")),
    ("attach_to_instance", pgettext_lazy("Step of a backup job", "Attaching to the instance…")),
    ("finalize", pgettext_lazy("Step of a backup job", "Finishing…")),
)
STRATEGY_DISPLAY = (
    ("full", pgettext_lazy("Backup strategy", "Full")),
    ("incremental", pgettext_lazy("Backup strategy", "Incremental")),
    ("changed-extents", pgettext_lazy("Backup strategy", "Changed blocks (Ceph)")),
    ("auto", pgettext_lazy("Backup strategy", "Automatic")),
)
CONSISTENCY_DISPLAY = (
    ("group", pgettext_lazy("Consistency of a restore point", "Group (all volumes at once)")),
    ("per-volume", pgettext_lazy("Consistency of a restore point", "Per volume")),
    ("crash", pgettext_lazy("Consistency of a restore point", "Crash-consistent")),
    # Backups made with the operator's CLI from an image file or a device nothing wrote to meanwhile.
    ("offline", pgettext_lazy("Consistency of a restore point", "Offline (read at rest)")),
    # A restore point written by a newer release, whose word this one does not know.
    ("unknown", pgettext_lazy("Consistency of a restore point", "Unknown")),
)
RESTORE_POINT_STATUS_DISPLAY = (
    ("available", pgettext_lazy("Status of a restore point", "Available")),
    ("locked", pgettext_lazy("Status of a restore point", "Locked")),
    # deleted from its primary, recovered from its vault copy: it restores from the vault only
    ("vault_only", pgettext_lazy("Status of a restore point", "Vault only")),
)
VAULT_COPY_STATE_DISPLAY = (
    ("queued", pgettext_lazy("State of a vault copy", "Queued")),
    ("copying", pgettext_lazy("State of a vault copy", "Copying")),
    ("copied", pgettext_lazy("State of a vault copy", "Copied")),
    ("failed", pgettext_lazy("State of a vault copy", "Failed")),
)
PROTECTION_DISPLAY = (
    ("not_protected", pgettext_lazy("Protection of an instance", "Not protected")),
    ("protected", pgettext_lazy("Protection of an instance", "Protected")),
)
PROXY_STATUS_DISPLAY = (
    ("up", pgettext_lazy("Status of a proxy worker", "Up")),
    ("down", pgettext_lazy("Status of a proxy worker", "Down")),
)
DESTINATION_TYPE_DISPLAY = (
    ("filesystem", pgettext_lazy("Type of a destination", "Filesystem")),
    ("nfs", pgettext_lazy("Type of a destination", "NFS")),
    ("s3", pgettext_lazy("Type of a destination", "S3")),
    ("swift", pgettext_lazy("Type of a destination", "Swift")),
)
SCOPE_DISPLAY = (
    ("shared", pgettext_lazy("Scope of a policy or destination", "Shared")),
    ("project", pgettext_lazy("Scope of a policy or destination", "Project")),
)
ON_FAILURE_CHOICES = (
    ("abort", _("Abort the backup")),
    ("continue", _("Continue without it")),
)
HOST_KEY_POLICY_CHOICES = (
    ("reject", _("Only the host key given below")),
    ("accept-new", _("Accept the key the instance shows first")),
)

# What a webhook's ``events`` may hold, as the service's storage_backup.notifications.events.EVENT_FILTERS (a unit
# test holds the two equal): the events of one kind of job, then every kind's wildcards.
WEBHOOK_EVENT_CHOICES = (
    ("backup.start", pgettext_lazy("Webhook event", "Backup started")),
    ("backup.end", pgettext_lazy("Webhook event", "Backup succeeded")),
    ("backup.error", pgettext_lazy("Webhook event", "Backup failed")),
    ("backup.cancel", pgettext_lazy("Webhook event", "Backup cancelled")),
    ("restore.start", pgettext_lazy("Webhook event", "Restore started")),
    ("restore.end", pgettext_lazy("Webhook event", "Restore succeeded")),
    ("restore.error", pgettext_lazy("Webhook event", "Restore failed")),
    ("restore.cancel", pgettext_lazy("Webhook event", "Restore cancelled")),
    ("verify.start", pgettext_lazy("Webhook event", "Verification started")),
    ("verify.end", pgettext_lazy("Webhook event", "Verification succeeded")),
    ("verify.error", pgettext_lazy("Webhook event", "Verification failed")),
    ("verify.cancel", pgettext_lazy("Webhook event", "Verification cancelled")),
    ("backup.*", pgettext_lazy("Webhook event", "Every backup event")),
    ("restore.*", pgettext_lazy("Webhook event", "Every restore event")),
    ("verify.*", pgettext_lazy("Webhook event", "Every verification event")),
    ("*.start", pgettext_lazy("Webhook event", "Any job started")),
    ("*.end", pgettext_lazy("Webhook event", "Any job succeeded")),
    ("*.error", pgettext_lazy("Webhook event", "Any job failed")),
    ("*.cancel", pgettext_lazy("Webhook event", "Any job cancelled")),
)


def display(choices, value) -> str:
    return str(dict(choices).get(value, value or "-"))
