# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import re_path

from storage_backup_dashboard.dashboards.project.protected_instances import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^(?P<instance_id>[^/]+)/backup/$", views.BackupNowView.as_view(), name="backup"),
    re_path(r"^(?P<instance_id>[^/]+)/assign/$", views.AssignPolicyView.as_view(), name="assign"),
    re_path(r"^assign/$", views.AssignPolicyView.as_view(), name="assign_many"),
]
