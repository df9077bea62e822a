# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup policy list|show|create|delete``: when and how instances are backed up, where to,
and how long their restore points are kept."""
from __future__ import annotations

import logging

from osc_lib import exceptions

from storage_backup_client.osc.v1 import common

LOG = logging.getLogger(__name__)

STRATEGIES = ("auto", "full", "incremental")
NOTIFY_ON = ("never", "failure", "always")
LIST_FIELDS = ("id", "name", "schedule", "strategy", "keep_last", "enabled", "shared", "next_run_at")
LIST_HEADERS = ("ID", "Name", "Schedule", "Strategy", "Keep Last", "Enabled", "Shared", "Next Run At")
# Options of `policy create` that go to the API under the same name.
RETENTION = ("keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly", "min_age_days",
             "retention_lock_days")


def find_policy(client, reference: str) -> dict:
    """A policy by ID (asked directly) or by name (among those the caller sees)."""
    if common.is_uuid(reference):
        return client.policy_get(reference)
    return common.find_by_name_or_id(client.policy_list(), reference, "policy")


def find_destination(client, reference: str) -> str:
    if common.is_uuid(reference):
        return reference
    return common.find_by_name_or_id(client.destination_list(), reference, "destination")["id"]


class ListPolicy(common.Lister):
    _description = "List backup policies (the project's and the shared ones)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--name", metavar="<name>", help="Only policies with this name")
        parser.add_argument("--all-projects", action="store_true", help="Every project's policies (administrators)")
        return parser

    def take_action(self, parsed_args):
        policies = self.backup.policy_list(all_projects=parsed_args.all_projects, name=parsed_args.name)
        return LIST_HEADERS, common.rows(policies, LIST_FIELDS)


class ShowPolicy(common.ShowOne):
    _description = "Show a backup policy"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("policy", metavar="<policy>", help="Policy (name or ID)")
        return parser

    def take_action(self, parsed_args):
        return common.show(find_policy(self.backup, parsed_args.policy))


class CreatePolicy(common.ShowOne):
    _description = "Create a backup policy"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="<name>", help="Name of the new policy")
        parser.add_argument("--destination", metavar="<destination>", required=True,
                            help="Where its restore points are written (destination name or ID)")
        parser.add_argument("--schedule", metavar="<cron>",
                            help="Five-field cron expression in the policy's time zone, e.g. '0 2 * * *'; none: "
                                 "on demand only")
        parser.add_argument("--timezone", metavar="<zone>", help="Time zone of the schedule (default UTC)")
        parser.add_argument("--window-start", metavar="<HH:MM>", help="Scheduled backups start no earlier")
        parser.add_argument("--window-end", metavar="<HH:MM>", help="... and no later than this")
        parser.add_argument("--strategy", choices=STRATEGIES, help="full, incremental, or auto (the service picks)")
        parser.add_argument("--full-every", type=int, metavar="<count>",
                            help="With incremental backups: a full one every <count> backups")
        for name in RETENTION:
            parser.add_argument("--" + name.replace("_", "-"), type=int, metavar="<count>",
                                help={"min_age_days": "Keep every restore point at least this many days",
                                      "retention_lock_days": "Lock each new restore point this many days "
                                                             "(nobody can delete it before)"}.get(
                                    name, f"Retention: keep the last <count> {name.split('_')[1]} restore points"))
        parser.add_argument("--priority", type=int, metavar="<number>",
                            help="Higher runs first when the proxies are busy")
        parser.add_argument("--description", metavar="<text>")
        parser.add_argument("--notify-on", choices=NOTIFY_ON,
                            help="E-mail --notify-email about the policy's jobs: never (default), on failure, "
                                 "always (every ending: success and cancel too)")
        parser.add_argument("--notify-email", metavar="<address>", action="append", dest="notify_emails",
                            help="Who gets the policy's e-mail (repeat for several)")
        parser.add_argument("--disable", action="store_true", help="Create it disabled (its schedule does not run)")
        parser.add_argument("--shared", action="store_true", help="Publish it for every project (administrators)")
        parser.add_argument("--project", metavar="<project-id>", help="Create it for this project (administrators)")
        return parser

    def take_action(self, parsed_args):
        fields = {"name": parsed_args.name,
                  "destination_id": find_destination(self.backup, parsed_args.destination)}
        for name in ("schedule", "timezone", "window_start", "window_end", "strategy", "full_every", "priority",
                     "description", "notify_on", "notify_emails", *RETENTION):
            value = getattr(parsed_args, name)
            if value is not None:
                fields[name] = value
        if parsed_args.disable:
            fields["enabled"] = False
        if parsed_args.shared:
            fields["shared"] = True
        if parsed_args.project:
            fields["project_id"] = parsed_args.project
        return common.show(self.backup.policy_create(**fields))


class DeletePolicy(common.Command):
    _description = "Delete backup policies"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("policies", metavar="<policy>", nargs="+", help="Policies to delete (names or IDs)")
        return parser

    def delete_one(self, reference: str) -> None:
        self.backup.policy_delete(find_policy(self.backup, reference)["id"])

    def take_action(self, parsed_args):
        if len(parsed_args.policies) == 1:  # one: its error as the API says it, nothing around it
            return self.delete_one(parsed_args.policies[0])
        failures = []
        for reference in parsed_args.policies:
            try:
                self.delete_one(reference)
            except (common.BackupApiError, exceptions.CommandError) as error:  # said; the others still go
                LOG.error("Policy %s: %s", reference, common.error_text(error))
                failures.append(reference)
        if failures:
            raise exceptions.CommandError(f"Failed to delete {len(failures)} of {len(parsed_args.policies)} "
                                          f"policies.")
