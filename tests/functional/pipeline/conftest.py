# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Each pipeline test module gets its own embedded cloud (demo seed), Redis and proxy workers (see support.py)."""
from __future__ import annotations

import pytest

from tests.functional.pipeline.support import PipelineCloud


@pytest.fixture(scope="module")
def pipeline_cloud(tmp_path_factory):
    cloud = PipelineCloud(str(tmp_path_factory.mktemp("pipeline")))
    try:
        yield cloud.start()
    finally:
        cloud.stop()
