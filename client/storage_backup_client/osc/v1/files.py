# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup file list|search|download``: the files inside a restore point's volume (file-level
restore), read by the service's data workers without restoring the volume."""
from __future__ import annotations

import datetime as dt
import os
import sys

from osc_lib import exceptions

from storage_backup_client.osc.v1 import common

LIST_FIELDS = ("name", "type", "size", "mtime", "mode", "target")
LIST_HEADERS = ("Name", "Type", "Size", "Modified", "Mode", "Target")
SEARCH_FIELDS = ("path", "type", "size", "mtime", "mode")
SEARCH_HEADERS = ("Path", "Type", "Size", "Modified", "Mode")
FORMATS = ("auto", "raw", "tar", "zip")


def modified(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


SPECIAL = {"size": common.SizeColumn, "mtime": modified, "target": lambda value: value or ""}


class VolumeArguments:
    """Mixin: the restore point and the volume come first; ``--partition`` picks one of a partitioned disk."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("restore_point", metavar="<restore-point>", help="Restore point ID")
        parser.add_argument("volume", metavar="<volume>", help="Volume ID within the restore point")
        parser.add_argument("--partition", type=int, metavar="<number>",
                            help="Partition number (default: the largest partition holding ext4 or XFS)")
        return parser


def _describe(listing: dict) -> None:
    """What was read, on stderr so the table stays machine-readable."""
    partition = f", partition {listing['partition']}" if listing.get("partition") else ""
    more = "; more were left out (narrow it down, or --limit)" if listing.get("truncated") else ""
    print(f"{listing.get('filesystem')}{partition}: {len(listing.get('entries') or [])} entries{more}",
          file=sys.stderr)


class ListFiles(VolumeArguments, common.Lister):
    _description = "List a folder inside a volume of a restore point (folders first)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--path", default="/", metavar="<path>", help="Absolute path of the folder (default /)")
        parser.add_argument("--limit", type=int, metavar="<count>", help="At most this many entries (default 1000)")
        return parser

    def take_action(self, parsed_args):
        listing = self.backup.file_list(parsed_args.restore_point, parsed_args.volume, parsed_args.path,
                                        partition=parsed_args.partition, limit=parsed_args.limit)
        _describe(listing)
        return LIST_HEADERS, common.rows(listing["entries"], LIST_FIELDS, SPECIAL)


class SearchFiles(VolumeArguments, common.Lister):
    _description = "Search a volume of a restore point by file name (part of it, any case, or a shell pattern)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("pattern", metavar="<pattern>", help="Part of a name (any case) or a pattern: '*.conf'")
        parser.add_argument("--path", default="/", metavar="<path>", help="Search below this folder (default /)")
        parser.add_argument("--limit", type=int, metavar="<count>", help="At most this many results (default 1000)")
        return parser

    def take_action(self, parsed_args):
        listing = self.backup.file_list(parsed_args.restore_point, parsed_args.volume, parsed_args.path,
                                        search=parsed_args.pattern, partition=parsed_args.partition,
                                        limit=parsed_args.limit)
        _describe(listing)
        return SEARCH_HEADERS, common.rows(listing["entries"], SEARCH_FIELDS, SPECIAL)


class DownloadFiles(VolumeArguments, common.ShowOne):
    _description = ("Download a file (as it is) or a folder (tar or zip) from a volume of a restore point; prints "
                    "the job's progress on stderr")

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("path", metavar="<path>", help="Absolute path of the file or folder")
        # Not --format: OSC's own output option (-f json) has that name.
        parser.add_argument("--archive", choices=FORMATS, default="auto",
                            help="auto (default): a file as it is, a folder as tar; raw, tar or zip")
        parser.add_argument("--file", metavar="<file>",
                            help="Write it here (default: its own name in the current directory)")
        parser.add_argument("--force", action="store_true", help="Overwrite <file> if it exists")
        parser.add_argument("--timeout", type=float, default=3600, metavar="<seconds>",
                            help="Give up waiting for the job after this long (default 3600)")
        return parser

    def take_action(self, parsed_args):
        job = self.backup.file_download_start(parsed_args.restore_point, parsed_args.volume, parsed_args.path,
                                              parsed_args.archive, parsed_args.partition)
        job = common.wait_for_job(self.backup, job, timeout=parsed_args.timeout)
        if job["state"] != "succeeded":
            raise exceptions.CommandError(f"The download job {job['id']} {job['state']}: {job.get('error') or ''}")
        result = job.get("result") or {}
        target = parsed_args.file or os.path.basename(result.get("file_name") or "download")
        if os.path.exists(target) and not parsed_args.force:
            raise exceptions.CommandError(f"{target} exists; give another --file, or --force to overwrite it.")
        partial = target + ".part"
        try:
            with open(partial, "wb") as out:
                _, written = self.backup.job_download(job["id"], out)
            os.replace(partial, target)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        return common.show({"file": target, "bytes": written, "format": result.get("format"),
                            "files": result.get("files"), "job_id": job["id"]})
