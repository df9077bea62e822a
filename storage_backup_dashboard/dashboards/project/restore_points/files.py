# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Browse Files: the folders and files inside a volume of a restore point (breadcrumbs, a search box, downloads of
a file as it is or a folder as tar or zip), read by the backup service's data plane without restoring anything."""
from __future__ import annotations

import datetime as dt
import posixpath

from django import http
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import messages, views

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.common import errors

DOWNLOAD_FORMATS = ("auto", "raw", "tar", "zip")


def _partition(request) -> int | None:
    value = request.GET.get("partition") or ""
    return int(value) if value.isdigit() else None


def _path(request) -> str:
    return request.GET.get("path") or "/"


def breadcrumbs(path: str) -> list[tuple[str, str]]:
    """``(label, path)`` from the root down to ``path``."""
    crumbs = [("/", "/")]
    walked = ""
    for part in [part for part in path.split("/") if part]:
        walked += "/" + part
        crumbs.append((part, walked))
    return crumbs


class BrowseFilesView(views.HorizonTemplateView):
    template_name = "storage_backup/restore_points/browse_files.html"
    page_title = _("Browse Files")

    def _url(self, name: str, **query) -> str:
        url = reverse(f"horizon:project:restore_points:{name}",
                      args=[self.kwargs["restore_point_id"], self.kwargs["volume_id"]])
        query = {key: value for key, value in query.items() if value not in (None, "")}
        return f"{url}?{urlencode(query)}" if query else url

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        point_id, volume_id = self.kwargs["restore_point_id"], self.kwargs["volume_id"]
        path, search, partition = _path(self.request), (self.request.GET.get("search") or "").strip(), \
            _partition(self.request)
        context.update(restore_point_id=point_id, volume_id=volume_id, path=path, search=search,
                       partition=partition, crumbs=[(label, self._url("browse_files", path=target,
                                                                       partition=partition))
                                                    for label, target in breadcrumbs(path)],
                       detail_url=reverse("horizon:project:restore_points:detail", args=[point_id]),
                       search_url=self._url("browse_files"), listing=None, entries=[])
        try:
            listing = api.backup.file_list(self.request, point_id, volume_id, path, search=search,
                                           partition=partition)
        except backup_exceptions.BackupNotFound as error:
            if path == "/" and partition is None:  # the restore point or the volume itself (or another project's)
                raise http.Http404(_("No such restore point or volume in this project.")) from None
            messages.error(self.request, error.message)  # a folder or partition that is not there: say which
            return context
        except backup_exceptions.BackupRequestRefused as error:
            messages.error(self.request, error.message)  # not a folder, no filesystem read here, a bad path
            return context
        except Exception:
            errors.handle(self.request, _("Unable to list the files of this volume."))
            return context
        context["listing"] = listing
        # Another partition or LVM volume of the disk, one click away (the service picked the largest readable one).
        context["partitions"] = [dict(part, url=self._url("browse_files", partition=part["number"]),
                                      current=part["number"] == listing.get("partition"))
                                 for part in listing.get("partitions") or []]
        context["entries"] = [self._entry(entry, path, partition) for entry in listing.get("entries") or []]
        context["folder_downloads"] = [(fmt, self._url("download_file", path=path, format=fmt, partition=partition))
                                       for fmt in ("tar", "zip")]
        return context

    def _entry(self, entry: dict, folder: str, partition: int | None) -> dict:
        path = entry.get("path") or posixpath.join(folder, entry["name"])
        row = dict(entry, full_path=path,
                   modified=dt.datetime.fromtimestamp(entry.get("mtime") or 0, dt.UTC).strftime("%Y-%m-%d %H:%M"))
        if entry["type"] == "directory":
            row["browse_url"] = self._url("browse_files", path=path, partition=partition)
            row["downloads"] = [("tar", self._url("download_file", path=path, format="tar", partition=partition)),
                                ("zip", self._url("download_file", path=path, format="zip", partition=partition))]
        elif entry["type"] == "file":
            row["downloads"] = [("file", self._url("download_file", path=path, format="raw", partition=partition))]
        return row


class DownloadFileView(generic.View):
    """Starts the service's file restore, waits for it and passes its download on to the browser as it arrives."""

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("format") or "auto"
        if fmt not in DOWNLOAD_FORMATS:
            fmt = "auto"
        browse_url = reverse("horizon:project:restore_points:browse_files",
                             args=[kwargs["restore_point_id"], kwargs["volume_id"]])
        path = _path(request)
        try:
            name, size, pieces = api.backup.file_download(request, kwargs["restore_point_id"], kwargs["volume_id"],
                                                          path, fmt, _partition(request))
        except backup_exceptions.BackupNotFound:
            raise http.Http404(_("No such restore point or volume in this project.")) from None
        except Exception:
            errors.handle(request, _("Unable to download %(path)s.") % {"path": path},
                          redirect=f"{browse_url}?{urlencode({'path': posixpath.dirname(path) or '/'})}")
        response = http.StreamingHttpResponse(pieces, content_type="application/octet-stream")
        response["Content-Disposition"] = http.response.content_disposition_header(True, name)
        if size is not None:
            response["Content-Length"] = str(size)
        return response
