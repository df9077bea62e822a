# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Run at the start of every Python process whose ``PYTHONPATH`` begins with this directory (the launcher's):
installs ``storage_backup_sandbox.loopback_guard`` when ``STORAGE_BACKUP_SANDBOX_LOOPBACK_ONLY=1``, then runs the
``sitecustomize`` this one shadows, if the interpreter has one."""
import importlib
import os
import sys

if os.environ.get("STORAGE_BACKUP_SANDBOX_LOOPBACK_ONLY") == "1":
    try:
        from storage_backup_sandbox import loopback_guard
    except ImportError:  # an interpreter without the sandbox installed: nothing to guard with
        pass
    else:
        loopback_guard.install()

_here = os.path.dirname(os.path.abspath(__file__))
_saved = list(sys.path)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
_self = sys.modules.pop("sitecustomize", None)
try:
    importlib.import_module("sitecustomize")
except ImportError:
    pass
finally:
    sys.path[:] = _saved
    if _self is not None:
        sys.modules["sitecustomize"] = _self
