# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Every Python file of the repository says its licence (Apache-2.0, as OpenStack projects) in its first lines."""
from __future__ import annotations

import os

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# The folders that hold the project's Python (what is not the project's: .venv, .tox, build output, the demo).
SOURCE_FOLDERS = ("storage_backup_dashboard", "client", "enabled", "backend", "tests", "tools", "bench", "locale",
                  "charms")


def _python_files() -> list[str]:
    found = []
    for top in SOURCE_FOLDERS:
        for folder, dirs, files in os.walk(os.path.join(REPO_ROOT, top)):
            dirs[:] = [name for name in dirs if not name.startswith(".") and name not in ("__pycache__", "build")
                       and not name.endswith(".egg-info")]
            found.extend(os.path.relpath(os.path.join(folder, name), REPO_ROOT) for name in files
                         if name.endswith(".py"))
    return found


def test_every_python_file_carries_the_licence_header():
    files = _python_files()
    assert len(files) > 300
    missing = []
    for name in files:
        with open(os.path.join(REPO_ROOT, name), encoding="utf-8") as source:
            head = source.read(400)
        if "SPDX-License-Identifier: Apache-2.0" not in head:
            missing.append(name)
    assert not missing, f"add '# SPDX-License-Identifier: Apache-2.0' to the top of: {missing}"
    for distribution in (".", "client", "backend", "backend/sandbox"):
        with open(os.path.join(REPO_ROOT, distribution, "LICENSE"), encoding="utf-8") as licence:
            assert "Apache License" in licence.read(200)
