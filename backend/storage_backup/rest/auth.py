# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Keystone token authentication.

keystonemiddleware's ``auth_token`` wraps the WSGI application (``storage_backup.rest.wsgi``): it validates
``X-Auth-Token`` against Keystone with the service account and caches the answer. With ``delay_auth_decision`` it
lets every request through and leaves its verdict in the WSGI environ (``keystone.token_auth``, which no client
header can forge); this class turns that into the service layer's ``Caller``, and DRF answers 401 when there is
none. The version document and the OpenAPI document are the only public views.
"""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from storage_backup.services.context import Caller

TOKEN_AUTH_KEY = "keystone.token_auth"


class ApiUser:
    """What DRF keeps in ``request.user``: the authenticated caller."""

    is_authenticated = True

    def __init__(self, caller: Caller):
        self.caller = caller

    def __str__(self) -> str:
        return self.caller.user_name or self.caller.user_id


class KeystoneAuthentication(BaseAuthentication):
    def authenticate(self, request):
        plugin = request._request.META.get(TOKEN_AUTH_KEY)
        if plugin is None or not getattr(plugin, "has_user_token", False):
            return None
        access = plugin.user
        if not access.project_id:
            return None  # only project-scoped tokens may use the API: every object belongs to a project
        caller = Caller(user_id=access.user_id, project_id=access.project_id,
                        roles=frozenset(name.lower() for name in access.role_names),
                        user_name=access.username or "", project_name=access.project_name or "")
        return ApiUser(caller), None

    def authenticate_header(self, request) -> str:
        return f'Keystone uri="{settings.KEYSTONE.get("auth_url", "")}"'


class KeystoneAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the authentication: a Keystone token in ``X-Auth-Token``."""

    target_class = KeystoneAuthentication
    name = "keystone"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                "description": "A project-scoped Keystone token (openstack token issue)."}
