# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""An open repository for each test (helpers for images: ``tests/support/repository_images.py``)."""
from __future__ import annotations

import pytest
from storage_backup.repository import Repository

from tests.support.repository_images import BLOCK, MiB


@pytest.fixture
def repo(tmp_path) -> Repository:
    return Repository.init(str(tmp_path / "repo"), block_size=BLOCK, pack_size=1 * MiB)
