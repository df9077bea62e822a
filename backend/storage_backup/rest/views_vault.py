# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The vault worker's endpoints: ``GET /v1/vault/work``, ``POST /v1/vault/copies``, ``POST /v1/vault/grants``.

Only the dedicated ``backup_vault`` role reaches them (rules ``storage_backup:vault:*``); the service layer is
``storage_backup.services.vault``. The vault worker calls these; the control plane never calls the vault.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from storage_backup.rest import serializers as s
from storage_backup.rest.views import WRITE_ERRORS, ServiceView, _errors
from storage_backup.services import vault


class VaultWork(ServiceView):
    serializer_class = s.VaultWorkSerializer

    @extend_schema(parameters=[OpenApiParameter("vault", OpenApiTypes.STR, required=True,
                                                description="The vault destination's id.")],
                   responses={200: s.VaultWorkSerializer, **_errors(401, 403, 404)},
                   description="The vault worker (role backup_vault): what to copy into this vault, oldest first, "
                               "and the restores waiting for its read-only grant.")
    def get(self, request: Request) -> Response:
        return Response(vault.work(self.caller, request.query_params.get("vault") or ""))


class VaultCopies(ServiceView):
    serializer_class = s.VaultCopySerializer

    @extend_schema(request=s.VaultCopyReportSerializer, responses={200: s.VaultCopySerializer, **WRITE_ERRORS},
                   description="The vault worker reports a copy: copying (an attempt starts), copied (with its "
                               "counts) or failed (with its error).")
    def post(self, request: Request) -> Response:
        copy = vault.report_copy(self.caller, self.parse(s.VaultCopyReportSerializer))
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
