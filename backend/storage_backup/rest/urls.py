# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``/v1`` URL map. Every route here is covered by the tenancy matrix in tests/functional/rest (it reads this list)."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.permissions import AllowAny

from storage_backup.rest import (
    views,
    views_dashboard,
    views_files,
    views_operations,
    views_proxy_keys,
    views_vault,
    views_webhooks,
)


class DestinationDetail(views_dashboard.DestinationUpdate, views.DestinationDetail):
    """GET from ``views``, PATCH (administrators' edits) from ``views_dashboard``."""


class OpenApiView(SpectacularJSONAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


urlpatterns = [
    path("v1/", views.VersionView.as_view(), name="version"),
    path("v1/openapi.json", OpenApiView.as_view(), name="openapi"),
    path("v1/policies", views.PolicyList.as_view(), name="policies"),
    path("v1/policies/<str:policy_id>", views.PolicyDetail.as_view(), name="policy"),
    path("v1/protected-instances", views.ProtectedInstanceList.as_view(), name="protected-instances"),
    path("v1/protected-instances/<str:instance_id>", views.ProtectedInstanceDetail.as_view(),
         name="protected-instance"),
    path("v1/backups", views.BackupCreate.as_view(), name="backups"),
    path("v1/restore-points", views.RestorePointList.as_view(), name="restore-points"),
    path("v1/restore-points/<str:restore_point_id>", views.RestorePointDetail.as_view(), name="restore-point"),
    path("v1/restore-points/<str:restore_point_id>/restore", views.RestorePointRestore.as_view(), name="restore"),
    path("v1/restore-points/<str:restore_point_id>/revert", views.RestorePointRevert.as_view(), name="revert"),
    path("v1/restore-points/<str:restore_point_id>/verify", views.RestorePointVerify.as_view(), name="verify"),
    # file-level restore (backend/storage_backup/rest/views_files.py)
    path("v1/restore-points/<str:restore_point_id>/volumes/<str:volume_id>/files",
         views_files.RestorePointFiles.as_view(), name="restore-point-files"),
    path("v1/restore-points/<str:restore_point_id>/volumes/<str:volume_id>/files/download",
         views_files.RestorePointFilesDownload.as_view(), name="restore-point-files-download"),
    path("v1/jobs/<str:job_id>/download", views_files.JobDownload.as_view(), name="job-download"),
    path("v1/jobs", views.JobList.as_view(), name="jobs"),
    path("v1/jobs/<str:job_id>", views.JobDetail.as_view(), name="job"),
    path("v1/jobs/<str:job_id>/cancel", views.JobCancel.as_view(), name="job-cancel"),
    path("v1/destinations", views.DestinationList.as_view(), name="destinations"),
    path("v1/destinations/<str:destination_id>", DestinationDetail.as_view(), name="destination"),
    path("v1/destinations/<str:destination_id>/prune", views.DestinationPrune.as_view(), name="destination-prune"),
    path("v1/destinations/<str:destination_id>/rebuild", views.DestinationRebuild.as_view(),
         name="destination-rebuild"),
    path("v1/destination-usage", views_dashboard.DestinationUsageList.as_view(), name="destination-usage"),
    path("v1/proxies", views.ProxyList.as_view(), name="proxies"),
    # enrolled worker keys, which task secrets are sealed to (backend/storage_backup/rest/views_proxy_keys.py)
    path("v1/proxy-keys", views_proxy_keys.ProxyKeyList.as_view(), name="proxy-keys"),
    path("v1/proxies/<str:name>/keys", views_proxy_keys.ProxyKeysOfProxy.as_view(), name="proxy-keys-of-proxy"),
    path("v1/proxies/<str:name>/keys/<str:key_id>", views_proxy_keys.ProxyKeyDetail.as_view(), name="proxy-key"),
    path("v1/usage", views.UsageList.as_view(), name="usage"),
    path("v1/quotas/<str:project_id>", views.QuotaDetail.as_view(), name="quota"),
    path("v1/audit-events", views.AuditEventList.as_view(), name="audit-events"),
    # what the Horizon panels need besides (backend/storage_backup/rest/views_dashboard.py)
    path("v1/instance-status", views_dashboard.InstanceStatusList.as_view(), name="instance-status"),
    path("v1/restore-points/<str:restore_point_id>/instance", views_dashboard.RestorePointInstance.as_view(),
         name="restore-point-instance"),
    path("v1/schedule-preview", views_dashboard.SchedulePreview.as_view(), name="schedule-preview"),
    path("v1/overview", views_dashboard.OverviewView.as_view(), name="overview"),
    # a project's signed webhooks for its job events (backend/storage_backup/rest/views_webhooks.py)
    path("v1/webhooks", views_webhooks.WebhookList.as_view(), name="webhooks"),
    path("v1/webhooks/<str:webhook_id>", views_webhooks.WebhookDetail.as_view(), name="webhook"),
    path("v1/webhooks/<str:webhook_id>/secret", views_webhooks.WebhookSecret.as_view(), name="webhook-secret"),
    # the vault worker's, with its dedicated role only (backend/storage_backup/rest/views_vault.py)
    path("v1/vault/work", views_vault.VaultWork.as_view(), name="vault-work"),
    path("v1/vault/copies", views_vault.VaultCopies.as_view(), name="vault-copies"),
    path("v1/vault/grants", views_vault.VaultGrants.as_view(), name="vault-grants"),
    # a project's vault copies whose restore point was deleted, and their recovery (rules storage_backup:vault_copy:*)
    path("v1/vault-copies", views_vault.OrphanedVaultCopyList.as_view(), name="orphaned-vault-copies"),
    path("v1/vault-copies/<str:copy_id>/recover", views_vault.OrphanedVaultCopyRecover.as_view(),
         name="orphaned-vault-copy-recover"),
    # the operators' monitoring, outside the versioned API (backend/storage_backup/rest/views_operations.py)
    path("healthz", views_operations.HealthView.as_view(), name="healthz"),
    path("readyz", views_operations.ReadyView.as_view(), name="readyz"),
    path("metrics", views_operations.MetricsView.as_view(), name="metrics"),
]

# Errors outside the views' own handling answer in the API's JSON error shape too (``errors``), never HTML.
handler400 = "storage_backup.rest.errors.bad_request"
handler403 = "storage_backup.rest.errors.forbidden"
handler404 = "storage_backup.rest.errors.not_found"
handler500 = "storage_backup.rest.errors.server_error"
