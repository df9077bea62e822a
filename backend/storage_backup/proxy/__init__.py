# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What runs inside a proxy VM: the Celery tasks of one availability zone's worker (queue ``proxy.<az>``).

A proxy worker has no catalog database: each task message carries what its job needs (docs/TASKS.md), and the
worker's own identity comes from its environment (``ProxyIdentity``).
"""
