# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import re_path

from storage_backup_dashboard.dashboards.project.webhooks import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^create/$", views.CreateView.as_view(), name="create"),
    re_path(r"^(?P<webhook_id>[^/]+)/update/$", views.UpdateView.as_view(), name="update"),
    re_path(r"^(?P<webhook_id>[^/]+)/secret/$", views.NewSecretView.as_view(), name="new_secret"),
]
