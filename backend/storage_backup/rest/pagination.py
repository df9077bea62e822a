# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""List pagination: ``?limit=`` (default 50, at most 500) and ``?offset=``, with ``count``, ``next``, ``previous``."""
from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
