# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The REST API's views: parse with a serializer, call the service layer, render with a serializer.

No rule lives here: tenancy, roles, quotas, locks and states are the service layer's (``storage_backup.services``).
"""
from __future__ import annotations

import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from storage_backup.catalog.models import JobType
from storage_backup.rest import serializers as s
from storage_backup.services import (
    assignments,
    audit,
    bus,
    destinations,
    jobs,
    list_filters,
    locations,
    policies,
    proxies,
    quotas,
    restore_points,
    revert,
    statistics,
    tracking,
)
from storage_backup.services.context import Caller
from storage_backup.services.errors import ValidationFailed

LOG = logging.getLogger(__name__)


def _errors(*codes: int) -> dict:
    described = {400: "Invalid input; error.field names the field", 401: "No or invalid Keystone token",
                 403: "The caller's role does not allow this", 404: "No such object in the caller's project",
                 409: "The object's state does not allow this", 413: "A project quota would be exceeded",
                 503: "The cloud or the repository cannot be reached"}
    return {code: OpenApiResponse(s.ErrorSerializer, description=described[code]) for code in codes}


READ_ERRORS = _errors(401, 404, 503)
WRITE_ERRORS = _errors(400, 401, 403, 404, 409, 413, 503)
ALL_PROJECTS = OpenApiParameter("all_projects", OpenApiTypes.BOOL, description="Admins: every project's objects.")
PROJECT_FILTER = OpenApiParameter("project_id", OpenApiTypes.STR, description="Admins, with all_projects: one "
                                                                              "project's objects.")


# The list filters of ``storage_backup.services.list_filters``, as the OpenAPI document describes them.
FILTERS = {
    "policies": [OpenApiParameter("name", OpenApiTypes.STR, description="Part of the name, any case."),
                 OpenApiParameter("shared", OpenApiTypes.BOOL)],
    "restore_points": [OpenApiParameter("instance_name", OpenApiTypes.STR, description="Part of it, any case."),
                       OpenApiParameter("strategy", OpenApiTypes.STR, enum=["full", "incremental"]),
                       OpenApiParameter("locked", OpenApiTypes.BOOL),
                       OpenApiParameter("policy_id", OpenApiTypes.STR),
                       OpenApiParameter("vault_only", OpenApiTypes.BOOL,
                                        description="Recovered from a vault copy (restored from the vault only).")],
    "jobs": [OpenApiParameter("type", OpenApiTypes.STR,
                              enum=list(JobType.values)),
             OpenApiParameter("exclude_type", OpenApiTypes.STR,
                              description="Comma-separated job types to leave out (e.g. file_browse, the listings "
                                          "Browse Files makes); by default every type is listed. One of: "
                                          + ", ".join(JobType.values) + "."),
             OpenApiParameter("instance_name", OpenApiTypes.STR, description="Part of it, any case."),
             OpenApiParameter("active", OpenApiTypes.BOOL, description="Queued or running (true), ended (false).")],
}


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


# Base of every authenticated view: the caller (``self.caller``), honouring ``?all_projects=1`` for admins.
class ServiceView(generics.GenericAPIView):

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated first: no token is a 401 whatever the URL holds
        # A NUL character fits no ID, filter or name, and PostgreSQL refuses it in a query: 400 naming it.
        named = [*kwargs.items(), *((key, value) for key in request.query_params
                                     for value in [key, *request.query_params.getlist(key)])]
        for name, value in named:
            if isinstance(value, str) and "\x00" in value:
                raise ValidationFailed(str(name).replace("\x00", ""), "must not contain NUL characters")

    def get_serializer_context(self) -> dict:
        """Who reads decides what is shown: a destination's location only to those who may see it."""
        context = super().get_serializer_context()
        caller = getattr(getattr(self.request, "user", None), "caller", None)
        context["redactor"] = locations.redactor_for(caller)
        context["show_location"] = not context["redactor"].active
        return context

    def shown(self, serializer_class, instance) -> dict:
        return serializer_class(instance, context=self.get_serializer_context()).data

    @property
    def caller(self) -> Caller:
        caller: Caller = self.request.user.caller
        return caller.with_all_projects(_flag(self.request.query_params.get("all_projects")))

    def project_filter(self) -> str | None:
        return self.request.query_params.get("project_id") or None

    def parse(self, serializer_class, partial: bool = False) -> dict:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @staticmethod
    def wake_dispatcher() -> None:
        """The job is recorded (queued); the control worker sends it. Wake it so the job goes at once rather than at
        its next tick (which sends it anyway when Redis is away now)."""
        try:
            bus.wake_dispatcher()
        except Exception as error:
            LOG.warning("could not wake the control worker (its next tick sends the job): %s", error)


class VersionView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.VersionSerializer}, auth=[])
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri("/v1/")
        return Response({"id": "v1", "status": "CURRENT", "links": [
            {"rel": "self", "href": base}, {"rel": "describedby", "href": base + "openapi.json"}]})


class PolicyList(ServiceView, generics.ListAPIView):
    serializer_class = s.PolicySerializer

    def get_queryset(self):
        return list_filters.policies(policies.list_policies(self.caller, self.project_filter()),
                                     self.request.query_params)

    @extend_schema(parameters=[ALL_PROJECTS, PROJECT_FILTER, *FILTERS["policies"]],
                   responses={200: s.PolicySerializer(many=True), **_errors(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.PolicyWriteSerializer, responses={201: s.PolicySerializer, **WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        policy = policies.create_policy(self.caller, self.parse(s.PolicyWriteSerializer))
        return Response(s.PolicySerializer(policy).data, status=status.HTTP_201_CREATED)


class PolicyDetail(ServiceView):
    serializer_class = s.PolicySerializer

    @extend_schema(responses={200: s.PolicySerializer, **READ_ERRORS})
    def get(self, request: Request, policy_id: str) -> Response:
        return Response(s.PolicySerializer(policies.get_policy(self.caller, policy_id)).data)

    @extend_schema(request=s.PolicyUpdateSerializer, responses={200: s.PolicySerializer, **WRITE_ERRORS})
    def patch(self, request: Request, policy_id: str) -> Response:
        policy = policies.update_policy(self.caller, policy_id, self.parse(s.PolicyUpdateSerializer, partial=True))
        return Response(s.PolicySerializer(policy).data)

    @extend_schema(responses={204: None, **WRITE_ERRORS})
    def delete(self, request: Request, policy_id: str) -> Response:
        policies.delete_policy(self.caller, policy_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProtectedInstanceList(ServiceView, generics.ListAPIView):
    serializer_class = s.ProtectedInstanceSerializer

    def get_queryset(self):
        return assignments.list_assignments(self.caller, self.project_filter(),
                                            self.request.query_params.get("policy_id"))

    @extend_schema(parameters=[ALL_PROJECTS, PROJECT_FILTER, OpenApiParameter("policy_id", OpenApiTypes.STR)],
                   responses={200: s.ProtectedInstanceSerializer(many=True), **_errors(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.ProtectSerializer, responses={201: s.ProtectedInstanceSerializer, **WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        data = self.parse(s.ProtectSerializer)
        assignment = assignments.protect(self.caller, data["instance_id"], data["policy_id"])
        return Response(s.ProtectedInstanceSerializer(assignment).data, status=status.HTTP_201_CREATED)


class ProtectedInstanceDetail(ServiceView):
    serializer_class = s.ProtectedInstanceSerializer

    @extend_schema(responses={200: s.ProtectedInstanceSerializer, **READ_ERRORS})
    def get(self, request: Request, instance_id: str) -> Response:
        return Response(s.ProtectedInstanceSerializer(assignments.get_assignment(self.caller, instance_id)).data)

    @extend_schema(responses={204: None, **WRITE_ERRORS})
    def delete(self, request: Request, instance_id: str) -> Response:
        assignments.unprotect(self.caller, instance_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BackupCreate(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(request=s.BackupSerializer, responses={202: s.JobSerializer, **WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        data = self.parse(s.BackupSerializer)
        job = jobs.create_backup(self.caller, data["instance_id"], data.get("strategy"))
        self.wake_dispatcher()
        return Response(self.shown(s.JobSerializer, job), status=status.HTTP_202_ACCEPTED)


class RestorePointList(ServiceView, generics.ListAPIView):
    serializer_class = s.RestorePointSerializer

    def get_queryset(self):
        query = self.request.query_params
        return list_filters.restore_points(restore_points.list_restore_points(
            self.caller, query.get("instance_id"), self.project_filter()), query)

    @extend_schema(parameters=[ALL_PROJECTS, PROJECT_FILTER, OpenApiParameter("instance_id", OpenApiTypes.STR),
                               *FILTERS["restore_points"]],
                   responses={200: s.RestorePointSerializer(many=True), **_errors(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RestorePointDetail(ServiceView):
    serializer_class = s.RestorePointSerializer

    @extend_schema(responses={200: s.RestorePointSerializer, **READ_ERRORS})
    def get(self, request: Request, restore_point_id: str) -> Response:
        point = restore_points.get_restore_point(self.caller, restore_point_id)
        return Response(s.RestorePointSerializer(point).data)

    @extend_schema(request=s.RestorePointLockSerializer, responses={200: s.RestorePointSerializer, **WRITE_ERRORS},
                   description="Set or extend the retention lock (WORM); it can never be shortened or removed. The "
                               "catalog holds it at once; a 'lock' job writes it into the repository.")
    def patch(self, request: Request, restore_point_id: str) -> Response:
        data = self.parse(s.RestorePointLockSerializer)
        point = restore_points.extend_lock(self.caller, restore_point_id, data["retention_lock_until"])
        self.wake_dispatcher()
        return Response(s.RestorePointSerializer(point).data)

    @extend_schema(responses={204: None, **WRITE_ERRORS},
                   description="Refused with 409 while the point is locked. The point leaves the catalog at once; a "
                               "'delete' job removes it from the repository (a vault-only point: no job, its vault "
                               "copy stays and can be recovered again).")
    def delete(self, request: Request, restore_point_id: str) -> Response:
        restore_points.delete_restore_point(self.caller, restore_point_id)
        self.wake_dispatcher()
        return Response(status=status.HTTP_204_NO_CONTENT)


class RestorePointRestore(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(request=s.RestoreSerializer, responses={202: s.JobSerializer, **WRITE_ERRORS})
    def post(self, request: Request, restore_point_id: str) -> Response:
        job = jobs.create_restore(self.caller, restore_point_id, self.parse(s.RestoreSerializer))
        self.wake_dispatcher()
        return Response(self.shown(s.JobSerializer, job), status=status.HTTP_202_ACCEPTED)


class RestorePointRevert(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(request=s.RevertSerializer, responses={202: s.JobSerializer, **WRITE_ERRORS},
                   description="Overwrite the original instance's volumes in place with the restore point (one data "
                               "volume, or the whole volume-backed instance); the server keeps its id, name, "
                               "addresses and volume ids. Needs confirm.")
    def post(self, request: Request, restore_point_id: str) -> Response:
        job = revert.create_revert(self.caller, restore_point_id, self.parse(s.RevertSerializer))
        self.wake_dispatcher()
        return Response(self.shown(s.JobSerializer, job), status=status.HTTP_202_ACCEPTED)


class RestorePointVerify(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(request=None, responses={202: s.JobSerializer, **WRITE_ERRORS},
                   description="Read every chunk of the restore point and check its keyed hash; writes nothing.")
    def post(self, request: Request, restore_point_id: str) -> Response:
        job = jobs.create_verify(self.caller, restore_point_id)
        self.wake_dispatcher()
        return Response(self.shown(s.JobSerializer, job), status=status.HTTP_202_ACCEPTED)


class JobList(ServiceView, generics.ListAPIView):
    serializer_class = s.JobSerializer

    def get_queryset(self):
        query = self.request.query_params
        return list_filters.jobs(jobs.list_jobs(self.caller, self.project_filter(), query.get("instance_id"),
                                                query.get("state")), query)

    @extend_schema(parameters=[ALL_PROJECTS, PROJECT_FILTER, OpenApiParameter("instance_id", OpenApiTypes.STR),
                               OpenApiParameter("state", OpenApiTypes.STR,
                                                enum=["queued", "running", "succeeded", "failed", "cancelled"]),
                               *FILTERS["jobs"]],
                   responses={200: s.JobSerializer(many=True), **_errors(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class JobDetail(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(responses={200: s.JobSerializer, **READ_ERRORS})
    def get(self, request: Request, job_id: str) -> Response:
        job = jobs.get_job(self.caller, job_id)
        try:
            job = tracking.refresh(job)  # fresh progress for a polling panel, between the worker's ticks
        except Exception as error:
            LOG.warning("could not refresh job %s: %s", job_id, error)
        return Response(self.shown(s.JobSerializer, job))


class JobCancel(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(request=None, responses={202: s.JobSerializer, **WRITE_ERRORS})
    def post(self, request: Request, job_id: str) -> Response:
        return Response(self.shown(s.JobSerializer, jobs.cancel(self.caller, job_id)), status=status.HTTP_202_ACCEPTED)


class DestinationList(ServiceView, generics.ListAPIView):
    serializer_class = s.DestinationSerializer

    def get_queryset(self):
        return destinations.list_destinations(self.caller)

    @extend_schema(parameters=[ALL_PROJECTS], responses={200: s.DestinationSerializer(many=True),
                                                         **_errors(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.DestinationWriteSerializer, responses={201: s.DestinationSerializer, **WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        destination = destinations.create_destination(self.caller, self.parse(s.DestinationWriteSerializer))
        return Response(self.shown(s.DestinationSerializer, destination), status=status.HTTP_201_CREATED)


class DestinationDetail(ServiceView):
    serializer_class = s.DestinationSerializer

    @extend_schema(responses={200: s.DestinationSerializer, **READ_ERRORS})
    def get(self, request: Request, destination_id: str) -> Response:
        return Response(self.shown(s.DestinationSerializer, destinations.get_destination(self.caller, destination_id)))


class DestinationPrune(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(request=None, responses={202: s.JobSerializer, **WRITE_ERRORS},
                   description="Admins: remove the data no restore point of the destination references any more, "
                               "now, on a data worker (409 while a prune of it is queued or running).")
    def post(self, request: Request, destination_id: str) -> Response:
        destination = destinations.get_destination(self.caller, destination_id)
        job = jobs.create_prune(self.caller, destination)
        self.wake_dispatcher()
        return Response(self.shown(s.JobSerializer, job), status=status.HTTP_202_ACCEPTED)


class DestinationRebuild(ServiceView):
    serializer_class = s.JobSerializer

    @extend_schema(request=s.RebuildSerializer, responses={202: s.JobSerializer, **WRITE_ERRORS},
                   description="Admins: rebuild the catalog's restore points of the destination from its repository "
                               "(a data worker lists them; the job's result says what changed).")
    def post(self, request: Request, destination_id: str) -> Response:
        options = self.parse(s.RebuildSerializer)
        destination = destinations.get_destination(self.caller, destination_id)
        job = jobs.create_rebuild(self.caller, destination, dry_run=options["dry_run"],
                                  remove_missing=options["remove_missing"])
        self.wake_dispatcher()
        return Response(self.shown(s.JobSerializer, job), status=status.HTTP_202_ACCEPTED)


class ProxyList(ServiceView, generics.ListAPIView):
    serializer_class = s.ProxySerializer

    def get_queryset(self):
        return proxies.list_proxies(self.caller)

    @extend_schema(responses={200: s.ProxySerializer(many=True), **_errors(400, 401, 403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class UsageList(ServiceView, generics.ListAPIView):
    serializer_class = s.UsageSerializer

    def get_queryset(self):
        return statistics.project_usage(self.caller, self.project_filter())

    @extend_schema(parameters=[PROJECT_FILTER], responses={200: s.UsageSerializer(many=True), **_errors(400, 401)},
                   description="Per project, the most stored first: protected instances, restore points, stored "
                               "bytes and quotas. Admins: every project's (or project_id's); others: their own.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class QuotaDetail(ServiceView):
    serializer_class = s.QuotaSerializer

    @extend_schema(responses={200: s.QuotaSerializer, **READ_ERRORS})
    def get(self, request: Request, project_id: str) -> Response:
        return Response(quotas.get_quota(self.caller, project_id))

    @extend_schema(request=s.QuotaSerializer, responses={200: s.QuotaSerializer, **WRITE_ERRORS},
                   description="Admins: set a project's limits (null = unlimited).")
    def put(self, request: Request, project_id: str) -> Response:
        return Response(quotas.set_quota(self.caller, project_id, self.parse(s.QuotaSerializer)))


class AuditEventList(ServiceView, generics.ListAPIView):
    serializer_class = s.AuditEventSerializer

    def get_queryset(self):
        return audit.list_events(self.caller, self.project_filter())

    @extend_schema(parameters=[ALL_PROJECTS, PROJECT_FILTER], responses={200: s.AuditEventSerializer(many=True),
                                                                         **_errors(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
