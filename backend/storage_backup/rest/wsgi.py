# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The REST API's WSGI application: Django wrapped in keystonemiddleware's ``auth_token``.

Serve it with any WSGI server (``storage_backup.rest.wsgi:application``), or ``python -m storage_backup.rest``.
"""
from __future__ import annotations

import logging
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storage_backup.settings")

from django.conf import settings
from django.core.wsgi import get_wsgi_application

LOG = logging.getLogger(__name__)
AUTH_OPTIONS = ("auth_url", "username", "password", "project_name", "user_domain_id", "project_domain_id",
                "user_domain_name", "project_domain_name")


def service_auth() -> dict:
    """The service account's password-auth options, from the settings or the named clouds.yaml entry."""
    config = settings.KEYSTONE
    if config.get("cloud"):
        import openstack.config

        auth = openstack.config.OpenStackConfig().get_one(config["cloud"]).config["auth"]
        return {key: auth[key] for key in AUTH_OPTIONS if auth.get(key)}
    return {key: config[key] for key in AUTH_OPTIONS if config.get(key)}


def middleware_conf() -> dict:
    auth = service_auth()
    conf = {
        "auth_type": "password", **auth,
        "www_authenticate_uri": auth.get("auth_url", ""),
        # Every request reaches Django, which answers 401 itself: the version and OpenAPI documents are public.
        "delay_auth_decision": True,
        "token_cache_time": settings.KEYSTONE["token_cache_seconds"],
        "include_service_catalog": False,
        "http_request_max_retries": 2,
        "log_name": "storage-backup-api",
    }
    if settings.KEYSTONE.get("memcached_servers"):
        conf["memcached_servers"] = settings.KEYSTONE["memcached_servers"]
    return conf


def build_application():
    from keystonemiddleware import auth_token

    django_app = get_wsgi_application()
    return auth_token.AuthProtocol(django_app, middleware_conf())


application = build_application()
