# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control worker: Celery tasks on queue ``control`` (scheduler, retention, sweeper, heartbeats, dispatch and
tracking of jobs). It opens no repository: repository work is a job on the ``data`` queue.

Start it, and celery beat which feeds it, with::

    celery -A storage_backup.control.worker worker -Q control -n control@%h
    celery -A storage_backup.control.worker beat --schedule DIR/beat-schedule
"""
