# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Keystone (identity v3) reads the backup service makes: finding a project by name or ID."""
from __future__ import annotations

from .api import ApiClient
from .errors import NotFound


class Identity(ApiClient):
    service_type = "identity"
    service_name = "Keystone"

    def find_project_id(self, name_or_id: str) -> str | None:
        """The ID of the project with this name (in any domain the account sees) or this ID; ``None`` if none."""
        projects = self.get("/v3/projects", params={"name": name_or_id})["projects"]
        if projects:
            return projects[0]["id"]
        try:
            return self.get(f"/v3/projects/{name_or_id}")["project"]["id"]
        except NotFound:
            return None
