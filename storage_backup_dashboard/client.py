# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A small Python client of the storage backup REST API (``/v1``), over a keystoneauth1 session.

Used by the tests and by the Horizon plugin's api layer::

    client = BackupClient(session, endpoint="http://127.0.0.1:8779")  # or found in the catalog
    policy = client.policy_create(name="nightly", destination_id=..., schedule="0 2 * * *")
    job = client.backup_create(instance_id)

Errors raise ``BackupApiError`` with the HTTP status, the error code, the field (for a 400) and the message.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from keystoneauth1 import session as ks_session

SERVICE_TYPE = "data-protection"


class BackupApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class BackupClient:
    def __init__(self, session: ks_session.Session, endpoint: str | None = None, interface: str = "public",
                 region_name: str | None = None, timeout: float = 30):
        self.session = session
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.interface = interface
        self.region_name = region_name
        self.timeout = timeout

    # -- plumbing ------------------------------------------------------------------------------------------

    def _url(self, path: str) -> dict:
        if self.endpoint:
            return {"url": self.endpoint + path}
        return {"url": path, "endpoint_filter": {"service_type": SERVICE_TYPE, "interface": self.interface,
                                                 "region_name": self.region_name}}

    def request(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        target = self._url(path)
        response = self.session.request(target.pop("url"), method, json=json, params=params, raise_exc=False,
                                        timeout=self.timeout, **target)
        if response.status_code >= 400:
            try:
                error = response.json().get("error") or {}
            except ValueError:
                error = {}
            raise BackupApiError(response.status_code, error.get("code", "error"),
                                 error.get("message", response.text[:300]), error.get("field"))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _list(self, path: str, params: dict | None = None, limit: int | None = None) -> list[dict]:
        return list(self.iterate(path, params, limit))

    def iterate(self, path: str, params: dict | None = None, limit: int | None = None) -> Iterator[dict]:
        """Every item of a paginated list (following ``next``), up to ``limit``."""
        params = {key: value for key, value in (params or {}).items() if value not in (None, "", False)}
        params = {key: (1 if value is True else value) for key, value in params.items()}
        offset, count = 0, 0
        while True:
            page = self.request("GET", path, params={**params, "offset": offset, "limit": 200})
            for item in page["results"]:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return
            if not page.get("next") or not page["results"]:
                return
            offset += len(page["results"])

    # -- API -------------------------------------------------------------------------------------------------

    def version(self) -> dict:
        return self.request("GET", "/v1/")

    def openapi(self) -> dict:
        return self.request("GET", "/v1/openapi.json")

    def policy_list(self, all_projects: bool = False) -> list[dict]:
        return self._list("/v1/policies", {"all_projects": all_projects})

    def policy_get(self, policy_id: str) -> dict:
        return self.request("GET", f"/v1/policies/{policy_id}")

    def policy_create(self, **fields) -> dict:
        return self.request("POST", "/v1/policies", json=fields)

    def policy_update(self, policy_id: str, **fields) -> dict:
        return self.request("PATCH", f"/v1/policies/{policy_id}", json=fields)

    def policy_delete(self, policy_id: str) -> None:
        self.request("DELETE", f"/v1/policies/{policy_id}")

    def protected_instance_list(self, all_projects: bool = False, policy_id: str | None = None) -> list[dict]:
        return self._list("/v1/protected-instances", {"all_projects": all_projects, "policy_id": policy_id})

    def protected_instance_get(self, instance_id: str) -> dict:
        return self.request("GET", f"/v1/protected-instances/{instance_id}")

    def protect(self, instance_id: str, policy_id: str) -> dict:
        return self.request("POST", "/v1/protected-instances", json={"instance_id": instance_id,
                                                                     "policy_id": policy_id})

    def unprotect(self, instance_id: str) -> None:
        self.request("DELETE", f"/v1/protected-instances/{instance_id}")

    def backup_create(self, instance_id: str, strategy: str | None = None) -> dict:
        body = {"instance_id": instance_id}
        if strategy:
            body["strategy"] = strategy
        return self.request("POST", "/v1/backups", json=body)

    def restore_point_list(self, instance_id: str | None = None, all_projects: bool = False) -> list[dict]:
        return self._list("/v1/restore-points", {"instance_id": instance_id, "all_projects": all_projects})

    def restore_point_get(self, restore_point_id: str) -> dict:
        return self.request("GET", f"/v1/restore-points/{restore_point_id}")

    def restore_point_delete(self, restore_point_id: str) -> None:
        self.request("DELETE", f"/v1/restore-points/{restore_point_id}")

    def restore_point_lock(self, restore_point_id: str, until: str | None) -> dict:
        return self.request("PATCH", f"/v1/restore-points/{restore_point_id}", json={"retention_lock_until": until})

    def restore(self, restore_point_id: str, **options) -> dict:
        return self.request("POST", f"/v1/restore-points/{restore_point_id}/restore", json=options)

    def verify(self, restore_point_id: str) -> dict:
        return self.request("POST", f"/v1/restore-points/{restore_point_id}/verify")

    def job_list(self, instance_id: str | None = None, state: str | None = None,
                 all_projects: bool = False) -> list[dict]:
        return self._list("/v1/jobs", {"instance_id": instance_id, "state": state, "all_projects": all_projects})

    def job_get(self, job_id: str) -> dict:
        return self.request("GET", f"/v1/jobs/{job_id}")

    def job_cancel(self, job_id: str) -> dict:
        return self.request("POST", f"/v1/jobs/{job_id}/cancel")

    def destination_list(self) -> list[dict]:
        return self._list("/v1/destinations")

    def destination_create(self, **fields) -> dict:
        return self.request("POST", "/v1/destinations", json=fields)

    def proxy_list(self) -> list[dict]:
        return self._list("/v1/proxies")

    def usage(self, project_id: str | None = None) -> list[dict]:
        return self._list("/v1/usage", {"project_id": project_id})

    def quota_get(self, project_id: str) -> dict:
        return self.request("GET", f"/v1/quotas/{project_id}")

    def quota_set(self, project_id: str, **limits) -> dict:
        return self.request("PUT", f"/v1/quotas/{project_id}", json=limits)

    def audit_events(self, all_projects: bool = False, limit: int | None = None) -> list[dict]:
        return self._list("/v1/audit-events", {"all_projects": all_projects}, limit)

    # -- what the Horizon panels use besides ----------------------------------------------------------------

    def page(self, path: str, params: dict | None = None, limit: int = 20, offset: int = 0) -> dict:
        """One page of a list: ``{"count", "next", "previous", "results"}`` (filters as query parameters)."""
        params = {key: value for key, value in (params or {}).items() if value not in (None, "", False)}
        params = {key: (1 if value is True else value) for key, value in params.items()}
        return self.request("GET", path, params={**params, "limit": limit, "offset": offset})

    def instance_status(self, instance_ids: list[str]) -> list[dict]:
        if not instance_ids:
            return []
        return self.request("GET", "/v1/instance-status", params={"instance_id": list(instance_ids)})

    def schedule_preview(self, schedule: str, timezone: str = "UTC", window_start: str | None = None,
                         window_end: str | None = None, count: int = 5) -> list[str]:
        params = {"schedule": schedule, "timezone": timezone, "window_start": window_start,
                  "window_end": window_end, "count": count}
        answer = self.request("GET", "/v1/schedule-preview", params={k: v for k, v in params.items() if v})
        return answer["next_runs"]

    def restore_point_instance(self, restore_point_id: str) -> dict:
        return self.request("GET", f"/v1/restore-points/{restore_point_id}/instance")

    def overview(self, days: int = 7) -> dict:
        return self.request("GET", "/v1/overview", params={"days": days})

    def destination_get(self, destination_id: str) -> dict:
        return self.request("GET", f"/v1/destinations/{destination_id}")

    def destination_update(self, destination_id: str, **fields) -> dict:
        return self.request("PATCH", f"/v1/destinations/{destination_id}", json=fields)

    def destination_usage(self) -> list[dict]:
        return self.request("GET", "/v1/destination-usage")
