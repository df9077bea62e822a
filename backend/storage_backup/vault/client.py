# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The vault worker's door to the REST API: a keystoneauth session with its own narrow credential (an application
credential of a user holding only ``backup_vault``), the way every OpenStack client authenticates; three calls."""
from __future__ import annotations

from keystoneauth1 import loading, session

from .config import VaultConfig


class VaultApiError(RuntimeError):
    """The API refused a call or could not be reached; the message says which and why."""


def keystone_session(config: VaultConfig) -> session.Session:
    options = dict(config.keystone)
    auth_type = options.pop("auth_type", "v3applicationcredential")
    try:
        loader = loading.get_plugin_loader(auth_type)
        known = {option.dest for option in loader.get_options()}
        auth = loader.load_from_options(**{key.replace("-", "_"): value for key, value in options.items()
                                           if key.replace("-", "_") in known})
    except Exception as error:  # keystoneauth names the missing option
        raise VaultApiError(f"[keystone] of the vault worker's config: {error}") from None
    return session.Session(auth=auth, verify=config.ca_file or True, timeout=config.timeout,
                           app_name="storage-backup-vault-worker")


class VaultApi:
    def __init__(self, config: VaultConfig, keystone: session.Session | None = None):
        self.config = config
        self.session = keystone or keystone_session(config)

    def _call(self, method: str, path: str, **kwargs) -> dict:
        url = self.config.api_url + path
        try:
            response = self.session.request(url, method, raise_exc=False, **kwargs)
        except Exception as error:
            raise VaultApiError(f"{method} {url}: {error}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("error", {}).get("message") or response.text
            except ValueError:
                detail = response.text
            raise VaultApiError(f"{method} {path}: {response.status_code} {detail[:500]}")
        return response.json() if response.content else {}

    def work(self) -> dict:
        # The window and interval go along so that the control plane can tell a copy waiting for the window from a
        # worker that stopped (services/vault_health.py); an API of before ignores them.
        window = self.config.window
        return self._call("GET", "/v1/vault/work", params={
            "vault": self.config.vault_id, "timezone": window.timezone, "interval": f"{self.config.interval:g}",
            "window": f"{window.start:%H:%M}-{window.end:%H:%M}" if window.start is not None else ""})

    def report(self, copy_id: str, state: str, **figures) -> dict:
        return self._call("POST", "/v1/vault/copies", json={"copy_id": copy_id, "vault_id": self.config.vault_id,
                                                             "state": state, **figures})

    def grant(self, grant_id: str, grant: dict) -> dict:
        return self._call("POST", "/v1/vault/grants", json={"grant_id": grant_id, "vault_id": self.config.vault_id,
                                                            "grant": grant})
