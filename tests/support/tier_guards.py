# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Guards every tier runs with, so a test package can never vanish with the run still green.

- Every ``test_*.py`` under the paths pytest was given must yield at least one test: a module skipped at import,
  a conftest that ignores its folder or a file that no longer collects fails the run instead of disappearing.
- The unit tier starts no process: ``tests/unit/conftest.py`` makes ``subprocess``, ``fork`` and ``os.system``
  raise there (``refuse_processes``), naming the rule, so a test that needs a server, a worker or a command
  belongs to ``tests/functional``.

Loaded by ``tests/conftest.py`` (``pytest_plugins``); ``tests/dashboard`` loads it too.
"""
from __future__ import annotations

import os
import subprocess

import pytest

_collected_files: set[str] = set()


class ProcessInUnitTier(RuntimeError):
    """A unit test tried to start a process."""


def refuse_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every way of starting a process raise ``ProcessInUnitTier`` for the current test."""
    def refuse(*args, **kwargs):
        raise ProcessInUnitTier("unit tests start no process (servers, workers, commands): this test belongs in "
                                "tests/functional")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(os, "posix_spawn", refuse)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    # Before -m / -k deselect anything: a file whose tests are all deselected still collected.
    _collected_files.update(os.path.realpath(str(item.path)) for item in items)


def _test_files_under(paths: list[str], ignored: set[str]) -> set[str]:
    found = set()
    for path in paths:
        path = os.path.realpath(path.split("::")[0])
        if os.path.isfile(path):
            if os.path.basename(path).startswith("test_"):
                found.add(path)
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(folder, d)) not in ignored
                       and not d.startswith((".", "__"))]
            found.update(os.path.realpath(os.path.join(folder, name)) for name in files
                         if name.startswith("test_") and name.endswith(".py"))
    return {name for name in found if name not in ignored}


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if config.option.collectonly or session.testsfailed:
        return
    ignored = {os.path.realpath(str(path)) for path in (config.getoption("ignore") or [])}
    expected = _test_files_under([str(arg) for arg in config.args], ignored)
    silent = sorted(os.path.relpath(name) for name in expected - _collected_files)
    if silent:
        raise pytest.UsageError("these test modules collected no test (skipped at import, ignored by a conftest, "
                                "or empty); a tier must not lose a package silently: " + ", ".join(silent))
