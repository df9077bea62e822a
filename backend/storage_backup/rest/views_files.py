# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""File-level restore's endpoints: list and search the files inside a restore point's volume, download a file or a
folder (``storage_backup.services.file_restore``)."""
from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from storage_backup.rest import serializers as s
from storage_backup.rest.views import ServiceView, _errors
from storage_backup.services import file_restore


class FileEntrySerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=("file", "directory", "symlink", "other"))
    size = serializers.IntegerField()
    mtime = serializers.IntegerField(help_text="Seconds since the epoch.")
    mode = serializers.CharField(help_text="Permission bits in octal, e.g. 0644.")
    path = serializers.CharField(required=False, help_text="Search results: the entry's full path.")
    target = serializers.CharField(required=False, help_text="Symbolic links: what they point at.")


class FileListingSerializer(serializers.Serializer):
    restore_point_id = serializers.CharField()
    volume_id = serializers.CharField()
    path = serializers.CharField()
    search = serializers.CharField(allow_blank=True)
    filesystem = serializers.CharField(help_text="ext4 or xfs")
    partition = serializers.IntegerField(allow_null=True)
    partitions = serializers.ListField(child=serializers.DictField())
    entries = FileEntrySerializer(many=True)
    truncated = serializers.BooleanField(help_text="More entries than limit: narrow the search or the folder.")
    job_id = serializers.CharField()


class FileDownloadSerializer(s.StrictSerializer):
    path = serializers.CharField(max_length=4096)
    format = serializers.ChoiceField(choices=("auto", "raw", "tar", "zip"), required=False, default="auto",
                                     help_text="auto: a file as it is, a folder as tar.")
    partition = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=999_999)


class RestorePointFiles(ServiceView):
    serializer_class = FileListingSerializer

    @extend_schema(parameters=[
        OpenApiParameter("path", OpenApiTypes.STR, description="An absolute path inside the filesystem (default /)."),
        OpenApiParameter("search", OpenApiTypes.STR, description="Search below path by name: part of it, any case, "
                                                                 "or a shell pattern (*.conf)."),
        OpenApiParameter("partition", OpenApiTypes.INT, description="Partition number, or an LVM logical volume's "
                                                                    "(N*100 + its place on partition N; default: the "
                                                                    "largest one holding ext4 or XFS)."),
        OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many entries (1-10000, default 1000).")],
        responses={200: FileListingSerializer, **_errors(400, 401, 403, 404, 503),
                   422: OpenApiResponse(s.ErrorSerializer, description="No filesystem this product reads, a damaged "
                                                                       "one, or not a directory")})
    def get(self, request: Request, restore_point_id: str, volume_id: str) -> Response:
        query = request.query_params
        listing = file_restore.browse(self.caller, restore_point_id, volume_id, query.get("path") or "/",
                                      query.get("search") or "", query.get("partition"), query.get("limit"))
        return Response(FileListingSerializer(listing).data)


class RestorePointFilesDownload(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(request=FileDownloadSerializer, responses={202: s.JobSerializer, **_errors(400, 401, 403, 404, 409)},
                   description="Start a file_restore job writing the file or folder to the download area; when it has "
                               "succeeded, GET /v1/jobs/{job_id}/download serves it.")
    def post(self, request: Request, restore_point_id: str, volume_id: str) -> Response:
        data = self.parse(FileDownloadSerializer)
        job = file_restore.create_download(self.caller, restore_point_id, volume_id, data["path"], data["format"],
                                           data.get("partition"))
        return Response(self.shown(s.JobSerializer, job), status=status.HTTP_202_ACCEPTED)


class JobDownload(ServiceView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              **_errors(401, 403, 404, 409),
                              410: OpenApiResponse(s.ErrorSerializer, description="The download has expired")})
    def get(self, request: Request, job_id: str):
        path, name = file_restore.download(self.caller, job_id)
        return FileResponse(open(path, "rb"), as_attachment=True, filename=name,
                            content_type="application/octet-stream")
