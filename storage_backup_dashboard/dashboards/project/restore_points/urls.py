# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import re_path

from storage_backup_dashboard.dashboards.project.restore_points import files, views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    # deleted restore points whose vault copy remains, and their recovery (before the restore point URLs)
    re_path(r"^deleted/$", views.DeletedRestorePointsView.as_view(), name="deleted"),
    re_path(r"^deleted/(?P<copy_id>[^/]+)/recover/$", views.RecoverView.as_view(), name="recover"),
    re_path(r"^(?P<restore_point_id>[^/]+)/$", views.DetailView.as_view(), name="detail"),
    re_path(r"^(?P<restore_point_id>[^/]+)/restore/$", views.RestoreView.as_view(), name="restore"),
    re_path(r"^(?P<restore_point_id>[^/]+)/restore_volume/$", views.RestoreVolumeView.as_view(),
            name="restore_volume"),
    re_path(r"^(?P<restore_point_id>[^/]+)/volumes/(?P<volume_id>[^/]+)/files/$", files.BrowseFilesView.as_view(),
            name="browse_files"),
    re_path(r"^(?P<restore_point_id>[^/]+)/volumes/(?P<volume_id>[^/]+)/files/download/$",
            files.DownloadFileView.as_view(), name="download_file"),
    re_path(r"^(?P<restore_point_id>[^/]+)/revert/$", views.RevertView.as_view(), name="revert"),
]
