# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m django rebuild_catalog [--destination ID] [--dry-run]``: rebuild the restore-point index from the
repositories alone, for when the control plane's database is lost or restored from an old dump.

Each destination's repository is read with the repository engine; every restore point document becomes a
catalog row (project, instance, policy, job from its labels; name and AZ from its instance metadata; lock from
the repository's lock). Rows whose restore point no longer exists in the repository are removed. Destinations
themselves must exist in the catalog (recreate them with the same path first: ``POST /v1/destinations``).
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from storage_backup.catalog.models import Destination
from storage_backup.services import catalog_rebuild


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--destination", action="append", default=[], help="only this destination (ID)")
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument("--keep-missing", action="store_true",
                            help="keep catalog rows whose restore point is not in the repository")

    def handle(self, *args, **options):
        destinations = Destination.objects.all()
        if options["destination"]:
            destinations = destinations.filter(id__in=options["destination"])
        if not destinations.exists():
            raise CommandError("no destination in the catalog: create it (same path) before rebuilding")
        for destination in destinations:
            report = catalog_rebuild.rebuild(destination, dry_run=options["dry_run"],
                                             remove_missing=not options["keep_missing"])
            self.stdout.write(f"{destination.name} ({destination.path}): {report.summary()}")
