# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The diff worker's task (docs/TASKS.md, queue ``ceph``)::

    STORAGE_BACKUP_CEPH_POOLS=volumes STORAGE_BACKUP_CEPH_CLIENT=storage-backup-diff \\
    STORAGE_BACKUP_CEPH_KEYRING=/etc/ceph/ceph.client.storage-backup-diff.keyring \\
        celery -A storage_backup.celery_app worker -Q ceph -n ceph@%h --concurrency 2
"""
from __future__ import annotations

import logging

from storage_backup.celery_app import app
from storage_backup.contract import CEPH_DIFF, DiffRequest

from . import cluster as ceph_cluster
from .diff import answer

LOG = logging.getLogger(__name__)


@app.task(name=CEPH_DIFF, soft_time_limit=600, time_limit=660)
def diff(request: dict) -> dict:
    """The changed extents of ``request``'s image (``DiffResult``); a Ceph that cannot be reached fails the task,
    which the asking proxy turns into a checksum backup."""
    question = DiffRequest.from_message(request, where=CEPH_DIFF + " request")
    settings = ceph_cluster.CephSettings.from_environment()
    try:
        return answer(question, settings, ceph_cluster.connect(settings)).to_message()
    except Exception:
        LOG.warning("diff of %s failed; reconnecting to Ceph for the next question", question.image, exc_info=True)
        ceph_cluster.forget()
        raise
