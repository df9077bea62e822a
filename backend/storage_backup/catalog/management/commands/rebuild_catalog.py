# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m django rebuild_catalog [--destination ID] [--dry-run] [--keep-missing] [--wait SECONDS]``: rebuild the
restore-point index from the repositories alone, for when the control plane's database is lost or restored from an
old dump.

For each destination a ``rebuild`` job goes to a data worker (queue ``data``), which reads the repository's restore
point documents; from them the control plane makes a catalog row each (project, instance, policy, job from the
labels; name and AZ from the instance metadata; lock from the repository's lock) and removes the rows whose restore
point no longer exists in the repository. This command sends the jobs and follows them itself, so it needs Redis and
a data worker, not a running control worker; it waits ``--wait`` seconds (``STORAGE_BACKUP_REBUILD_WAIT``, default
600) and then leaves the jobs to the control worker. Destinations themselves must exist in the catalog (recreate
them with the same path first: ``POST /v1/destinations``).
"""
from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from storage_backup.catalog.models import ACTIVE_JOB_STATES, Destination, Job, JobState
from storage_backup.control import heartbeat
from storage_backup.services import dispatch, jobs, tracking
from storage_backup.services.context import SYSTEM


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--destination", action="append", default=[], help="only this destination (ID)")
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument("--keep-missing", action="store_true",
                            help="keep catalog rows whose restore point is not in the repository")
        parser.add_argument("--wait", type=float, default=None,
                            help="seconds to wait for the data workers (default: STORAGE_BACKUP_REBUILD_WAIT)")

    def handle(self, *args, **options):
        destinations = Destination.objects.all()
        if options["destination"]:
            destinations = destinations.filter(id__in=options["destination"])
        if not destinations.exists():
            raise CommandError("no destination in the catalog: create it (same path) before rebuilding")
        made = {job.id: job for job in (jobs.create_rebuild(SYSTEM, destination, dry_run=options["dry_run"],
                                                            remove_missing=not options["keep_missing"])
                                        for destination in destinations)}
        wait = settings.CONTROL["rebuild_wait"] if options["wait"] is None else options["wait"]
        ended = self._follow(list(made), wait)
        failed = []
        for job_id, job in made.items():
            job = ended.get(job_id) or job
            where = f"{job.destination.name} ({job.destination.path})"
            if job.state == JobState.SUCCEEDED:
                self.stdout.write(f"{where}: {job.result.get('summary', '')} (job {job.id})")
            elif job.state in ACTIVE_JOB_STATES:
                failed.append(f"{where}: job {job.id} is still {job.state} after {wait:.0f} s "
                              f"({job.waiting_reason or 'running on a data worker'}); the control worker finishes it")
            else:
                failed.append(f"{where}: job {job.id} {job.state}: {job.error}")
        if failed:
            raise CommandError("\n".join(failed))

    @staticmethod
    def _follow(job_ids: list[str], wait: float) -> dict[str, Job]:
        """Send the jobs and record their results (as the control worker would) until they end or ``wait`` passes."""
        deadline = time.monotonic() + wait
        ended: dict[str, Job] = {}
        heard = 0.0
        while True:
            if time.monotonic() - heard > settings.CONTROL["heartbeat_seconds"]:
                # Which data workers are up, in case no control worker's beat said so lately.
                heartbeat.beat(wait=max(settings.CONTROL["heartbeat_seconds"] * 0.8, 0.5), zones=[], data=True)
                heard = time.monotonic()
            dispatch.dispatch_ready()
            for job in Job.objects.filter(id__in=job_ids).exclude(id__in=list(ended)):
                job = tracking.refresh(job)
                if job.state not in ACTIVE_JOB_STATES:
                    ended[job.id] = job
            if len(ended) == len(job_ids) or time.monotonic() >= deadline:
                return ended
            time.sleep(0.2)
