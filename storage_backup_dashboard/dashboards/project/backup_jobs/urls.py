# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import re_path

from storage_backup_dashboard.dashboards.project.backup_jobs import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^(?P<job_id>[^/]+)/$", views.DetailView.as_view(), name="detail"),
]
