# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""File-level restore, as the control plane sees it: list, search and download the files inside a restore point's
volume, each a job on a data worker (the only place a repository is opened and its secret known).

A listing or search is a short ``file_browse`` job the API waits for (``STORAGE_BACKUP_FILE_BROWSE_WAIT``) and
answers from its result; a download is a ``file_restore`` job whose data worker writes the file, tar or zip into
the download area (``storage_backup.filebrowse.download_area``), which ``GET /v1/jobs/{id}/download`` serves to the
job's project until it expires. Both are jobs like any other: recorded, audited, tenancy-checked, sent sealed.
"""
from __future__ import annotations

import time

from django.conf import settings

from storage_backup import contract
from storage_backup.catalog.models import ACTIVE_JOB_STATES, Job, JobState, JobType, RestorePoint
from storage_backup.filebrowse import download_area
from storage_backup.filebrowse.paths import FORMATS, InvalidPath, normal_path
from storage_backup.policies import restore_points as restore_point_rules
from storage_backup.services import bus, jobs, restore_points, tracking, vault_recovery
from storage_backup.services.audit import audited
from storage_backup.services.context import Caller, authorize
from storage_backup.services.errors import Conflict, Gone, NotFound, Unavailable, Unprocessable, ValidationFailed

MAX_LIMIT = 10_000
MAX_SEARCH = 255
POLL_SECONDS = 0.2
#: What a browse result's ``error_code`` becomes in the API.
ANSWER_ERRORS = {"path_not_found": NotFound, "not_a_directory": Unprocessable,
                 "unsupported_filesystem": Unprocessable, "corrupt_filesystem": Unprocessable}


def _path(path: str | None) -> str:
    try:
        return normal_path(path or "/")
    except InvalidPath as error:
        raise ValidationFailed("path", str(error)) from None


def _partition(partition) -> int | None:
    if partition in (None, ""):
        return None
    try:
        number = int(partition)
    except (TypeError, ValueError):
        raise ValidationFailed("partition", f"must be a partition number, not {partition!r}") from None
    if not 1 <= number <= 999_999:  # a partition, or an LVM logical volume (N*100 + its place)
        raise ValidationFailed("partition", "must be between 1 and 999999")
    return number


def _point_and_volume(caller: Caller, restore_point_id: str, volume_id: str, rule: str) -> RestorePoint:
    point = restore_points.get_restore_point(caller, restore_point_id)
    authorize(caller, rule, {"project_id": point.project_id})
    if not any(volume.get("volume_id") == volume_id for volume in point.volumes or []):
        raise NotFound(f"Restore point {restore_point_id} has no volume {volume_id}.")
    jobs.refuse_vault(point.destination, "browsed")
    vault_recovery.refuse_vault_only(point, "browsed file by file")
    return point


def _request(point: RestorePoint, volume_id: str, **fields) -> dict:
    return {"project_id": point.project_id, "restore_point_id": point.id, "volume_id": volume_id, **fields}


def _wake() -> None:
    try:
        bus.wake_dispatcher()
    except Exception:  # the control worker's next tick sends it anyway
        pass


def browse(caller: Caller, restore_point_id: str, volume_id: str, path: str | None = "/", search: str = "",
           partition=None, limit=None) -> dict:
    """A directory's entries (``search`` empty) or the entries below it whose names match ``search``."""
    path = _path(path)
    search = (search or "").strip()
    if len(search) > MAX_SEARCH:
        raise ValidationFailed("search", f"must be at most {MAX_SEARCH} characters")
    partition = _partition(partition)
    try:
        limit = int(limit) if limit not in (None, "") else 1000
    except (TypeError, ValueError):
        raise ValidationFailed("limit", f"must be a whole number, not {limit!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed("limit", f"must be between 1 and {MAX_LIMIT}")
    point = _point_and_volume(caller, restore_point_id, volume_id, restore_point_rules.BROWSE_FILES)
    what = f"search for {search!r} below {path}" if search else f"listing of {path}"
    with audited(caller, "restore_point.browse_files", "restore_point", point.id, point.project_id) as target:
        job = jobs.data_job(caller, JobType.FILE_BROWSE, contract.BROWSE_FILES, point.destination,
                            _request(point, volume_id, path=path, search=search, partition=partition, limit=limit),
                            f"File {what} in volume {volume_id} of restore point {point.id} requested by "
                            f"{caller.user_name or caller.user_id}", project_id=point.project_id, priority=90,
                            point=point)
        target.detail = f"job {job.id}: {what}"
    _wake()
    job = _wait(job, settings.CONTROL["file_browse_wait"])
    if job.state in ACTIVE_JOB_STATES:
        reason = job.waiting_reason or "the data worker is still reading"
        raise Unavailable(f"The {what} did not finish within {settings.CONTROL['file_browse_wait']:.0f} s ({reason}); "
                          f"job {job.id} goes on, try again later.")
    if job.state != JobState.SUCCEEDED:
        raise Unavailable(f"The {what} failed: {job.error or job.state} (job {job.id}).")
    result = dict(job.result or {})
    error = ANSWER_ERRORS.get(result.get("error_code") or "")
    if error is not None:
        raise error(result.get("error") or result["error_code"])
    if result.get("error_code"):
        raise Unprocessable(result.get("error") or result["error_code"])
    return {key: result.get(key) for key in ("restore_point_id", "volume_id", "path", "filesystem", "partition",
                                             "partitions", "entries", "truncated")} | {"job_id": job.id,
                                                                                       "search": search}


def _wait(job: Job, seconds: float) -> Job:
    deadline = time.monotonic() + seconds
    while True:
        job = tracking.refresh(job)
        if job.state not in ACTIVE_JOB_STATES or time.monotonic() >= deadline:
            return job
        time.sleep(POLL_SECONDS)
        job.refresh_from_db()


def create_download(caller: Caller, restore_point_id: str, volume_id: str, path: str | None, fmt: str | None = None,
                    partition=None) -> Job:
    """A ``file_restore`` job writing ``path`` as it is (a file), or as a tar or zip, into the download area."""
    path = _path(path)
    fmt = fmt or "auto"
    if fmt not in FORMATS:
        raise ValidationFailed("format", f"must be one of {', '.join(FORMATS)}")
    partition = _partition(partition)
    point = _point_and_volume(caller, restore_point_id, volume_id, restore_point_rules.RESTORE_FILES)
    download_area.sweep()  # this host's copy of the area: expired downloads go even if no worker writes here
    with audited(caller, "restore_point.restore_files", "restore_point", point.id, point.project_id) as target:
        job = jobs.data_job(caller, JobType.FILE_RESTORE, contract.RESTORE_FILES, point.destination,
                            _request(point, volume_id, path=path, format=fmt, partition=partition),
                            f"Download of {path} ({fmt}) from volume {volume_id} of restore point {point.id} "
                            f"requested by {caller.user_name or caller.user_id}", project_id=point.project_id,
                            priority=80, point=point)
        target.detail = f"job {job.id}: {path}"
    _wake()
    return job


def download(caller: Caller, job_id: str) -> tuple[str, str]:
    """``(path on this host, file name)`` of a finished file restore's download."""
    job = jobs.get_job(caller, job_id)
    authorize(caller, restore_point_rules.RESTORE_FILES, {"project_id": job.project_id})
    if job.type != JobType.FILE_RESTORE:
        raise NotFound(f"Job {job_id} is not a file restore, so it has nothing to download.")
    if job.state in ACTIVE_JOB_STATES:
        job = tracking.refresh(job)
    if job.state in ACTIVE_JOB_STATES:
        raise Conflict(f"Job {job_id} is {job.state}; its download is ready when it has succeeded.")
    if job.state != JobState.SUCCEEDED:
        raise Conflict(f"Job {job_id} {job.state}: {job.error or 'nothing to download'}")
    result = job.result or {}
    path = download_area.path_of(str(result.get("stored_as") or ""))
    if path is None:
        raise Gone(f"The download of job {job_id} has expired (downloads are kept "
                   f"{download_area.ttl_seconds()} s); start it again.")
    return path, str(result.get("file_name") or "download")
