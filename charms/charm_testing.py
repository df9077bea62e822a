# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What every charm's state-transition tests share: a charm root holding one charm's files and its wheel (what the
packed charm's ``charm_dir`` holds), and the log that stands in for the workload commands."""
from __future__ import annotations

import os
import shutil
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "tools", "charms"))

import build_wheels  # noqa: E402

__all__ = ["CommandLog", "build_wheels", "make_charm_root"]


def make_charm_root(charm: str, tmp_path, wheel_dir: str | None) -> str:
    """``tmp_path/<charm>``: the charm's charmcraft.yaml and, when ``wheel_dir`` is given, its workload/ (the wheel
    and the product's units, as tools/charms/build_wheels.py lays them out in ``wheel_dir/<charm>``)."""
    root = tmp_path / charm
    root.mkdir()
    shutil.copy(os.path.join(REPO_ROOT, "charms", charm, "charmcraft.yaml"), root / "charmcraft.yaml")
    if wheel_dir:
        shutil.copytree(os.path.join(wheel_dir, charm), root / "workload")
    return str(root)


class CommandLog(list):
    """The workload commands a hook ran, in order (the charm's ``run`` replaced: no systemctl or pip here)."""

    def __init__(self):
        super().__init__()
        #: word in a command -> what that command prints (the first word found wins)
        self.replies: dict[str, str] = {}
        #: the environment each command was given, beside it
        self.environments: list[dict] = []

    def __call__(self, command, env=None, **kwargs):
        self.append(list(command))
        self.environments.append(dict(env or {}))
        return next((reply for word, reply in self.replies.items() if word in command), "")

    def named(self, word: str) -> list[list[str]]:
        return [command for command in self if word in command]
