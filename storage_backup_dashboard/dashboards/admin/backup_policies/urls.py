# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import re_path

from storage_backup_dashboard.dashboards.admin.backup_policies import views
from storage_backup_dashboard.dashboards.project.backup_policies import views as project_views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^create/$", views.CreateView.as_view(), name="create"),
    re_path(r"^preview/$", project_views.SchedulePreviewView.as_view(), name="preview"),
    re_path(r"^(?P<policy_id>[^/]+)/$", views.DetailView.as_view(), name="detail"),
    re_path(r"^(?P<policy_id>[^/]+)/update/$", views.UpdateView.as_view(), name="update"),
]
