# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup job list|show|cancel``: backups, restores, verifications and the rest, as the service
runs them."""
from __future__ import annotations

from storage_backup_client.osc.v1 import common

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
TYPES = ("backup", "restore", "restore_volume", "revert", "verify", "delete", "prune", "lock", "rebuild",
         "lock_maintenance", "file_browse", "file_restore", "retention")
LIST_FIELDS = ("id", "type", "state", "instance_name", "progress", "created_at", "finished_at")
LIST_HEADERS = ("ID", "Type", "State", "Instance", "Progress", "Created At", "Finished At")


class ListJob(common.Lister):
    _description = "List jobs (newest first)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--instance", metavar="<server>", help="Only the jobs of this instance (name or ID)")
        parser.add_argument("--state", choices=STATES, help="Only jobs in this state")
        parser.add_argument("--type", choices=TYPES, help="Only jobs of this type")
        parser.add_argument("--exclude-type", choices=TYPES, action="append", default=[], metavar="<type>",
                            help="Leave out jobs of this type (repeat), e.g. file_browse: one per folder opened "
                                 "in Browse Files")
        parser.add_argument("--active", action="store_true", help="Only queued and running jobs")
        parser.add_argument("--all-projects", action="store_true", help="Every project's jobs (administrators)")
        parser.add_argument("--limit", type=int, metavar="<count>", help="At most this many jobs")
        return parser

    def take_action(self, parsed_args):
        instance_id = common.server_id(self.app, parsed_args.instance) if parsed_args.instance else None
        jobs = self.backup.job_list(instance_id=instance_id, state=parsed_args.state,
                                    all_projects=parsed_args.all_projects, limit=parsed_args.limit,
                                    type=parsed_args.type, active=parsed_args.active,
                                    exclude_type=",".join(parsed_args.exclude_type) or None)
        return LIST_HEADERS, common.rows(jobs, LIST_FIELDS, {"progress": common.PercentColumn})


class ShowJob(common.JobResult, common.ShowOne):
    _description = "Show a job, its progress and its log; with --wait, follow it until it ends"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("job", metavar="<job>", help="Job ID")
        common.add_wait_argument(parser, "")
        return parser

    def take_action(self, parsed_args):
        return common.show_job(self.job_answer(self.backup.job_get(parsed_args.job), parsed_args))


class CancelJob(common.ShowOne):
    _description = "Cancel a queued or running job (a running one stops at its next step and cleans up)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("job", metavar="<job>", help="Job ID")
        return parser

    def take_action(self, parsed_args):
        return common.show_job(self.backup.job_cancel(parsed_args.job))
