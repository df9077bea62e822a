# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup vault copy list|recover``: restore points deleted from the catalog whose copy in an
air-gapped vault remains, and putting one back as a vault-only restore point (restored from the vault only)."""
from __future__ import annotations

from storage_backup_client.osc.v1 import common

LIST_FIELDS = ("id", "restore_point_id", "instance_name", "created_at", "state", "primary_deleted_at", "in_catalog",
               "not_recoverable_reason")
LIST_HEADERS = ("ID", "Restore Point", "Instance", "Created At", "Vault Copy", "Deleted At", "Recovered",
                "Not Recoverable Because")


class ListVaultCopy(common.Lister):
    _description = ("List the project's restore points deleted from the catalog whose vault copy remains (not "
                    "recovered yet unless --recovered; newest first)")

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--instance", metavar="<server>", help="Only this instance's (name or ID)")
        parser.add_argument("--recovered", action="store_true",
                            help="Also those recovered already (in the catalog again, vault-only)")
        parser.add_argument("--all-projects", action="store_true", help="Every project's (administrators)")
        parser.add_argument("--limit", type=int, metavar="<count>", help="At most this many")
        return parser

    def take_action(self, parsed_args):
        filters = {} if parsed_args.recovered else {"in_catalog": "false"}
        if parsed_args.instance:
            filters["instance_id"] = common.server_id(self.app, parsed_args.instance)
        copies = self.backup.vault_copy_list(all_projects=parsed_args.all_projects, limit=parsed_args.limit,
                                             **filters)
        return LIST_HEADERS, common.rows(copies, LIST_FIELDS)


class RecoverVaultCopy(common.ShowOne):
    _description = ("Put a deleted restore point back into the catalog from its vault copy, as a vault-only restore "
                    "point: it restores from the vault only (shows the restore point)")

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("vault_copy", metavar="<vault-copy-id>", help="Vault copy ID (vault copy list)")
        return parser

    def take_action(self, parsed_args):
        return common.show(self.backup.vault_copy_recover(parsed_args.vault_copy))
