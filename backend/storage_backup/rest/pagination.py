# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""List pagination: ``?limit=`` (default 50, at most 500) and ``?offset=``, with ``count``, ``next``, ``previous``."""
from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
    # An offset beyond what a database's OFFSET takes (64 bits) is past the end anyway: an empty page, not a 500.
    max_offset = 2**62

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), self.max_offset)
