# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A small Python client of the storage backup REST API (``/v1``), over a keystoneauth1 session.

Used by the Horizon plugin's api layer, by automation and by the tests; it imports nothing of Django, Horizon or
the service::

    client = BackupClient(session, endpoint="http://127.0.0.1:8779")  # or found in the catalog
    policy = client.policy_create(name="nightly", destination_id=..., schedule="0 2 * * *")
    job = client.backup_create(instance_id)
    page = client.job_page(offset=20, limit=20, state="failed")   # one page and the count of the whole list
    every = client.restore_point_list(instance_id=instance_id)    # every page, followed for you

Lists come two ways: ``<noun>_list(..., limit=None)`` follows the pages and returns every item (up to ``limit``);
``<noun>_page(offset, limit, ...)`` returns one ``Page``. Both take the list's server-side filters as keywords.
Errors raise ``BackupApiError`` with the HTTP status, the error code, the field (for a 400) and the message.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import quote

from keystoneauth1 import session as ks_session

SERVICE_TYPE = "data-protection"
# The service answers at most 500 items a page; following the pages, this many a request.
ITERATE_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
# A file listing waits on the service for a data worker (STORAGE_BACKUP_FILE_BROWSE_WAIT, 60 s by default).
FILE_LIST_TIMEOUT = 90
DOWNLOAD_PIECE = 1024 * 1024


class BackupApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Page:
    """One page of a list: its items and where they sit in the whole, which the service counts."""

    items: list[dict]
    count: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.count

    @property
    def has_prev(self) -> bool:
        return self.offset > 0


def query(filters: dict | None) -> dict:
    """Query parameters of a list's filters: unset ones left out, ``True`` as ``1``."""
    params = {key: value for key, value in (filters or {}).items() if value not in (None, "", False)}
    return {key: (1 if value is True else value) for key, value in params.items()}


class BackupClient:
    def __init__(self, session: ks_session.Session, endpoint: str | None = None, interface: str = "public",
                 region_name: str | None = None, timeout: float = 30):
        self.session = session
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.interface = interface
        self.region_name = region_name
        self.timeout = timeout

    # -- plumbing ------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, json: Any = None, params: dict | None = None,
              timeout: float | None = None, **extra):
        if self.endpoint:
            url, target = self.endpoint + path, {}
        else:
            url, target = path, {"endpoint_filter": {"service_type": SERVICE_TYPE, "interface": self.interface,
                                                     "region_name": self.region_name}}
        response = self.session.request(url, method, json=json, params=params, raise_exc=False,
                                        timeout=timeout or self.timeout, **target, **extra)
        if response.status_code >= 400:
            try:
                error = response.json().get("error") or {}
            except ValueError:
                error = {}
            raise BackupApiError(response.status_code, error.get("code", "error"),
                                 error.get("message", response.text[:300]), error.get("field"))
        return response

    def request(self, method: str, path: str, json: Any = None, params: dict | None = None,
                timeout: float | None = None) -> Any:
        response = self._send(method, path, json, params, timeout)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:  # a proxy's error page in front of the service, with a 2xx status
            raise BackupApiError(502, "unreadable_answer",
                                 f"The backup service gave an answer that is not JSON: {error}") from error

    def page(self, path: str, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE, **filters) -> Page:
        """One page of the list at ``path``, narrowed by its filters (query parameters)."""
        offset = max(int(offset), 0)
        answer = self.request("GET", path, params={**query(filters), "offset": offset, "limit": limit})
        return Page(answer["results"], answer["count"], offset, limit)

    def iterate(self, path: str, limit: int | None = None, **filters) -> Iterator[dict]:
        """Every item of the list at ``path`` (following the pages), up to ``limit``."""
        offset, count = 0, 0
        while True:
            page = self.page(path, offset, ITERATE_PAGE_SIZE, **filters)
            for item in page.items:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return
            if not page.has_more or not page.items:
                return
            offset += len(page.items)

    def list_all(self, path: str, limit: int | None = None, **filters) -> list[dict]:
        return list(self.iterate(path, limit, **filters))

    # -- the API -------------------------------------------------------------------------------------------

    def version(self) -> dict:
        return self.request("GET", "/v1/")

    def openapi(self) -> dict:
        return self.request("GET", "/v1/openapi.json")

    # policies: filters name, shared, project_id (administrators, with all_projects)

    def policy_list(self, all_projects: bool = False, limit: int | None = None, **filters) -> list[dict]:
        return self.list_all("/v1/policies", limit, all_projects=all_projects, **filters)

    def policy_page(self, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE, all_projects: bool = False,
                    **filters) -> Page:
        return self.page("/v1/policies", offset, limit, all_projects=all_projects, **filters)

    def policy_get(self, policy_id: str) -> dict:
        return self.request("GET", f"/v1/policies/{policy_id}")

    def policy_create(self, **fields) -> dict:
        return self.request("POST", "/v1/policies", json=fields)

    def policy_update(self, policy_id: str, **fields) -> dict:
        return self.request("PATCH", f"/v1/policies/{policy_id}", json=fields)

    def policy_delete(self, policy_id: str) -> None:
        self.request("DELETE", f"/v1/policies/{policy_id}")

    def schedule_preview(self, schedule: str, timezone: str = "UTC", window_start: str | None = None,
                         window_end: str | None = None, count: int = 5) -> list[str]:
        params = query({"schedule": schedule, "timezone": timezone, "window_start": window_start,
                        "window_end": window_end, "count": count})
        return self.request("GET", "/v1/schedule-preview", params=params)["next_runs"]

    # protected instances: filters policy_id, project_id

    def protected_instance_list(self, all_projects: bool = False, policy_id: str | None = None,
                                limit: int | None = None, **filters) -> list[dict]:
        return self.list_all("/v1/protected-instances", limit, all_projects=all_projects, policy_id=policy_id,
                         **filters)

    def protected_instance_get(self, instance_id: str) -> dict:
        return self.request("GET", f"/v1/protected-instances/{instance_id}")

    def protect(self, instance_id: str, policy_id: str) -> dict:
        return self.request("POST", "/v1/protected-instances", json={"instance_id": instance_id,
                                                                     "policy_id": policy_id})

    def unprotect(self, instance_id: str) -> None:
        self.request("DELETE", f"/v1/protected-instances/{instance_id}")

    def instance_status(self, instance_ids: list[str]) -> list[dict]:
        """How each of these instances is protected (at most 200: a page of a table)."""
        if not instance_ids:
            return []
        return self.request("GET", "/v1/instance-status", params={"instance_id": list(instance_ids)})

    def backup_create(self, instance_id: str, strategy: str | None = None) -> dict:
        body = {"instance_id": instance_id}
        if strategy:
            body["strategy"] = strategy
        return self.request("POST", "/v1/backups", json=body)

    # restore points: filters instance_id, instance_name, strategy, locked, policy_id, project_id

    def restore_point_list(self, instance_id: str | None = None, all_projects: bool = False,
                           limit: int | None = None, **filters) -> list[dict]:
        return self.list_all("/v1/restore-points", limit, instance_id=instance_id, all_projects=all_projects,
                         **filters)

    def restore_point_page(self, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE, all_projects: bool = False,
                           **filters) -> Page:
        return self.page("/v1/restore-points", offset, limit, all_projects=all_projects, **filters)

    def restore_point_get(self, restore_point_id: str) -> dict:
        return self.request("GET", f"/v1/restore-points/{restore_point_id}")

    def restore_point_instance(self, restore_point_id: str) -> dict:
        """The instance as the restore point recorded it: flavor, NICs, volumes, image, boot source."""
        return self.request("GET", f"/v1/restore-points/{restore_point_id}/instance")

    def restore_point_delete(self, restore_point_id: str) -> None:
        self.request("DELETE", f"/v1/restore-points/{restore_point_id}")

    def restore_point_lock(self, restore_point_id: str, until: str | None) -> dict:
        return self.request("PATCH", f"/v1/restore-points/{restore_point_id}", json={"retention_lock_until": until})

    def restore(self, restore_point_id: str, **options) -> dict:
        return self.request("POST", f"/v1/restore-points/{restore_point_id}/restore", json=options)

    def revert(self, restore_point_id: str, *, volume_id: str | None = None, instance: bool = False,
               confirm=None, stop_server: bool = False) -> dict:
        """Overwrite the original volume (``volume_id``) or the whole instance (``instance=True``) in place;
        ``confirm``: True, or the name of what is overwritten typed back; ``stop_server`` (a volume only): the server
        is stopped while it is reverted. Sent only when true, so a service of an older release still takes the
        rest."""
        body = {"instance": instance, "confirm": confirm, **({"volume_id": volume_id} if volume_id else {}),
                **({"stop_server": True} if stop_server else {})}
        return self.request("POST", f"/v1/restore-points/{restore_point_id}/revert", json=body)

    def verify(self, restore_point_id: str) -> dict:
        return self.request("POST", f"/v1/restore-points/{restore_point_id}/verify")

    # vault copies whose restore point was deleted: filters instance_name, instance_id, state, in_catalog, project_id

    def vault_copy_list(self, all_projects: bool = False, limit: int | None = None, **filters) -> list[dict]:
        return self.list_all("/v1/vault-copies", limit, all_projects=all_projects, **filters)

    def vault_copy_page(self, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE, all_projects: bool = False,
                        **filters) -> Page:
        return self.page("/v1/vault-copies", offset, limit, all_projects=all_projects, **filters)

    def vault_copy_recover(self, copy_id: str) -> dict:
        """Put the copy's deleted restore point back into the catalog as a vault-only restore point."""
        return self.request("POST", f"/v1/vault-copies/{quote(copy_id, safe='')}/recover")

    # files inside a restore point's volume (file-level restore)

    @staticmethod
    def _files_path(restore_point_id: str, volume_id: str) -> str:
        return f"/v1/restore-points/{quote(restore_point_id, safe='')}/volumes/{quote(volume_id, safe='')}/files"

    def file_list(self, restore_point_id: str, volume_id: str, path: str = "/", search: str | None = None,
                  partition: int | None = None, limit: int | None = None) -> dict:
        """A directory's entries, or with ``search`` the entries below ``path`` whose names match it; the answer
        names the filesystem and the partitions (``entries``, ``truncated``, ``filesystem``, ``partitions``)."""
        return self.request("GET", self._files_path(restore_point_id, volume_id),
                            params=query({"path": path, "search": search, "partition": partition, "limit": limit}),
                            timeout=max(self.timeout, FILE_LIST_TIMEOUT))

    def file_download_start(self, restore_point_id: str, volume_id: str, path: str, format: str = "auto",
                            partition: int | None = None) -> dict:
        """A ``file_restore`` job; when it has succeeded, ``job_download`` fetches what it made."""
        body: dict[str, Any] = {"path": path, "format": format}
        if partition is not None:
            body["partition"] = partition
        return self.request("POST", self._files_path(restore_point_id, volume_id) + "/download", json=body)

    def job_download_stream(self, job_id: str) -> tuple[str, int | None, Iterator[bytes]]:
        """A succeeded file restore's download as it arrives: its file name, its size (when the service says it)
        and its bytes in pieces (read them all, or the connection stays open)."""
        response = self._send("GET", f"/v1/jobs/{quote(job_id, safe='')}/download", stream=True)
        match = re.search(r'filename="?([^";]+)"?', response.headers.get("Content-Disposition", ""))
        length = response.headers.get("Content-Length")
        return ((match.group(1) if match else "download"), int(length) if length and length.isdigit() else None,
                response.iter_content(DOWNLOAD_PIECE))

    def job_download(self, job_id: str, out: BinaryIO) -> tuple[str, int]:
        """Write a succeeded file restore's download to ``out``; returns its file name and size."""
        name, _, pieces = self.job_download_stream(job_id)
        written = 0
        for piece in pieces:
            out.write(piece)
            written += len(piece)
        return name, written

    def wait_file_restore(self, job: dict, wait: float = 600, poll: float = 0.5) -> dict:
        """Follow a file restore job until it has succeeded (at most ``wait`` seconds); one that fails or is still
        running then raises ``BackupApiError`` with its error."""
        deadline = time.monotonic() + wait
        while job["state"] in ("queued", "running"):
            if time.monotonic() > deadline:
                raise BackupApiError(504, "timeout", f"The download job {job['id']} did not finish within {wait:.0f} "
                                                     f"s; fetch it later with job_download.")
            time.sleep(poll)
            job = self.job_get(job["id"])
        if job["state"] != "succeeded":
            raise BackupApiError(409, "job_" + job["state"], job.get("error") or f"The download job {job['state']}.")
        return job

    def file_download(self, restore_point_id: str, volume_id: str, path: str, out: BinaryIO, format: str = "auto",
                      partition: int | None = None, wait: float = 600, poll: float = 0.5) -> tuple[str, int]:
        """Start a file restore, wait for it (at most ``wait`` seconds) and write its download to ``out``; a job
        that fails raises ``BackupApiError`` with its error."""
        job = self.wait_file_restore(self.file_download_start(restore_point_id, volume_id, path, format, partition),
                                     wait, poll)
        return self.job_download(job["id"], out)

    # jobs: filters instance_id, state, type, instance_name, active, project_id

    def job_list(self, instance_id: str | None = None, state: str | None = None, all_projects: bool = False,
                 limit: int | None = None, **filters) -> list[dict]:
        return self.list_all("/v1/jobs", limit, instance_id=instance_id, state=state, all_projects=all_projects,
                         **filters)

    def job_page(self, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE, all_projects: bool = False,
                 **filters) -> Page:
        return self.page("/v1/jobs", offset, limit, all_projects=all_projects, **filters)

    def job_get(self, job_id: str) -> dict:
        return self.request("GET", f"/v1/jobs/{job_id}")

    def job_cancel(self, job_id: str) -> dict:
        return self.request("POST", f"/v1/jobs/{job_id}/cancel")

    # destinations, proxies, usage, quotas, audit: the operators' side

    def destination_list(self, all_projects: bool = False) -> list[dict]:
        return self.list_all("/v1/destinations", all_projects=all_projects)

    def destination_get(self, destination_id: str) -> dict:
        return self.request("GET", f"/v1/destinations/{destination_id}")

    def destination_create(self, **fields) -> dict:
        return self.request("POST", "/v1/destinations", json=fields)

    def destination_update(self, destination_id: str, **fields) -> dict:
        return self.request("PATCH", f"/v1/destinations/{destination_id}", json=fields)

    def destination_delete(self, destination_id: str) -> None:
        self.request("DELETE", f"/v1/destinations/{destination_id}")

    def destination_prune(self, destination_id: str) -> dict:
        """Admins: a prune job of the destination (the space of deleted restore points comes back)."""
        return self.request("POST", f"/v1/destinations/{destination_id}/prune")

    def destination_rebuild(self, destination_id: str, dry_run: bool = False, remove_missing: bool = True) -> dict:
        """Admins: a job that rebuilds the catalog's restore points of the destination from its repository."""
        return self.request("POST", f"/v1/destinations/{destination_id}/rebuild",
                            json={"dry_run": dry_run, "remove_missing": remove_missing})

    def destination_usage(self) -> list[dict]:
        return self.request("GET", "/v1/destination-usage")

    def proxy_list(self) -> list[dict]:
        """Every proxy worker, with the jobs it runs (``running_jobs``) and those waiting in its availability
        zone (``queue_depth``), as the service counts them."""
        return self.list_all("/v1/proxies")

    def usage(self, project_id: str | None = None) -> list[dict]:
        """Per project: protected instances, restore points and stored bytes (the most stored first)."""
        return self.list_all("/v1/usage", project_id=project_id)

    def usage_page(self, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE, project_id: str | None = None) -> Page:
        return self.page("/v1/usage", offset, limit, project_id=project_id)

    def quota_get(self, project_id: str) -> dict:
        return self.request("GET", f"/v1/quotas/{project_id}")

    def quota_set(self, project_id: str, **limits) -> dict:
        return self.request("PUT", f"/v1/quotas/{project_id}", json=limits)

    def webhook_list(self, all_projects: bool = False) -> list[dict]:
        return self.list_all("/v1/webhooks", all_projects=all_projects)

    def webhook_get(self, webhook_id: str) -> dict:
        return self.request("GET", f"/v1/webhooks/{webhook_id}")

    def webhook_create(self, url: str, description: str = "", enabled: bool = True,
                       events: list[str] | None = None) -> dict:
        """The new hook with its signing ``secret``: the one answer that holds it. ``events``: the event types it
        wants (``backup.error``, ``*.error``, ``restore.*`` …); none or empty, every event."""
        body: dict = {"url": url, "description": description, "enabled": enabled}
        if events is not None:  # left out, a service from before the filter takes the hook too
            body["events"] = list(events)
        return self.request("POST", "/v1/webhooks", json=body)

    def webhook_update(self, webhook_id: str, **fields) -> dict:
        return self.request("PATCH", f"/v1/webhooks/{webhook_id}", json=fields)

    def webhook_new_secret(self, webhook_id: str) -> dict:
        """The webhook with a new signing ``secret`` (the old one signs nothing from now on), shown this once."""
        return self.request("POST", f"/v1/webhooks/{webhook_id}/secret")

    def webhook_delete(self, webhook_id: str) -> None:
        self.request("DELETE", f"/v1/webhooks/{webhook_id}")

    def audit_events(self, all_projects: bool = False, limit: int | None = None) -> list[dict]:
        return self.list_all("/v1/audit-events", limit, all_projects=all_projects)

    def overview(self, days: int = 7) -> dict:
        return self.request("GET", "/v1/overview", params={"days": days})
