# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The REST client (``storage_backup_client.client``, which ``storage_backup_dashboard.client`` re-exports) stands
alone: automation, the ``openstack`` CLI plugin and the service's tests use it without Horizon, so importing it, in
a fresh interpreter, loads keystoneauth1 and nothing of Django, Horizon or the service."""
from __future__ import annotations

import subprocess
import sys


def test_the_client_imports_no_django_horizon_or_service():
    """Automation and the service's tests use the REST client without Horizon: keystoneauth1 is all it needs."""
    probe = ("import sys, storage_backup_client.client, storage_backup_dashboard.client; "
             "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'horizon', "
             "'openstack_dashboard', 'storage_backup', 'rest_framework', 'celery'})))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert loaded.stdout.split() == []
    assert "keystoneauth1" in subprocess.run(
        [sys.executable, "-c", "import sys, storage_backup_client.client; print(*sys.modules)"],
        capture_output=True, text=True, check=True, timeout=60).stdout.split()
