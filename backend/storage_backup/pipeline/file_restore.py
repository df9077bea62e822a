# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""File-level restore on a data worker: list, search (``data.browse_files``) and download (``data.restore_files``)
the files inside one volume of a restore point, read through the repository a chunk at a time
(``Repository.open_volume``) by the parsers of ``storage_backup.filebrowse``; no mount, no kernel module, no
volume written anywhere.

A path that does not exist, a volume holding no filesystem this product reads, or a damaged filesystem is an
answer (``BrowseFilesResult.error_code``), not a failed task: the tenant asked about their files and the worker
could read the volume. A download fails its job with the same message instead.
"""
from __future__ import annotations

import os
import time

from storage_backup.contract import BrowseFilesRequest, RestoreFilesRequest
from storage_backup.filebrowse import archive, browse, download_area
from storage_backup.filebrowse.errors import FileBrowseError
from storage_backup.filebrowse.paths import FORMATS, InvalidPath, normal_path

from .context import JobContext
from .errors import InvalidJobRequest
from .repository_access import open_restore_point

MAX_LIMIT = 10_000


def _path(path: str) -> str:
    try:
        return normal_path(path)
    except InvalidPath as error:
        raise InvalidJobRequest(f"path {path!r} {error}") from None


def browse_files(ctx: JobContext, request: BrowseFilesRequest) -> dict:
    path = _path(request.path)
    if not 1 <= request.limit <= MAX_LIMIT:
        raise InvalidJobRequest(f"limit must be between 1 and {MAX_LIMIT}, not {request.limit}")
    repository, restore_point = open_restore_point(ctx, request)
    answer = {"restore_point_id": restore_point.id, "volume_id": request.volume_id, "path": path}
    what = f"search for {request.search!r} below {path}" if request.search else f"listing of {path}"
    ctx.step("browse", f"Reading the {what} in volume {request.volume_id}")
    with repository.open_volume(restore_point, request.volume_id) as disk:
        try:
            opened = browse.open_filesystem(disk, request.partition)
            answer.update(opened.describe())
            if request.search:
                entries, truncated = browse.search(opened.filesystem, path, request.search, limit=request.limit)
            else:
                entries, truncated = browse.list_directory(opened.filesystem, path, limit=request.limit)
        except FileBrowseError as error:
            ctx.log.add("browse", f"{error.code}: {error}")
            return {**answer, "error_code": error.code, "error": str(error), "log": ctx.log.as_list()}
        ctx.log.add("done", f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} "
                            f"({answer['filesystem']}, {disk.chunks_read} chunk(s) read)")
    return {**answer, "entries": entries, "truncated": truncated, "log": ctx.log.as_list()}


def restore_files(ctx: JobContext, request: RestoreFilesRequest) -> dict:
    started = time.monotonic()
    path = _path(request.path)
    if request.format not in FORMATS:
        raise InvalidJobRequest(f"format must be one of {', '.join(FORMATS)}, not {request.format!r}")
    repository, restore_point = open_restore_point(ctx, request)
    directory = download_area.prepare()
    download_area.sweep()
    limit = download_area.max_bytes()
    ctx.step("archive", f"Writing {path} of volume {request.volume_id} ({request.format})")
    with repository.open_volume(restore_point, request.volume_id) as disk:
        filesystem = browse.open_filesystem(disk, request.partition).filesystem
        fmt = archive.choose_format(browse.resolve(filesystem, path), request.format)
        stored_as = download_area.stored_name(request.job_id, fmt)
        final = os.path.join(directory, stored_as)
        partial = final + ".part"
        try:
            with open(partial, "wb") as out:
                figures = archive.write_archive(filesystem, path, fmt, out, limit)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except BaseException:
            try:
                os.unlink(partial)
            except FileNotFoundError:
                pass
            raise
    size = os.path.getsize(final)
    ctx.log.add("done", f"{path}: {figures.files} file(s), {figures.directories} folder(s), {figures.bytes} bytes "
                        f"of content, a {size}-byte {fmt} download kept for {download_area.ttl_seconds()} s")
    return {"restore_point_id": restore_point.id, "volume_id": request.volume_id, "path": path, "format": fmt,
            "file_name": figures.name, "stored_as": stored_as, "bytes": size, "files": figures.files,
            "directories": figures.directories, "symlinks": figures.symlinks, "skipped": figures.skipped,
            "content_bytes": figures.bytes, "duration": round(time.monotonic() - started, 3),
            "log": ctx.log.as_list()}
