# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Volumes the engine reads and writes: ``BlockSource`` / ``BlockTarget`` (``base.py``), their block-device and
image-file kinds, and ``open_source`` / ``open_target`` to open one by kind (``factory.py``)."""
from __future__ import annotations

from .base import BlockSource, BlockTarget
from .block_device import BlockDeviceSource, BlockDeviceTarget
from .factory import SOURCE_KINDS, TARGET_KINDS, open_source, open_target
from .image_file import ImageFileSource, ImageFileTarget
from .known_zeros import KnownZerosSource
from .throttled import ThrottledSource

__all__ = ["SOURCE_KINDS", "TARGET_KINDS", "BlockDeviceSource", "BlockDeviceTarget", "BlockSource", "BlockTarget",
           "ImageFileSource", "ImageFileTarget", "KnownZerosSource", "ThrottledSource", "open_source",
           "open_target"]
