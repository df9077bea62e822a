# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup start``: back up a protected instance now, outside its policy's schedule."""
from __future__ import annotations

from storage_backup_client.osc.v1 import common


class StartBackup(common.JobResult, common.ShowOne):
    _description = "Back up a protected instance now (shows the backup's job)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="<server>", help="Instance to back up (name or ID)")
        strategy = parser.add_mutually_exclusive_group()
        strategy.add_argument("--full", dest="strategy", action="store_const", const="full",
                              help="Read every block, whatever the policy says")
        strategy.add_argument("--incremental", dest="strategy", action="store_const", const="incremental",
                              help="Only what changed since the last restore point")
        common.add_wait_argument(parser, "backup")
        return parser

    def take_action(self, parsed_args):
        job = self.backup.backup_create(common.server_id(self.app, parsed_args.instance), parsed_args.strategy)
        return common.show_job(self.job_answer(job, parsed_args))
