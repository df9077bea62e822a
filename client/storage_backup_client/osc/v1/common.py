# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What every ``openstack storage backup`` command shares: the API's errors as one line, the formatting of the
service's objects, name-or-ID references, and waiting for a job with a progress line."""
from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections.abc import Callable, Iterable

from cliff import columns
from keystoneauth1 import exceptions as ks_exceptions
from osc_lib import exceptions
from osc_lib.cli import format_columns
from osc_lib.command import command

from storage_backup_client.client import BackupApiError, BackupClient

ENDED = ("succeeded", "failed", "cancelled")
UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
# How often --wait asks the service for the job; its progress moves every second or so.
POLL_SECONDS = 1.0
# keystoneauth's ways of saying the service did not answer at all.
UNREACHABLE = (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout, ks_exceptions.RetriableConnectionFailure)


def api_error_text(error: BackupApiError) -> str:
    """The API's own message first (what the user acts on), then where it came from."""
    field = f", field {error.field}" if error.field else ""
    return f"{error.message} (HTTP {error.status} {error.code}{field})"


def error_text(error: Exception) -> str:
    return api_error_text(error) if isinstance(error, BackupApiError) else str(error)


class ServiceCommand:
    """Mixin of the commands: an API error or an unreachable service ends the command with its message on one line
    and exit code 1 (OSC prints a ``CommandError``'s text and no traceback)."""

    @property
    def backup(self) -> BackupClient:
        return self.app.client_manager.storage_backup

    def run(self, parsed_args):
        try:
            return super().run(parsed_args)
        except BackupApiError as error:
            raise exceptions.CommandError(api_error_text(error)) from error
        except UNREACHABLE as error:
            raise exceptions.CommandError(
                f"The storage backup service cannot be reached ({type(error).__name__}: {error}); try again in a "
                f"moment or ask the cloud's administrator.") from error


class Command(ServiceCommand, command.Command):
    pass


class Lister(ServiceCommand, command.Lister):
    pass


class ShowOne(ServiceCommand, command.ShowOne):
    pass


# -- formatting --------------------------------------------------------------------------------------------------

class LogColumn(columns.FormattableColumn):
    """A job's log: one line per entry for people, the entries themselves for ``-f json``/``yaml``."""

    def human_readable(self) -> str:
        lines = []
        for entry in self._value or []:
            level = f" [{entry['level']}]" if entry.get("level") else ""
            lines.append(f"{entry.get('at', '')} {entry.get('step', '')}{level}: {entry.get('message', '')}".strip())
        return "\n".join(lines)

    def machine_readable(self):
        return self._value


class SizeColumn(columns.FormattableColumn):
    """Bytes: ``3.0 GiB`` in a table, the number itself for ``-f json`` and ``-f yaml``."""

    def human_readable(self) -> str:
        return size(self._value)

    def machine_readable(self):
        return self._value


class PercentColumn(columns.FormattableColumn):
    """A job's progress as ``40%`` in a table, the progress itself for machine formats."""

    def human_readable(self) -> str:
        value = (self._value or {}).get("percent")
        return "-" if value is None else f"{value:.0f}%"

    def machine_readable(self):
        return self._value


def formatted(value):
    """A field of an answer as OSC shows it: dicts and lists readable in a table, intact in JSON/YAML."""
    if isinstance(value, dict):
        return format_columns.DictColumn(value)
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return format_columns.ListDictColumn(value)
        return format_columns.ListColumn(value)
    return value


def show(item: dict, special: dict | None = None) -> tuple[tuple, tuple]:
    """``(names, values)`` of a ShowOne, fields in name order; ``special`` formats some fields its own way."""
    special = special or {}
    names = tuple(sorted(item))
    return names, tuple(special[name](item[name]) if name in special else formatted(item[name]) for name in names)


def rows(items: Iterable[dict], fields: Iterable[str], special: dict | None = None) -> Iterable[tuple]:
    special = special or {}
    return (tuple(special[name](item.get(name)) if name in special else item.get(name) for name in fields)
            for item in items)


def size(count: int | None) -> str:
    """Bytes for people: ``1.5 GiB``."""
    if count is None:
        return "-"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def progress_line(job: dict) -> str:
    """One line of a job's progress, as ``--wait`` prints it: state, percent, bytes, step, time left."""
    progress = job.get("progress") or {}
    parts = [f"job {job['id']} {job['state']}"]
    if progress.get("percent") is not None:
        parts.append(f"{progress['percent']:.0f}%")
    if progress.get("bytes_total"):
        parts.append(f"{size(progress.get('bytes_read') or 0)} of {size(progress['bytes_total'])} read")
    if progress.get("step"):
        parts.append(f"step {progress['step']}")
    if progress.get("eta") and job["state"] == "running":
        parts.append(f"{progress['eta']:.0f} s left")
    if job.get("waiting_reason") and job["state"] == "queued":
        parts.append(job["waiting_reason"])
    if job["state"] == "failed" and job.get("error"):
        parts.append(job["error"])
    return " · ".join(parts)


# -- arguments ---------------------------------------------------------------------------------------------------

def is_uuid(value: str) -> bool:
    return bool(UUID.match(value))


def key_value(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` of an option given several times (``--network OLD=NEW``)."""
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def timestamp(text: str) -> str:
    """An ISO 8601 date or date and time; a date means its start, a time without a zone is UTC."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"not an ISO 8601 date or time (2027-01-31 or 2027-01-31T18:00:00Z): {text!r}") from error
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.isoformat().replace("+00:00", "Z")


# argparse shows a type function's __name__ in its errors ("invalid key_value value").
key_value.__name__ = "KEY=VALUE"
timestamp.__name__ = "date"


def find_by_name_or_id(items: list[dict], reference: str, noun: str, name_field: str = "name",
                       id_field: str = "id") -> dict:
    """The one item whose ID or name is ``reference``; several with that name is an error naming their IDs."""
    for item in items:
        if item.get(id_field) == reference:
            return item
    named = [item for item in items if item.get(name_field) == reference]
    if len(named) == 1:
        return named[0]
    if not named:
        raise exceptions.CommandError(f"No {noun} with a name or ID of '{reference}' exists.")
    ids = ", ".join(item[id_field] for item in named)
    raise exceptions.CommandError(f"More than one {noun} is named '{reference}' ({ids}): give its ID.")


def server_id(app, reference: str) -> str:
    """An instance's ID from its ID or name: an ID goes to the service as it is (the service checks it exists and
    is the project's); a name is looked up in Nova."""
    if is_uuid(reference):
        return reference
    compute = app.client_manager.sdk_connection.compute
    try:
        return compute.find_server(reference, ignore_missing=False).id
    except Exception as error:  # openstacksdk's NotFound / DuplicateResource, said as they are
        raise exceptions.CommandError(f"Instance '{reference}': {error}") from error


# -- jobs --------------------------------------------------------------------------------------------------------

def add_wait_argument(parser, what: str) -> None:
    parser.add_argument("--wait", action="store_true",
                        help=f"Wait until the {what} job ends, printing its progress on stderr; exit code 1 unless "
                             f"it succeeds")


def wait_for_job(client: BackupClient, job: dict, out=None, poll: float = POLL_SECONDS,
                 sleep: Callable[[float], None] = time.sleep, timeout: float | None = None) -> dict:
    """Follow a job until it ends, printing a progress line whenever it changes (rewritten in place on a
    terminal); returns the job as it ended."""
    out = out or sys.stderr
    live = out.isatty()
    last = None
    started = time.monotonic()
    while True:
        line = progress_line(job)
        if line != last:
            if live:
                out.write("\r\033[K" + line)
            else:
                out.write(line + "\n")
            out.flush()
            last = line
        if job["state"] in ENDED:
            if live:
                out.write("\n")
            return job
        if timeout is not None and time.monotonic() - started > timeout:
            raise exceptions.CommandError(f"Job {job['id']} is still {job['state']} after {timeout:.0f} s.")
        sleep(poll)
        job = client.job_get(job["id"])


class JobResult:
    """Mixin of the commands that start a job: with ``--wait``, follow it and end with exit code 1 unless it
    succeeded (the job is shown either way)."""

    ended_badly = False

    def job_answer(self, job: dict, parsed_args) -> dict:
        if getattr(parsed_args, "wait", False):
            job = wait_for_job(self.backup, job)
            self.ended_badly = job["state"] != "succeeded"
        return job

    def run(self, parsed_args):
        result = super().run(parsed_args)
        return 1 if self.ended_badly else result


def show_job(job: dict) -> tuple[tuple, tuple]:
    """A job as ShowOne shows it: its log one entry a line."""
    return show(job, {"log": LogColumn})
