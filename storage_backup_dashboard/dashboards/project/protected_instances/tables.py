from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from horizon import tables
from openstack_dashboard.dashboards.project.instances.tables import STATUS_DISPLAY_CHOICES

from storage_backup_dashboard.api import backup

PROTECTION_DISPLAY_CHOICES = (
    (backup.PROTECTION_NOT_PROTECTED, pgettext_lazy("Protection of an instance", "Not protected")),
)


def _instance_detail_url(instance) -> str:
    return reverse("horizon:project:instances:detail", args=[instance.id])


def _volume_links(instance):
    if not instance.volumes:
        return "-"
    return format_html_join(", ", '<a href="{}">{}</a>', (
        (reverse("horizon:project:volumes:detail", args=[volume.id]), volume.name) for volume in instance.volumes))


def _availability_zone(instance):
    return instance.availability_zone or format_html("<em>{}</em>", _("Unknown"))


class InstanceNameFilter(tables.FilterAction):
    """Filters the page shown by the instance's name (the list is one Nova page, so this stays client-side)."""

    def filter(self, table, instances, filter_string):
        query = filter_string.lower()
        return [instance for instance in instances if query in instance.name.lower()]


class ProtectedInstancesTable(tables.DataTable):
    name = tables.WrappingColumn("name", link=_instance_detail_url, verbose_name=_("Instance Name"))
    availability_zone = tables.Column(_availability_zone, verbose_name=_("Availability Zone"))
    status = tables.Column("status", verbose_name=_("Status"), display_choices=STATUS_DISPLAY_CHOICES)
    volumes = tables.Column(_volume_links, verbose_name=_("Volumes"))
    protection = tables.Column("protection", verbose_name=_("Protection"),
                               display_choices=PROTECTION_DISPLAY_CHOICES)

    class Meta:
        name = "protected_instances"
        verbose_name = _("Protected Instances")
        table_actions = (InstanceNameFilter,)
