# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import re_path

from storage_backup_dashboard.dashboards.admin.backup_usage import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^csv/$", views.CsvView.as_view(), name="csv"),
    re_path(r"^quotas/$", views.QuotaView.as_view(), name="quotas"),
    re_path(r"^quotas/(?P<project_id>[^/]+)/$", views.QuotaView.as_view(), name="quota"),
]
