# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``nova-compute`` with this folder's driver loadable as ``compute_driver = storage_backup_genuine.DeviceViewDriver``.

Nova loads a driver only as ``nova.virt.<compute_driver>``; this registers ``storage_backup_genuine_virt`` under that
name, then runs nova-compute's own entry point (same arguments).
"""
import importlib
import sys

from nova.cmd import compute  # first: nova.cmd monkey-patches eventlet before the driver imports Nova's modules

if __name__ == "__main__":
    sys.modules["nova.virt.storage_backup_genuine"] = importlib.import_module("storage_backup_genuine_virt")
    sys.exit(compute.main())
