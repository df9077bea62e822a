# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Keystone sessions of the backup service account: the service session, and project-scoped ones for restores.

The account comes from ``clouds.yaml`` (``OS_CLIENT_CONFIG_FILE`` + ``OS_CLOUD``, the way the ``openstack`` CLI
finds it) or from ``OS_*`` environment variables. It is typically admin in the ``service`` project (to snapshot,
attach and clean up any project's volumes) and ``member`` in the projects it restores into: a restored volume or
server must belong to the tenant's project, so it is created with a token scoped to that project.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass

from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from .errors import ConfigurationError

DEFAULT_TIMEOUT = 60.0  # seconds for one HTTP request (connect + read); waits have their own timeouts
PROJECT_KEYS = ("project_id", "project_name", "project_domain_id", "project_domain_name", "tenant_id",
                "tenant_name", "domain_id", "domain_name", "system_scope")


@dataclass
class CloudConfig:
    """Where and as whom to log in: the auth plugin's options plus region, interface and TLS settings."""

    auth_type: str
    auth: dict
    region_name: str | None = None
    interface: str = "public"
    verify: bool | str = True
    cert: str | tuple | None = None
    timeout: float = DEFAULT_TIMEOUT
    name: str = ""

    @classmethod
    def load(cls, cloud: str | None = None, clouds_yaml: str | None = None,
             timeout: float = DEFAULT_TIMEOUT) -> CloudConfig:
        """A ``clouds.yaml`` entry (``clouds_yaml`` or the standard locations), or the ``OS_*`` variables."""
        import openstack.config

        if clouds_yaml and not os.path.exists(clouds_yaml):
            raise ConfigurationError(f"{clouds_yaml} does not exist: set OS_CLIENT_CONFIG_FILE to the clouds.yaml "
                                     "that holds the backup service account")
        try:
            # With an explicit file, the process environment must not win: openstacksdk otherwise puts
            # $OS_CLIENT_CONFIG_FILE first, and a process serving two clouds (the tests do) reads the wrong one.
            loader = openstack.config.OpenStackConfig(config_files=[clouds_yaml] if clouds_yaml else None,
                                                      load_envvars=not clouds_yaml)
            region = loader.get_one(cloud=cloud or None)
        except Exception as error:  # openstack.config raises its own exception types for every mistake
            raise ConfigurationError(f"cannot load the cloud {cloud or '(from OS_* variables)'}"
                                     f"{' from ' + clouds_yaml if clouds_yaml else ''}: {error}") from None
        config = region.config
        auth = {key: value for key, value in (config.get("auth") or {}).items() if value not in (None, "")}
        if not auth.get("auth_url"):
            raise ConfigurationError(f"the cloud {cloud or '(OS_* variables)'} has no auth_url: set OS_CLOUD and "
                                     "OS_CLIENT_CONFIG_FILE, or OS_AUTH_URL and the other OS_* variables")
        verify = config.get("verify", True)
        if config.get("cacert") and verify:
            verify = config["cacert"]
        cert = config.get("cert")
        if cert and config.get("key"):
            cert = (cert, config["key"])
        return cls(auth_type=config.get("auth_type") or "password", auth=auth,
                   region_name=config.get("region_name") or None, interface=config.get("interface") or "public",
                   verify=verify, cert=cert, timeout=timeout, name=cloud or "")

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> CloudConfig:
        """``OS_CLOUD`` (or ``STORAGE_BACKUP_CLOUD``) from ``OS_CLIENT_CONFIG_FILE``, else plain ``OS_*``."""
        env = os.environ if environ is None else environ
        cloud = env.get("OS_CLOUD") or env.get("STORAGE_BACKUP_CLOUD") or None
        clouds_yaml = env.get("OS_CLIENT_CONFIG_FILE") or None
        timeout = float(env.get("STORAGE_BACKUP_HTTP_TIMEOUT") or DEFAULT_TIMEOUT)
        return cls.load(cloud, clouds_yaml, timeout=timeout)

    def _plugin(self, auth: dict):
        try:
            loader = ks_loading.get_plugin_loader(self.auth_type)
            return loader.load_from_options(**auth)
        except Exception as error:
            raise ConfigurationError(f"the credentials of cloud {self.name or '(OS_*)'} are incomplete for auth "
                                     f"type {self.auth_type}: {error}") from None

    def _session(self, plugin) -> ks_session.Session:
        return ks_session.Session(auth=plugin, verify=self.verify, cert=self.cert, timeout=self.timeout,
                                  app_name="storage-backup")

    def session(self) -> ks_session.Session:
        """A session as configured (the service account in its own project)."""
        return self._session(self._plugin(dict(self.auth)))

    def project_session(self, project_id: str, base: ks_session.Session | None = None) -> ks_session.Session:
        """The same account scoped to ``project_id`` (it needs a role there, e.g. ``member``).

        Password-type credentials log in again with the new scope; others (tokens) are rescoped from ``base``.
        Application credentials are bound to one project and cannot be rescoped: say so.
        """
        if self.auth_type in ("password", "v3password"):
            auth = {key: value for key, value in copy.deepcopy(self.auth).items() if key not in PROJECT_KEYS}
            auth["project_id"] = project_id
            return self._session(self._plugin(auth))
        if "applicationcredential" in self.auth_type:
            raise ConfigurationError("the backup service account logs in with an application credential, which is "
                                     f"bound to one project; it cannot act in project {project_id}. Give it a "
                                     "password, or a role in that project through a password account.")
        if base is None:
            base = self.session()
        token = base.get_token()
        plugin = v3.Token(auth_url=self.auth["auth_url"], token=token, project_id=project_id)
        return self._session(plugin)
