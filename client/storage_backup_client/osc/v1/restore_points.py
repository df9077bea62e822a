# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup restore point list|show|verify|lock|delete|revert`` and ``openstack storage backup
restore [volume]``: what the backups made, and bringing it back as new resources."""
from __future__ import annotations

import logging

from osc_lib import exceptions

from storage_backup_client.osc.v1 import common

LOG = logging.getLogger(__name__)

LIST_FIELDS = ("id", "instance_name", "created_at", "strategy", "bytes_total", "bytes_stored", "locked")
LIST_HEADERS = ("ID", "Instance", "Created At", "Strategy", "Size", "Stored", "Locked")
SIZES = {"bytes_total": common.SizeColumn, "bytes_stored": common.SizeColumn}


class ListRestorePoint(common.Lister):
    _description = "List restore points (newest first)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--instance", metavar="<server>", help="Only this instance's (name or ID)")
        parser.add_argument("--locked", action="store_true", help="Only restore points under a retention lock")
        parser.add_argument("--all-projects", action="store_true", help="Every project's (administrators)")
        parser.add_argument("--limit", type=int, metavar="<count>", help="At most this many")
        return parser

    def take_action(self, parsed_args):
        instance_id = common.server_id(self.app, parsed_args.instance) if parsed_args.instance else None
        points = self.backup.restore_point_list(instance_id=instance_id, all_projects=parsed_args.all_projects,
                                                limit=parsed_args.limit, locked=parsed_args.locked)
        return LIST_HEADERS, common.rows(points, LIST_FIELDS, SIZES)


class RestorePointArgument:
    """Mixin: the commands about one restore point take its ID first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("restore_point", metavar="<restore-point>", help="Restore point ID")
        return parser


class ShowRestorePoint(RestorePointArgument, common.ShowOne):
    _description = "Show a restore point: its volumes, sizes and retention lock"

    def take_action(self, parsed_args):
        return common.show(self.backup.restore_point_get(parsed_args.restore_point))


class VerifyRestorePoint(RestorePointArgument, common.JobResult, common.ShowOne):
    _description = "Verify a restore point: read every chunk back and check its hash (shows the verify job)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_wait_argument(parser, "verify")
        return parser

    def take_action(self, parsed_args):
        job = self.backup.verify(parsed_args.restore_point)
        return common.show_job(self.job_answer(job, parsed_args))


class LockRestorePoint(RestorePointArgument, common.ShowOne):
    # No unlock: the service refuses to shorten or remove an active lock, for administrators too (that is the point).
    _description = "Lock a restore point against deletion until a date (a lock can be extended, never shortened)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--until", metavar="<date>", required=True, type=common.timestamp,
                            help="ISO 8601 date or time, UTC unless it names its zone (2027-01-31, "
                                 "2027-01-31T18:00:00Z)")
        return parser

    def take_action(self, parsed_args):
        return common.show(self.backup.restore_point_lock(parsed_args.restore_point, parsed_args.until))


class DeleteRestorePoint(common.Command):
    _description = "Delete restore points (refused while locked)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("restore_points", metavar="<restore-point>", nargs="+", help="Restore point IDs")
        return parser

    def delete_one(self, restore_point_id: str) -> None:
        self.backup.restore_point_delete(restore_point_id)

    def take_action(self, parsed_args):
        if len(parsed_args.restore_points) == 1:  # one: its error as the API says it, nothing around it
            return self.delete_one(parsed_args.restore_points[0])
        failures = []
        for restore_point_id in parsed_args.restore_points:
            try:
                self.delete_one(restore_point_id)
            except common.BackupApiError as error:  # said; the others still go
                LOG.error("Restore point %s: %s", restore_point_id, common.api_error_text(error))
                failures.append(restore_point_id)
        if failures:
            raise exceptions.CommandError(f"Failed to delete {len(failures)} of {len(parsed_args.restore_points)} "
                                          f"restore points.")


class RestoreInstance(RestorePointArgument, common.JobResult, common.ShowOne):
    _description = "Restore a whole instance from a restore point, as a new instance with new volumes"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--name", metavar="<name>", help="Name of the new instance (default: the original's)")
        parser.add_argument("--availability-zone", metavar="<zone>", help="Where to restore (default: the original's)")
        parser.add_argument("--flavor", metavar="<flavor-id>", help="Flavor of the new instance")
        parser.add_argument("--network", metavar="<old-network>=<new-network>", type=common.key_value,
                            action="append", default=[],
                            help="Attach the NIC that was on <old-network> to <new-network> (network IDs; repeat)")
        parser.add_argument("--volume-type", metavar="<volume-id>=<type>", type=common.key_value, action="append",
                            default=[], help="Volume type of the restored copy of <volume-id> (repeat)")
        parser.add_argument("--volume", metavar="<volume-id>", action="append", default=[],
                            help="Restore only these of its volumes (repeat; the boot volume always)")
        parser.add_argument("--volume-name", metavar="<volume-id>=<name>", type=common.key_value, action="append",
                            default=[], help="Name of the restored copy of <volume-id> (repeat; default: "
                                             "'<original> (restored <UTC time>)')")
        common.add_wait_argument(parser, "restore")
        return parser

    def take_action(self, parsed_args):
        options = {"name": parsed_args.name, "availability_zone": parsed_args.availability_zone,
                   "flavor_id": parsed_args.flavor}
        options = {key: value for key, value in options.items() if value}
        if parsed_args.network:
            options["network_mapping"] = dict(parsed_args.network)
        if parsed_args.volume_type:
            options["volume_types"] = dict(parsed_args.volume_type)
        if parsed_args.volume:
            options["volumes"] = parsed_args.volume
        if parsed_args.volume_name:
            options["volume_names"] = dict(parsed_args.volume_name)
        job = self.backup.restore(parsed_args.restore_point, **options)
        return common.show_job(self.job_answer(job, parsed_args))


class RestoreVolume(RestorePointArgument, common.JobResult, common.ShowOne):
    _description = "Restore one volume of a restore point as a new volume, attached to an instance if asked"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("volume", metavar="<volume-id>", help="The volume (its ID when it was backed up)")
        parser.add_argument("--name", metavar="<name>",
                            help="Name of the new volume (default: '<original> (restored <UTC time>)')")
        parser.add_argument("--volume-type", metavar="<type>", help="Volume type of the new volume")
        parser.add_argument("--availability-zone", metavar="<zone>", help="Where to create it")
        parser.add_argument("--attach-to", metavar="<server>", help="Attach the new volume to this instance")
        common.add_wait_argument(parser, "restore")
        return parser

    def take_action(self, parsed_args):
        options = {"volume_id": parsed_args.volume, "name": parsed_args.name,
                   "volume_type": parsed_args.volume_type, "availability_zone": parsed_args.availability_zone}
        if parsed_args.attach_to:
            options["attach_to"] = common.server_id(self.app, parsed_args.attach_to)
        job = self.backup.restore(parsed_args.restore_point,
                                  **{key: value for key, value in options.items() if value})
        return common.show_job(self.job_answer(job, parsed_args))


class RevertRestorePoint(RestorePointArgument, common.JobResult, common.ShowOne):
    _description = ("Revert in place to a restore point: overwrite one data volume, or the whole instance (its id, "
                    "name, addresses and volume ids stay). What they hold now is lost: confirm with --yes or by "
                    "naming the target again with --confirm")

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--volume", metavar="<volume-id>",
                            help="Overwrite this data volume (detached from its server, written, reattached)")
        target.add_argument("--instance", action="store_true",
                            help="Overwrite every volume of the instance (the boot volume by Nova's rebuild)")
        parser.add_argument("--stop-server", action="store_true",
                            help="With --volume: stop the server (if running) while the volume is detached and "
                                 "overwritten, and start it again once it is back, also after a failure, so the "
                                 "guest never sees its disk vanish and come back with other content. Without it the "
                                 "server keeps running and the guest must not be using that disk. (--instance always "
                                 "stops the server.)")
        confirm = parser.add_mutually_exclusive_group(required=True)
        confirm.add_argument("--yes", action="store_true", help="Confirm the overwrite")
        confirm.add_argument("--confirm", metavar="<name>",
                             help="Confirm by typing the instance's (or volume's) name or ID")
        common.add_wait_argument(parser, "revert")
        return parser

    def take_action(self, parsed_args):
        job = self.backup.revert(parsed_args.restore_point, volume_id=parsed_args.volume,
                                 instance=parsed_args.instance,
                                 confirm=True if parsed_args.yes else parsed_args.confirm,
                                 stop_server=parsed_args.stop_server)
        return common.show_job(self.job_answer(job, parsed_args))
