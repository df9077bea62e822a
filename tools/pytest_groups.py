#!/usr/bin/env python3
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Run groups of test paths as concurrent pytest processes, each an ordinary session (its own Redis, embedded
cloud, workers), and fail if any group fails.

    tools/pytest_groups.py --cover tests/functional "tests/functional/e2e …" "tests/functional/sandbox …" -- -q …

``--cover DIR`` refuses to run when a folder of DIR holding tests is in no group (a new folder is never skipped).

Why not pytest-xdist: a worker collects every module, and a module that builds its schema from the catalog at
import (schemathesis's ``from_dict(openapi_document())``) meets pytest-django's collection-time database block
there, so xdist silently ran fewer of its cases. Whole groups in their own sessions keep every module exactly as
the sequential run has it, and the functional tier's waits (processes starting, jobs polling) overlap on two
cores. Each group's output goes to ``test-artifacts/<name>-<n>.log`` and is printed when the group ends.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if "--" in argv:
        split = argv.index("--")
        groups, extra = argv[:split], argv[split + 1:]
    else:
        groups, extra = argv, []
    cover = None
    if groups[:1] == ["--cover"]:
        cover, groups = groups[1], groups[2:]
    if not groups:
        raise SystemExit(__doc__)
    if cover:
        given = {os.path.normpath(path) for group in groups for path in group.split()}
        missing = sorted(os.path.join(cover, entry) for entry in os.listdir(cover)
                         if os.path.isdir(os.path.join(cover, entry)) and not entry.startswith(("_", "."))
                         and os.path.normpath(os.path.join(cover, entry)) not in given)
        if missing:
            raise SystemExit(f"pytest_groups: in no group, so never run: {', '.join(missing)}")
    os.makedirs("test-artifacts", exist_ok=True)
    name = os.environ.get("TOX_ENV_NAME", "tests")
    running = []
    for number, group in enumerate(groups, 1):
        log_path = os.path.join("test-artifacts", f"{name}-{number}.log")
        log = open(log_path, "wb")
        command = [sys.executable, "-m", "pytest", *group.split(), *extra]
        running.append((number, group, log_path, time.monotonic(),
                        subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)))
        log.close()
    failed = 0
    for number, group, log_path, started, process in running:
        code = process.wait()
        with open(log_path, errors="replace") as handle:
            sys.stdout.write(f"\n===== group {number} ({group}): exit {code} after "
                             f"{time.monotonic() - started:.0f} s =====\n{handle.read()}")
        sys.stdout.flush()
        failed = failed or code
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
