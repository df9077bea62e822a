# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The vault worker's endpoints: ``GET /v1/vault/work``, ``POST /v1/vault/copies``, ``POST /v1/vault/grants``.

Only the dedicated ``backup_vault`` role reaches them (rules ``storage_backup:vault:*``); the service layer is
``storage_backup.services.vault``. The vault worker calls these; the control plane never calls the vault.

And the tenants' own: ``GET /v1/vault-copies`` (their vault copies whose restore point was deleted) and ``POST
/v1/vault-copies/{id}/recover`` (rules ``storage_backup:vault_copy:*``, ``storage_backup.services.vault_recovery``).
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from storage_backup.rest import serializers as s
from storage_backup.rest.views import ALL_PROJECTS, PROJECT_FILTER, WRITE_ERRORS, ServiceView, _errors
from storage_backup.services import list_filters, vault, vault_health, vault_recovery

#: What the vault worker says of itself at each look for work, recorded as its sign of life (services/vault_health).
WORKER_SAYS = [
    OpenApiParameter("window", OpenApiTypes.STR, description="Its copy window, HH:MM-HH:MM (empty: any time)."),
    OpenApiParameter("timezone", OpenApiTypes.STR, description="The window's IANA time zone."),
    OpenApiParameter("interval", OpenApiTypes.NUMBER, description="Seconds between two looks for work."),
]


class VaultWork(ServiceView):
    serializer_class = s.VaultWorkSerializer

    @extend_schema(parameters=[OpenApiParameter("vault", OpenApiTypes.STR, required=True,
                                                description="The vault destination's id."),
                               *WORKER_SAYS],
                   responses={200: s.VaultWorkSerializer, **_errors(401, 403, 404)},
                   description="The vault worker (role backup_vault): what to copy into this vault, oldest first, "
                               "and the restores waiting for its read-only grant.")
    def get(self, request: Request) -> Response:
        work = vault.work(self.caller, request.query_params.get("vault") or "")
        _asked(work["vault_id"], request)
        return Response(work)


def _asked(vault_id: str, request: Request) -> None:
    """The vault worker asked (authorized, its vault found): its sign of life, with the window it says it keeps."""
    params = request.query_params
    vault_health.seen(vault_id, asked=True, window=params.get("window"), zone=params.get("timezone"),
                      interval=params.get("interval"))


class VaultCopies(ServiceView):
    serializer_class = s.VaultCopySerializer

    @extend_schema(request=s.VaultCopyReportSerializer, responses={200: s.VaultCopySerializer, **WRITE_ERRORS},
                   description="The vault worker reports a copy: copying (an attempt starts), copied (with its "
                               "counts) or failed (with its error).")
    def post(self, request: Request) -> Response:
        copy = vault.report_copy(self.caller, self.parse(s.VaultCopyReportSerializer))
        vault_health.seen(copy.vault_id, reported=True)  # a long copying round asks for no work: this counts
        return Response(s.VaultCopySerializer(copy).data)


class VaultGrants(ServiceView):
    serializer_class = s.VaultGrantSerializer

    @extend_schema(request=s.VaultGrantPostSerializer, responses={201: s.VaultGrantSerializer, **WRITE_ERRORS},
                   description="The vault worker posts a restore's time-limited read-only grant (pre-signed URLs); "
                               "kept sealed until the restore ends, then deleted.")
    def post(self, request: Request) -> Response:
        data = self.parse(s.VaultGrantPostSerializer)
        grant = vault.post_grant(self.caller, data["grant_id"], data.get("vault_id") or "", data["grant"])
        self.wake_dispatcher()
        return Response(s.VaultGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


# -- a project's vault copies whose restore point was deleted (storage_backup.services.vault_recovery) ------------

class OrphanedVaultCopyList(ServiceView, generics.ListAPIView):
    serializer_class = s.OrphanedVaultCopySerializer

    def get_queryset(self):
        return list_filters.orphaned_vault_copies(
            vault_recovery.list_orphaned_copies(self.caller, self.project_filter()), self.request.query_params)

    @extend_schema(parameters=[ALL_PROJECTS, PROJECT_FILTER,
                               OpenApiParameter("instance_name", OpenApiTypes.STR, description="Part of it, any case."),
                               OpenApiParameter("instance_id", OpenApiTypes.STR),
                               OpenApiParameter("state", OpenApiTypes.STR,
                                                enum=["queued", "copying", "copied", "failed"]),
                               OpenApiParameter("in_catalog", OpenApiTypes.BOOL,
                                                description="Recovered already (true) or not (false).")],
                   responses={200: s.OrphanedVaultCopySerializer(many=True), **_errors(400, 401)},
                   description="The project's vault copies whose restore point was deleted from the catalog (by "
                               "a person, retention or a catalog rebuild), newest restore point first.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OrphanedVaultCopyRecover(ServiceView):
    serializer_class = s.RestorePointSerializer

    @extend_schema(request=None, responses={201: s.RestorePointSerializer, **WRITE_ERRORS},
                   description="Put the deleted restore point back into the catalog (same id) as a vault-only "
                               "restore point, restored from the vault only. 409 when the copy is not complete, the "
                               "restore point is in the catalog, or its primary destination (whose repository "
                               "secret the vault copy shares) was deleted.")
    def post(self, request: Request, copy_id: str) -> Response:
        point = vault_recovery.recover(self.caller, copy_id)
        return Response(s.RestorePointSerializer(point).data, status=status.HTTP_201_CREATED)
