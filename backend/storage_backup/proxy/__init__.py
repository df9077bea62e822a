# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Celery tasks of the workers that hold no catalog: a proxy VM's worker of one availability zone (queue
``proxy.<az>``: backup, restore, ping) and the data worker(s) (queue ``data``: verify, delete, prune, lock, list).

Each task message carries what its job needs and is read with ``storage_backup.contract`` (docs/TASKS.md); a
worker's own identity comes from its environment (``ProxyIdentity``); every failure leaves as a coded
``TaskFailed`` (``failures``).
"""
