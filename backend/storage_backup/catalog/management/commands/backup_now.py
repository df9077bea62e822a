# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m django backup_now INSTANCE_ID [--strategy full|incremental]``: back up one protected instance now, as
its policy would (the storage-backup-api charm's ``backup-now`` action). Goes through the same service layer as
``POST /v1/backups``: the job is recorded, then the control worker is woken to send it at once (its next tick
sends it anyway). Prints the job's ID."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from storage_backup.services import bus, jobs
from storage_backup.services.context import Caller
from storage_backup.services.errors import ServiceError

# Audited as the command, with the control plane's administrator rights: whoever runs it holds the catalog's key.
OPERATOR = Caller(user_id="backup_now", project_id="", roles=frozenset({"admin"}), user_name="backup_now command",
                  system=True)


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("instance_id", help="the Nova server ID of a protected instance")
        parser.add_argument("--strategy", choices=["full", "incremental"],
                            help="left out, the instance's policy decides")

    def handle(self, *args, **options):
        try:
            job = jobs.create_backup(OPERATOR, options["instance_id"], strategy=options["strategy"])
        except ServiceError as error:
            raise CommandError(getattr(error, "message", str(error))) from None
        try:
            bus.wake_dispatcher()
        except Exception as error:  # the job is recorded; the control worker's next tick sends it
            self.stderr.write(f"could not wake the control worker (its next tick sends the job): {error}")
        self.stdout.write(str(job.id))
