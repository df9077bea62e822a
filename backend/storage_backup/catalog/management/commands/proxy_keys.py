# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m django proxy_keys enrol NAME --queue proxy.<az>|data --public-key KEY | revoke NAME KEY_ID | list``:
the worker keys task secrets are sealed to (docs/TASKS.md "Sealed secrets"), as an administrator or a deployment
tool on the control host manages them. Goes through the same service layer as ``/v1/proxies/{name}/keys``.

On the worker's host, ``storage-backup proxy-key show`` prints the public key to enrol.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from storage_backup.services import proxy_keys
from storage_backup.services.context import Caller
from storage_backup.services.errors import ServiceError

# Audited as the command, with the control plane's administrator rights: whoever runs it holds the catalog's key.
OPERATOR = Caller(user_id="proxy_keys", project_id="", roles=frozenset({"admin"}), user_name="proxy_keys command",
                  system=True)


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        enrol = actions.add_parser("enrol", help="trust a worker's public key for its queue")
        enrol.add_argument("name", help="the worker's name, e.g. proxy-nova-1")
        enrol.add_argument("--queue", required=True, help="proxy.<availability zone> or data")
        enrol.add_argument("--public-key", required=True, help="x25519:<base64> (storage-backup proxy-key show)")
        revoke = actions.add_parser("revoke", help="seal nothing to this key any more")
        revoke.add_argument("name")
        revoke.add_argument("key_id")
        listing = actions.add_parser("list", help="every enrolled key, revoked ones included")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            if options["action"] == "enrol":
                key = proxy_keys.enrol(OPERATOR, options["name"], options["queue"], options["public_key"])
                self.stdout.write(f"enrolled {key.key_id} for {key.proxy_name} on {key.queue}")
            elif options["action"] == "revoke":
                key = proxy_keys.revoke(OPERATOR, options["name"], options["key_id"])
                self.stdout.write(f"revoked {key.key_id} of {key.proxy_name} on {key.queue}")
            else:
                keys = list(proxy_keys.list_keys(OPERATOR))
                if options["json"]:
                    self.stdout.write(json.dumps([{
                        "key_id": key.key_id, "proxy_name": key.proxy_name, "queue": key.queue,
                        "public_key": key.public_key, "revoked": key.revoked_at is not None} for key in keys]))
                for key in keys if not options["json"] else []:
                    state = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
                    self.stdout.write(f"{key.key_id}  {key.proxy_name}  {key.queue}  {state}  {key.public_key}")
        except ServiceError as error:
            raise CommandError(getattr(error, "message", str(error))) from None
