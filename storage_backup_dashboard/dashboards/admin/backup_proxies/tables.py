# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from horizon import tables

from storage_backup_dashboard.common import choices, formatting

STATUS_CHOICES = (("up", True), ("down", False))


def _heartbeat(proxy):
    if not proxy.last_heartbeat:
        return _("never")
    return format_html('{} <small class="text-muted">({})</small>', formatting.when(proxy.last_heartbeat),
                       _("%s ago") % timesince(proxy.last_heartbeat))


def _status(proxy):
    label = choices.display(choices.PROXY_STATUS_DISPLAY, proxy.status)
    if proxy.status == "down":
        return format_html('<span class="label label-danger storage-backup-proxy-down">{}</span>', label)
    return format_html('<span class="label label-success">{}</span>', label)


class ProxiesTable(tables.DataTable):
    availability_zone = tables.Column("availability_zone", verbose_name=_("Availability Zone"))
    hostname = tables.Column("hostname", verbose_name=_("Worker"))
    status = tables.Column(_status, verbose_name=_("Status"))
    heartbeat = tables.Column(_heartbeat, verbose_name=_("Last Heartbeat"))
    version = tables.Column("version", verbose_name=_("Version"))
    running = tables.Column("running_jobs", verbose_name=_("Running Jobs"))
    max_jobs = tables.Column("max_jobs", verbose_name=_("Job Slots"))
    queue = tables.Column("queue_depth", verbose_name=_("Queued in Zone"))
    device_root = tables.Column("device_root_ok", verbose_name=_("Devices Visible"),
                                filters=(lambda value: _("Yes") if value else _("No"),))
    server = tables.Column("server_id", verbose_name=_("Proxy Server"))

    def get_row_status_class(self, status):
        return "danger" if status is False else ""

    class Meta:
        name = "proxies"
        verbose_name = _("Proxies")
