# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m django protect_project --project demo --path DIR [--schedule CRON] [--timezone TZ]``: a scheduled
policy for one project, a filesystem destination at DIR, and every instance of the project protected by it.

For the demo (``make demo``): restore points appear on their own within minutes once the proxies answer. An
operator would do the same through the REST API or Horizon; this command goes through the same service layer.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from storage_backup.catalog.models import Destination, Policy
from storage_backup.services import assignments, destinations, inventory, policies
from storage_backup.services.context import SYSTEM, Caller
from storage_backup.services.errors import ServiceError


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="project name or ID")
        parser.add_argument("--path", required=True, help="repository directory (the proxies must reach it)")
        parser.add_argument("--schedule", default="*/5 * * * *")
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--name", default="demo-every-5-minutes")
        parser.add_argument("--keep-last", type=int, default=12)

    def handle(self, *args, **options):
        project_id = self._project_id(options["project"])
        destination = Destination.objects.filter(path=options["path"]).first() or destinations.create_destination(
            SYSTEM, {"name": "demo-repository", "path": options["path"]})
        caller = Caller(user_id=SYSTEM.user_id, project_id=project_id, roles=frozenset({"admin"}),
                        user_name="protect_project")
        policy = Policy.objects.filter(project_id=project_id, name=options["name"]).first()
        if policy is None:
            policy = policies.create_policy(caller, {
                "name": options["name"], "destination_id": destination.id, "schedule": options["schedule"],
                "timezone": options["timezone"], "keep_last": options["keep_last"], "strategy": "auto",
                "full_every": 6})
        protected = 0
        for instance in inventory.list_instances():
            if instance.project_id != project_id:
                continue
            try:
                assignments.protect(caller, instance.id, policy.id)
                protected += 1
            except ServiceError as error:
                self.stderr.write(f"{instance.name}: {error.message}")
        self.stdout.write(f"policy {policy.id} ({policy.schedule}, {policy.timezone}) on destination "
                          f"{destination.path}: {protected} instance(s) newly protected")

    @staticmethod
    def _project_id(name_or_id: str) -> str:
        project_id = inventory.find_project_id(name_or_id)
        if project_id is None:
            raise CommandError(f"no project {name_or_id}")
        return project_id
