# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The administrators' overview: Horizon's own d3 pie and line charts over the backup service's statistics."""
from __future__ import annotations

import datetime as dt
import json

from django.utils import formats
from django.utils.translation import gettext_lazy as _
from horizon import views

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors, formatting

PERIODS = (7, 30)


def _pie(parts) -> str:
    """``data-used`` of ``.pie-chart-distribution``: ``label=value|...`` (labels may not hold ``=`` or ``|``).

    Parts of zero are left out: Horizon's legend code fails on a zero value (its ``$this_item`` typo), and an empty
    slice says nothing anyway. All zero: an empty string, and the template says there is nothing to chart."""
    return "|".join(f"{str(label).replace('=', ' ').replace('|', ' ')}={int(value)}" for label, value in parts
                    if value)


def _line(series: list[tuple[str, list[tuple[str, float]]]]) -> str:
    """``data-data`` of Horizon's line chart: series of ``{x: '%Y-%m-%dT%H:%M:%S', y}``.

    The y axis shows its numbers (Horizon hides them unless ``axes_y_label``). Horizon's x axis (Rickshaw's time
    axis) picks its unit by the chart's width and labelled a week as hours of the day or bare day numbers: the
    page prints the days under the chart itself (``_day_labels``) instead."""
    return json.dumps({"series": [{"name": str(name), "data": [{"x": f"{day}T00:00:00", "y": value}
                                                                 for day, value in points]}
                                  for name, points in series],
                       "settings": {"renderer": "line", "auto_size": False, "auto_resize": True,
                                    "axes_x": False, "axes_y": True, "axes_y_label": True,
                                    "interpolation": "linear"}})


def _day_labels(days: list[str], most: int = 8) -> list[str]:
    """The x axis's labels, one per day of the series ("Nov. 18", the month abbreviated in the user's language),
    at most ``most`` of them shown (the others empty, so each stays under its own day)."""
    step = max(1, -(-len(days) // most))
    shown = set(range(0, len(days), step)) | {len(days) - 1}
    before_last = (len(days) - 1) // step * step
    if before_last != len(days) - 1 and len(days) - 1 - before_last < step / 2:
        shown.discard(before_last)  # it would run into the last day's label
    labels = []
    for index, day in enumerate(days):
        try:
            moment = dt.date.fromisoformat(day)
        except ValueError:
            labels.append(day if index in shown else "")
            continue
        labels.append(formats.date_format(moment, "N j") if index in shown else "")
    return labels


class IndexView(views.HorizonTemplateView):
    template_name = "storage_backup/admin/overview.html"
    page_title = _("Backup Overview")

    def days(self) -> int:
        try:
            days = int(self.request.GET.get("days", 7))
        except ValueError:
            days = 7
        return days if days in PERIODS else 7

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        days = self.days()
        context["days"] = days
        context["periods"] = PERIODS
        try:
            data = api.backup.overview(self.request, days)
        except Exception:
            errors.handle(self.request, _("Unable to retrieve the backup statistics."))
            context["data"] = None
            return context
        context["data"] = data
        instances = data["instances"]
        context["coverage_pie"] = _pie([(_("Protected"), instances["protected"]),
                                        (_("Unprotected"), instances["unprotected"] or 0)])
        totals = data["jobs"]["totals"]
        context["outcome_pie"] = _pie([(_("Succeeded"), totals["succeeded"]), (_("Failed"), totals["failed"]),
                                       (_("Cancelled"), totals["cancelled"])])
        per_day = data["jobs"]["per_day"]
        context["jobs_chart"] = _line([
            (_("Succeeded"), [(d["date"], d["succeeded"]) for d in per_day]),
            (_("Failed"), [(d["date"], d["failed"]) for d in per_day]),
        ])
        stored = data["stored"]["per_day"]
        # The unit that keeps the axis readable: GiB from 1 GiB up, MiB below.
        scale, unit = (1024 ** 3, _("Stored GiB")) if max((d["bytes_stored"] for d in stored), default=0) >= 1024 ** 3 \
            else (1024 ** 2, _("Stored MiB"))
        context["stored_chart"] = _line([(unit, [(d["date"], round(d["bytes_stored"] / scale, 3)) for d in stored])])
        context["stored_unit"] = unit
        context["jobs_days"] = _day_labels([d["date"] for d in per_day])
        context["stored_days"] = _day_labels([d["date"] for d in stored])
        names = api.backup.project_names(self.request)
        top = data["top_projects"]
        for row in top:
            row["name"] = names.get(row["project_id"], row["project_id"])
            row["stored"] = formatting.size(row["bytes_stored"])
        context["top_projects"] = top
        context["top_pie"] = _pie([(row["name"], row["bytes_stored"]) for row in top])
        reduction = data["data"]
        context["reduction"] = {
            "logical": formatting.size(reduction["logical_bytes"]), "read": formatting.size(reduction["bytes_read"]),
            "stored": formatting.size(reduction["bytes_stored"]),
            "total": formatting.ratio(reduction["reduction_ratio"]),
            "dedup": formatting.ratio(reduction["deduplication_ratio"]),
            "compression": formatting.ratio(reduction["compression_ratio"]),
        }
        context["success_rate"] = (f"{100 * data['jobs']['success_rate']:.0f} %"
                                   if data["jobs"]["success_rate"] is not None else "-")
        attention = data["attention"]
        for job in attention["failed_jobs"] + attention["waiting_jobs"]:
            job["project"] = names.get(job["project_id"], job["project_id"])
            job["when"] = formatting.when(api.backup.as_datetime(job.get("finished_at") or job.get("created_at")))
        for point in attention.get("vanished_restore_points", []):  # .get: a service of before has none
            point["project"] = names.get(point["project_id"], point["project_id"])
            point["until"] = formatting.when(api.backup.as_datetime(point.get("retention_lock_until")))
        for lock in attention.setdefault("lock_maintenance", []):  # a service of before has none
            lock["failed_when"] = formatting.when(api.backup.as_datetime(lock.get("failed_at")))
            until = api.backup.as_datetime(lock.get("protected_until"))
            lock["until"] = formatting.when(until) if until else _("at an unknown date (no pass has succeeded)")
        for vault in attention.setdefault("vaults", []):  # a service of before has none
            vault["when"] = formatting.when(api.backup.as_datetime(vault.get("last_seen")))
            vault["oldest_when"] = formatting.when(api.backup.as_datetime(vault.get("oldest_waiting")))
            vault["next_when"] = formatting.when_zoned(api.backup.as_datetime(vault.get("next_window")))
        for leftover in attention.get("unresolved_leftovers", []):
            leftover["project"] = names.get(leftover["project_id"], leftover["project_id"])
        for proxy in attention["proxies_down"]:
            proxy["when"] = formatting.when(api.backup.as_datetime(proxy.get("last_heartbeat")))
        attention.setdefault("failing_policies", [])  # a service older than the report of failing policies
        for policy in attention["failing_policies"]:
            policy["project"] = (_("shared") if policy.get("shared")
                                 else names.get(policy["project_id"], policy["project_id"]))
            policy["when"] = formatting.when(api.backup.as_datetime(policy.get("since")))
        context["attention"] = attention
        return context
