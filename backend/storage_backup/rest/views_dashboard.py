# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Endpoints the Horizon panels need beyond the automation API: a page of instances' protection status, the
administrators' overview, schedule previews, a restore point's instance document, destination capacity and edits.

Same rules as ``views``: parse, call the service layer (which enforces tenancy and roles), render.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from storage_backup.catalog.models import MAX_LOCK_DAYS_LIMIT
from storage_backup.rest import serializers as s
from storage_backup.rest.views import READ_ERRORS, WRITE_ERRORS, ServiceView, _errors
from storage_backup.services import destination_admin, instance_status, restore_points, schedule_preview, statistics
from storage_backup.services.errors import ValidationFailed
from storage_backup.unprotected_disks import unprotected_disks


class JobBriefSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    state = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    percent = serializers.FloatField(allow_null=True)

    def to_representation(self, job) -> dict:
        data = super().to_representation(job)
        data["error"] = s.redactor_of(self).text(data["error"])
        return data


class RestorePointBriefSerializer(serializers.Serializer):
    id = serializers.CharField()
    created_at = serializers.DateTimeField()
    strategy = serializers.CharField(allow_blank=True)


class InstanceStatusSerializer(serializers.Serializer):
    instance_id = serializers.CharField()
    protected = serializers.BooleanField()
    policy_id = serializers.CharField(allow_null=True)
    policy_name = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True)
    next_run_at = serializers.DateTimeField(allow_null=True)
    last_restore_point = RestorePointBriefSerializer(allow_null=True)
    unprotected_disks = s.UnprotectedDiskSerializer(many=True, help_text=(
        "Disks of the instance its last restore point does not hold (the flavor's ephemeral disk and swap: local to "
        "the hypervisor, beyond an agentless backup); empty when all its disks are protected."))
    last_job = JobBriefSerializer(allow_null=True)
    last_backup_result = JobBriefSerializer(allow_null=True)
    active_job = JobBriefSerializer(allow_null=True)


class InstanceStatusList(ServiceView):
    serializer_class = InstanceStatusSerializer
    pagination_class = None  # bounded by the IDs asked for (a page of the caller's own table)

    @extend_schema(parameters=[OpenApiParameter("instance_id", OpenApiTypes.STR, many=True, explode=True,
                                                description="Repeat for each instance (at most 200).")],
                   responses={200: InstanceStatusSerializer(many=True), **_errors(400, 401)},
                   description="How each of the given instances is protected: policy, last restore point, last "
                               "job, next scheduled run (a Protected Instances page at a time).")
    def get(self, request: Request) -> Response:
        ids = [value for item in request.query_params.getlist("instance_id") for value in item.split(",")]
        found = instance_status.summaries(self.request.user.caller, ids)
        return Response(InstanceStatusSerializer(found, many=True, context=self.get_serializer_context()).data)


class SchedulePreviewSerializer(serializers.Serializer):
    schedule = serializers.CharField()
    timezone = serializers.CharField()
    next_runs = serializers.ListField(child=serializers.DateTimeField())


class SchedulePreview(ServiceView):
    serializer_class = SchedulePreviewSerializer

    @extend_schema(parameters=[OpenApiParameter("schedule", OpenApiTypes.STR, required=True),
                               OpenApiParameter("timezone", OpenApiTypes.STR),
                               OpenApiParameter("window_start", OpenApiTypes.STR),
                               OpenApiParameter("window_end", OpenApiTypes.STR),
                               OpenApiParameter("count", OpenApiTypes.INT)],
                   responses={200: SchedulePreviewSerializer, **_errors(400, 401)},
                   description="The next runs of a cron schedule in a time zone and window, as a policy would run.")
    def get(self, request: Request) -> Response:
        query = request.query_params
        try:
            count = int(query.get("count") or 5)
        except ValueError:
            raise ValidationFailed("count", "must be a whole number") from None
        zone = query.get("timezone") or "UTC"
        runs = schedule_preview.preview(self.caller, query.get("schedule") or "", zone, query.get("window_start"),
                                        query.get("window_end"), count)
        return Response(SchedulePreviewSerializer({"schedule": query.get("schedule"), "timezone": zone,
                                                   "next_runs": runs}).data)


class RestorePointInstance(ServiceView):
    serializer_class = None

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **READ_ERRORS},
                   description="The instance as the restore point recorded it (flavor, NICs, volumes, image): what "
                               "a restore wizard maps onto the target.")
    def get(self, request: Request, restore_point_id: str) -> Response:
        point = restore_points.get_restore_point(self.caller, restore_point_id)
        document = dict(point.metadata or {})
        if document.get("flavor"):  # documents written before the key: derived from the flavor
            document["unprotected_disks"] = unprotected_disks(document)
        return Response(document)


class OverviewView(ServiceView):
    serializer_class = None

    @extend_schema(parameters=[OpenApiParameter("days", OpenApiTypes.INT, enum=list(statistics.PERIODS))],
                   responses={200: OpenApiTypes.OBJECT, **_errors(400, 401, 403)},
                   description="Administrators: protection coverage, job outcomes per day, stored bytes over time, "
                               "data reduction, top projects and what needs attention, across every project.")
    def get(self, request: Request) -> Response:
        try:
            days = int(request.query_params.get("days") or 7)
        except ValueError:
            raise ValidationFailed("days", "must be a whole number of days") from None
        return Response(statistics.overview(self.request.user.caller, days))


class DestinationUsageSerializer(serializers.Serializer):
    destination_id = serializers.CharField()
    restore_points = serializers.IntegerField()
    bytes_stored = serializers.IntegerField()
    reachable = serializers.BooleanField()
    filesystem_bytes = serializers.IntegerField(allow_null=True)
    filesystem_free = serializers.IntegerField(allow_null=True)


class DestinationUsageList(ServiceView):
    serializer_class = DestinationUsageSerializer
    pagination_class = None  # one row per destination, as few as the destinations list

    @extend_schema(responses={200: DestinationUsageSerializer(many=True), **_errors(401, 403)},
                   description="Administrators: what each destination holds and how full its filesystem is.")
    def get(self, request: Request) -> Response:
        return Response(DestinationUsageSerializer(statistics.destination_usage(self.request.user.caller),
                                                   many=True).data)


class DestinationUpdateSerializer(s.StrictSerializer):
    name = serializers.CharField(required=False, max_length=255)
    retention_lock_min_days = serializers.IntegerField(required=False, min_value=0, max_value=36500)
    dedup_scope = serializers.ChoiceField(required=False, choices=("project", "cloud"))
    hardened = serializers.BooleanField(required=False)
    max_lock_days = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LOCK_DAYS_LIMIT)
    credentials = serializers.DictField(
        child=serializers.CharField(max_length=4096, allow_blank=False), required=False, write_only=True,
        help_text="Object storage only: new credentials replacing the old ones (key rotation): S3 access_key and "
                  "secret_key; Swift's Keystone credentials. Sealed in the catalog, never shown.")


class DestinationUpdate(ServiceView):
    """``PATCH /v1/destinations/{id}``: mixed into the destination's detail view (``urls``)."""

    @extend_schema(request=DestinationUpdateSerializer, responses={200: s.DestinationSerializer, **WRITE_ERRORS},
                   description="Administrators: rename a destination, change its minimum or maximum retention lock, "
                               "its deduplication scope (project or cloud), its hardened mode, or an object "
                               "store's credentials (rotation).")
    def patch(self, request: Request, destination_id: str) -> Response:
        data = self.parse(DestinationUpdateSerializer, partial=True)
        destination = destination_admin.update_destination(self.caller, destination_id, data)
        return Response(self.shown(s.DestinationSerializer, destination))

    @extend_schema(responses={204: None, **WRITE_ERRORS},
                   description="Administrators: delete a destination from the catalog; 409 while a policy, a "
                               "restore point, a vault copy or a job uses it. Its repository's data stays.")
    def delete(self, request: Request, destination_id: str) -> Response:
        destination_admin.delete_destination(self.caller, destination_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
