# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Telling others about jobs: oslo.messaging notifications as OpenStack services emit them, a project's signed
webhooks, and e-mail chosen per policy.

Where a job's state changes (``storage_backup.services.tracking``), ``events.announce`` builds the event once
(``events.JobEvent``: event type and payload, never a secret) and, once the change is committed, hands it to the
control worker (task ``control.notify``). The worker delivers it on every channel that applies, each on its own: a
channel that fails is logged (and a webhook tried again later), never the job's concern. Nothing here waits on the
job's path longer than sending one Celery message.
"""
