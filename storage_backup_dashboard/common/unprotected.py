# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The warning every page shows for disks a restore point does not hold (a flavor's ephemeral disk and swap: local
to the hypervisor, out of reach of an agentless backup; the service lists them as ``unprotected_disks``)."""
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

KIND_DISPLAY = {"ephemeral": _("ephemeral disk"), "swap": _("swap")}
WHY = _("The flavor's ephemeral disk and swap live on the hypervisor, not in Cinder: an agentless backup cannot "
        "read them, so they are not in the restore point. A restored instance gets them new and empty.")


def _size(disk: dict) -> str:
    size = int(disk.get("size_mb") or 0)
    return f"{size // 1024} GiB" if size and size % 1024 == 0 else f"{size} MiB"


def describe(disks) -> str:
    """``2 GiB ephemeral disk, 512 MiB swap``."""
    return ", ".join(f"{_size(disk)} {KIND_DISPLAY.get(disk.get('kind'), disk.get('kind'))}" for disk in disks or [])


def badge(disks):
    """A warning label for a table cell; empty when every disk is protected."""
    if not disks:
        return ""
    return format_html('<span class="label label-warning unprotected-disks" title="{}">'
                       '<span class="fa fa-exclamation-triangle"></span> {}</span>',
                       WHY, _("Not backed up: %(disks)s") % {"disks": describe(disks)})


def alert(disks):
    """The warning box of a detail page; empty when every disk is protected."""
    if not disks:
        return ""
    items = format_html_join("", "<li>{}</li>", ((f"{_size(d)} {KIND_DISPLAY.get(d.get('kind'), d.get('kind'))}",)
                                                  for d in disks))
    return format_html('<div class="alert alert-warning unprotected-disks" role="alert">'
                       '<span class="fa fa-exclamation-triangle"></span> <strong>{}</strong><ul>{}</ul>{}</div>',
                       _("Not protected by this restore point:"), items, WHY)
