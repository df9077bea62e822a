# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Every Python file of the repository says its licence (Apache-2.0, as OpenStack projects) in its first lines."""
from __future__ import annotations

import os
import subprocess

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_every_python_file_carries_the_licence_header():
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "*.py"],
                            cwd=REPO_ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    files = [name for name in listed if name and os.path.isfile(os.path.join(REPO_ROOT, name))]
    assert len(files) > 300
    missing = []
    for name in files:
        with open(os.path.join(REPO_ROOT, name), encoding="utf-8") as source:
            head = source.read(400)
        if "SPDX-License-Identifier: Apache-2.0" not in head:
            missing.append(name)
    assert not missing, f"add '# SPDX-License-Identifier: Apache-2.0' to the top of: {missing}"
    for distribution in (".", "backend", "backend/sandbox"):
        with open(os.path.join(REPO_ROOT, distribution, "LICENSE"), encoding="utf-8") as licence:
            assert "Apache License" in licence.read(200)
