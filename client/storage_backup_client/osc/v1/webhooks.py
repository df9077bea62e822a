# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``openstack storage backup webhook list|show|create|set|delete``: the URLs told about the project's jobs (all
their events, or those ``--event`` names), each call signed with the webhook's secret (shown once, by ``create``)."""
from __future__ import annotations

import logging

from osc_lib import exceptions

from storage_backup_client.osc.v1 import common

LOG = logging.getLogger(__name__)

LIST_FIELDS = ("id", "url", "description", "enabled", "events", "last_delivery_at", "last_delivery_status")
LIST_HEADERS = ("ID", "URL", "Description", "Enabled", "Events", "Last Delivery At", "Last Delivery Status")
# The service checks the names and lists the allowed ones when it refuses one; the CLI keeps no copy of them.
EVENT_HELP = ("An event type the webhook wants, repeatable: <job type>.<phase> (backup, restore, verify; start, "
              "end, error), <job type>.* or *.<phase>, e.g. --event backup.error or --event '*.error'.")


def _events_column(value: list | None) -> str:
    return ", ".join(value) if value else "all"


class ListWebhook(common.Lister):
    _description = "List the project's webhooks (never their secrets)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--all-projects", action="store_true", help="Every project's webhooks (administrators)")
        return parser

    def take_action(self, parsed_args):
        return LIST_HEADERS, common.rows(self.backup.webhook_list(all_projects=parsed_args.all_projects),
                                         LIST_FIELDS, {"events": _events_column})


class ShowWebhook(common.ShowOne):
    _description = "Show a webhook and its last delivery"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("webhook", metavar="<webhook-id>", help="Webhook ID")
        return parser

    def take_action(self, parsed_args):
        return common.show(self.backup.webhook_get(parsed_args.webhook))


class CreateWebhook(common.ShowOne):
    _description = ("Register a URL for the project's job events; the answer holds its signing secret, which no "
                    "later command shows")

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("url", metavar="<url>", help="http:// or https:// URL the events are POSTed to")
        parser.add_argument("--description", metavar="<text>", default="")
        parser.add_argument("--disable", action="store_true", help="Create it disabled (nothing is delivered)")
        parser.add_argument("--event", metavar="<event-type>", action="append", dest="events",
                            help=EVENT_HELP + " Without any, it gets every event")
        return parser

    def take_action(self, parsed_args):
        fields = {"events": parsed_args.events} if parsed_args.events else {}
        return common.show(self.backup.webhook_create(parsed_args.url, description=parsed_args.description,
                                                      enabled=not parsed_args.disable, **fields))


class SetWebhook(common.ShowOne):
    _description = "Change a webhook, or give it a new signing secret (shown once)"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("webhook", metavar="<webhook-id>", help="Webhook ID")
        parser.add_argument("--url", metavar="<url>", help="New URL")
        parser.add_argument("--description", metavar="<text>")
        enabled = parser.add_mutually_exclusive_group()
        enabled.add_argument("--enable", action="store_true", dest="enable", default=None)
        enabled.add_argument("--disable", action="store_false", dest="enable")
        events = parser.add_mutually_exclusive_group()
        events.add_argument("--event", metavar="<event-type>", action="append", dest="events",
                            help=EVENT_HELP + " Replaces the webhook's event types")
        events.add_argument("--all-events", action="store_const", const=[], dest="events",
                            help="The webhook gets every event again (clears its event types)")
        parser.add_argument("--new-secret", action="store_true",
                            help="Replace its signing secret; the new one is shown this once")
        return parser

    def take_action(self, parsed_args):
        fields = {name: value for name, value in (("url", parsed_args.url), ("description", parsed_args.description),
                                                  ("enabled", parsed_args.enable), ("events", parsed_args.events))
                  if value is not None}
        if not fields and not parsed_args.new_secret:
            raise exceptions.CommandError("Nothing to change: give --url, --description, --enable, --disable, "
                                          "--event, --all-events or --new-secret.")
        hook = self.backup.webhook_update(parsed_args.webhook, **fields) if fields else None
        if parsed_args.new_secret:
            hook = self.backup.webhook_new_secret(parsed_args.webhook)
        return common.show(hook)


class DeleteWebhook(common.Command):
    _description = "Delete webhooks"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("webhooks", metavar="<webhook-id>", nargs="+", help="Webhooks to delete (IDs)")
        return parser

    def take_action(self, parsed_args):
        if len(parsed_args.webhooks) == 1:
            return self.backup.webhook_delete(parsed_args.webhooks[0])
        failures = []
        for webhook_id in parsed_args.webhooks:
            try:
                self.backup.webhook_delete(webhook_id)
            except common.BackupApiError as error:  # said; the others still go
                LOG.error("Webhook %s: %s", webhook_id, common.error_text(error))
                failures.append(webhook_id)
        if failures:
            raise exceptions.CommandError(f"Failed to delete {len(failures)} of {len(parsed_args.webhooks)} "
                                          "webhooks.")
