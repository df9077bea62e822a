# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Paths inside a restore point's filesystem, as the API takes them: absolute, ``/``-separated, never ``..``.

Checked the same way by the REST API (a 400 before any job is made) and by the data worker (which trusts no
message). Only the control plane's and the worker's own checks stand between a path and the parsers, so the rule
is strict: no ``.`` or ``..`` components, no NUL, no name longer than 255 bytes, at most 4096 bytes in all.
"""
from __future__ import annotations

MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255
FORMATS = ("auto", "raw", "tar", "zip")


class InvalidPath(ValueError):
    pass


def path_parts(path: str) -> list[str]:
    """``/etc//ssh/`` -> ``["etc", "ssh"]``; ``InvalidPath`` saying why for anything else."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidPath("must be an absolute path inside the filesystem, starting with /")
    if "\x00" in path or len(path.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise InvalidPath(f"must hold no NUL byte and at most {MAX_PATH_BYTES} bytes")
    parts = [part for part in path.split("/") if part]
    for part in parts:
        if part in (".", ".."):
            raise InvalidPath("must not contain . or .. components")
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise InvalidPath(f"has a name longer than {MAX_NAME_BYTES} bytes")
    return parts


def normal_path(path: str) -> str:
    return "/" + "/".join(path_parts(path))
