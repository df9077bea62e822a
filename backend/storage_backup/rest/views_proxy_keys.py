# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Enrolled worker keys (administrators): ``GET /v1/proxy-keys``, ``GET|POST /v1/proxies/{name}/keys``,
``DELETE /v1/proxies/{name}/keys/{key_id}`` (revoke). Task secrets are sealed to these keys (docs/TASKS.md "Sealed
secrets"); the rules are ``storage_backup:proxy_key:*`` and the service layer is ``storage_backup.services.proxy_keys``.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from storage_backup.rest.serializers import StrictSerializer
from storage_backup.rest.views import WRITE_ERRORS, ServiceView, _errors
from storage_backup.services import proxy_keys


class ProxyKeySerializer(serializers.Serializer):
    key_id = serializers.CharField(help_text="The key's fingerprint: what a worker's failure and log name.")
    proxy_name = serializers.CharField()
    queue = serializers.CharField(help_text="proxy.<availability zone> or data")
    public_key = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_blank=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_by = serializers.CharField(allow_blank=True)
    status = serializers.SerializerMethodField()

    def get_status(self, key) -> str:
        return "revoked" if key.revoked_at else "active"


class ProxyKeyEnrolSerializer(StrictSerializer):
    public_key = serializers.CharField(max_length=128, help_text="x25519:<base64>, as storage-backup proxy-key show "
                                                                 "prints it on the worker's host.")
    queue = serializers.CharField(max_length=255, help_text="The queue the worker serves: proxy.<az> or data.")


class ProxyKeyList(ServiceView, generics.ListAPIView):
    serializer_class = ProxyKeySerializer

    def get_queryset(self):
        return proxy_keys.list_keys(self.caller)

    @extend_schema(responses={200: ProxyKeySerializer(many=True), **_errors(400, 401, 403)},
                   description="Admins: every enrolled worker key, revoked ones included.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProxyKeysOfProxy(ServiceView, generics.ListAPIView):
    serializer_class = ProxyKeySerializer

    def get_queryset(self):
        return proxy_keys.list_keys(self.caller, self.kwargs["name"])

    @extend_schema(responses={200: ProxyKeySerializer(many=True), **_errors(400, 401, 403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ProxyKeyEnrolSerializer, responses={201: ProxyKeySerializer, **WRITE_ERRORS},
                   description="Admins: trust a worker's public key for its queue; the secrets of that queue's tasks "
                               "are sealed to it from the next dispatch on. A key is trusted only this way, never "
                               "because a worker sent it.")
    def post(self, request: Request, name: str) -> Response:
        data = self.parse(ProxyKeyEnrolSerializer)
        key = proxy_keys.enrol(self.caller, name, data["queue"], data["public_key"])
        return Response(ProxyKeySerializer(key).data, status=status.HTTP_201_CREATED)


class ProxyKeyDetail(ServiceView):
    serializer_class = ProxyKeySerializer

    @extend_schema(request=None, responses={204: None, **WRITE_ERRORS},
                   description="Admins: revoke the key; no task is sealed to it any more (it stays listed).")
    def delete(self, request: Request, name: str, key_id: str) -> Response:
        proxy_keys.revoke(self.caller, name, key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
