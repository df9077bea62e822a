# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The genuine tier's fixtures: one genuine cloud per pytest session (``genuine_cloud``), the product on it per test
module (``stack``).

``STORAGE_BACKUP_GENUINE_BASE=DIR`` reuses a cloud already started there with ``python -m tests.genuine.cloud start
DIR`` (left running at the end: for working on the tests); otherwise the session starts one in a temp dir and stops
it at the end.
"""
from __future__ import annotations

import os

import pytest

from tests.genuine.cloud import GenuineCloud
from tests.genuine.stack import GenuineStack


@pytest.fixture(scope="session")
def genuine_cloud(tmp_path_factory):
    reuse = os.environ.get("STORAGE_BACKUP_GENUINE_BASE")
    if reuse:
        cloud = GenuineCloud.load(reuse)
        assert cloud.running(), f"no genuine cloud answers in {reuse}"
        yield cloud
        return
    cloud = GenuineCloud(str(tmp_path_factory.mktemp("genuine-cloud"))).start()
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture(scope="module")
def stack(request, genuine_cloud, tmp_path_factory):
    stack = GenuineStack(genuine_cloud, str(tmp_path_factory.mktemp("genuine-stack")),
                         settings=getattr(request.module, "STACK_SETTINGS", None))
    try:
        yield stack.start()
    finally:
        stack.stop()
