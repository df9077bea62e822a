"""The sweeper: find temporary snapshots, volumes, images and attachments that dead jobs left behind, by the
job tag of docs/TASKS.md (metadata ``storage_backup_job`` / name ``storage-backup-<job id>-…``), and remove them
in order: detach → delete volume → delete snapshot / image.

A job is dead when the catalog does not list it as queued or running. Resources younger than the grace period
are left alone, so a job that the catalog has not recorded yet is never swept from under a proxy.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backend.catalog.models import ACTIVE_JOB_STATES, Job
from backend.services import audit, cloud
from backend.services.context import SYSTEM

LOG = logging.getLogger(__name__)
TAG = "storage_backup_job"
NAME_PATTERN = re.compile(r"^storage-backup-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
WAIT_SECONDS = 120
TRANSITIONAL = {"creating", "attaching", "detaching", "deleting", "backing-up", "restoring-backup", "downloading",
                "uploading", "extending", "reserved"}


@dataclass
class SweepReport:
    detached: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def job_of(resource: dict, metadata_key: str = "metadata") -> str | None:
    metadata = resource.get(metadata_key) or {}
    if metadata.get(TAG):
        return metadata[TAG]
    if resource.get(TAG):  # Glance keeps properties at the top level of the image
        return resource[TAG]
    match = NAME_PATTERN.match(resource.get("name") or "")
    return match.group(1) if match else None


def _old_enough(resource: dict, grace: dt.timedelta, now: dt.datetime) -> bool:
    created = parse_datetime(resource.get("created_at") or "")
    if created is None:
        return True
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    return now - created >= grace


def _list(service_type: str, path: str, key: str) -> list[dict]:
    response = cloud.request(service_type, "GET", path)
    return response.json().get(key, []) if response.status_code == 200 else []


def _list_images() -> list[dict]:
    images, path = [], "/v2/images?limit=200"
    while path:
        response = cloud.request("image", "GET", path)
        body = response.json() if response.status_code == 200 else {}
        images += body.get("images", [])
        following = body.get("next")
        path = following if following and body.get("images") else None
    return images


def _wait(service_type: str, path: str, done, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    last = None
    while time.monotonic() < deadline:
        response = cloud.request(service_type, "GET", path)
        last = response
        if done(response):
            return
        time.sleep(0.5)
    state = last.json() if last is not None and last.status_code == 200 else {}
    raise TimeoutError(f"{what} did not settle in {WAIT_SECONDS} s (last seen: {str(state)[:200]})")


def _volume_status(response) -> str:
    return response.json()["volume"]["status"] if response.status_code == 200 else "gone"


def sweep(grace_seconds: float | None = None) -> SweepReport:
    grace = dt.timedelta(seconds=settings.CONTROL["sweeper_grace"] if grace_seconds is None
                         else grace_seconds)
    now = timezone.now()
    report = SweepReport()
    volumes = _list("volumev3", "/volumes/detail?all_tenants=1", "volumes")
    snapshots = _list("volumev3", "/snapshots/detail?all_tenants=1", "snapshots")
    images = _list_images()
    tagged = {job_of(r) for r in volumes + snapshots + images} - {None}
    alive = set(Job.objects.filter(id__in=tagged, state__in=ACTIVE_JOB_STATES).values_list("id", flat=True))

    def leaked(resource: dict) -> bool:
        job_id = job_of(resource)
        return job_id is not None and job_id not in alive and _old_enough(resource, grace, now)

    for volume in filter(leaked, volumes):
        _remove_volume(volume, report)
    for snapshot in filter(leaked, snapshots):
        _remove(report, "snapshot", snapshot, "volumev3", f"/snapshots/{snapshot['id']}", report.snapshots)
    for image in filter(leaked, images):
        _remove(report, "image", image, "image", f"/v2/images/{image['id']}", report.images)
    return report


def _remove_volume(volume: dict, report: SweepReport) -> None:
    volume_id = volume["id"]
    try:
        for attachment in volume.get("attachments") or []:
            server_id = attachment.get("server_id")
            if server_id:
                cloud.request("compute", "DELETE", f"/servers/{server_id}/os-volume_attachments/{volume_id}")
                report.detached.append(f"{volume_id}@{server_id}")
                _audit("detach", volume, f"from server {server_id}")
        if volume.get("attachments"):
            _wait("volumev3", f"/volumes/{volume_id}", lambda r: _volume_status(r) in ("available", "error", "gone"),
                  f"Volume {volume_id} detaching")
        elif volume.get("status") in TRANSITIONAL:
            report.skipped.append(f"volume {volume_id} is {volume['status']}; next sweep")
            return
        _remove(report, "volume", volume, "volumev3", f"/volumes/{volume_id}", report.volumes)
        _wait("volumev3", f"/volumes/{volume_id}", lambda r: r.status_code == 404, f"Volume {volume_id} deleting")
    except Exception as error:
        report.errors.append(f"volume {volume_id}: {error}")
        LOG.warning("sweeper could not remove volume %s: %s", volume_id, error)


def _remove(report: SweepReport, kind: str, resource: dict, service_type: str, path: str, removed: list) -> None:
    if resource.get("status") in TRANSITIONAL:
        report.skipped.append(f"{kind} {resource['id']} is {resource['status']}; next sweep")
        return
    response = cloud.request(service_type, "DELETE", path, raise_exc=False)
    if response.status_code in (200, 202, 204, 404):
        removed.append(resource["id"])
        _audit("delete", resource, kind)
    else:
        report.errors.append(f"{kind} {resource['id']}: {response.status_code} {response.text[:200]}")


def _audit(what: str, resource: dict, detail: str) -> None:
    audit.record(SYSTEM, f"sweeper.{what}", "cloud_resource", resource["id"], "success",
                 f"{detail} left by job {job_of(resource)}",
                 project_id=resource.get("os-vol-tenant-attr:tenant_id") or resource.get("project_id")
                 or resource.get("owner") or "")
