# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup protection list|show|create|delete``: which instances a policy protects (an instance
has one policy at a time)."""
from __future__ import annotations

import logging

from osc_lib import exceptions

from storage_backup_client.osc.v1 import common
from storage_backup_client.osc.v1.policies import find_policy

LOG = logging.getLogger(__name__)

LIST_FIELDS = ("instance_id", "name", "policy_id", "availability_zone", "source", "created_at")
LIST_HEADERS = ("Instance ID", "Instance", "Policy ID", "Availability Zone", "Source", "Created At")


class ListProtection(common.Lister):
    _description = "List the protected instances"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--policy", metavar="<policy>", help="Only the instances of this policy (name or ID)")
        parser.add_argument("--all-projects", action="store_true", help="Every project's (administrators)")
        return parser

    def take_action(self, parsed_args):
        policy_id = find_policy(self.backup, parsed_args.policy)["id"] if parsed_args.policy else None
        protected = self.backup.protected_instance_list(all_projects=parsed_args.all_projects, policy_id=policy_id)
        return LIST_HEADERS, common.rows(protected, LIST_FIELDS)


class ShowProtection(common.ShowOne):
    _description = "Show how an instance is protected"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="<server>", help="Instance (name or ID)")
        return parser

    def take_action(self, parsed_args):
        return common.show(self.backup.protected_instance_get(common.server_id(self.app, parsed_args.instance)))


class CreateProtection(common.ShowOne):
    _description = "Protect an instance with a backup policy (or move it to another policy)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="<server>", help="Instance to protect (name or ID)")
        parser.add_argument("--policy", metavar="<policy>", required=True, help="Policy (name or ID)")
        return parser

    def take_action(self, parsed_args):
        policy = find_policy(self.backup, parsed_args.policy)
        return common.show(self.backup.protect(common.server_id(self.app, parsed_args.instance), policy["id"]))


class DeleteProtection(common.Command):
    _description = "Stop protecting instances (their restore points stay until deleted or expired)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("instances", metavar="<server>", nargs="+", help="Instances (names or IDs)")
        return parser

    def delete_one(self, reference: str) -> None:
        self.backup.unprotect(common.server_id(self.app, reference))

    def take_action(self, parsed_args):
        if len(parsed_args.instances) == 1:  # one: its error as the API says it, nothing around it
            return self.delete_one(parsed_args.instances[0])
        failures = []
        for reference in parsed_args.instances:
            try:
                self.delete_one(reference)
            except (common.BackupApiError, exceptions.CommandError) as error:
                LOG.error("Instance %s: %s", reference, common.error_text(error))
                failures.append(reference)
        if failures:
            raise exceptions.CommandError(f"Failed to unprotect {len(failures)} of {len(parsed_args.instances)} "
                                          f"instances.")
