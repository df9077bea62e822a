import horizon
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ProtectedInstances(horizon.Panel):
    """Project -> Backup -> Protected Instances: every instance of the project and how it is protected."""

    name = _("Protected Instances")
    slug = "protected_instances"
    permissions = ("openstack.services.compute",)
    policy_rules = (("storage_backup", "storage_backup:protected_instance:list"),)

    @staticmethod
    def can_register() -> bool:
        # An operator can install the plugin and keep its panels hidden until the backup service is deployed.
        return getattr(settings, "STORAGE_BACKUP_ENABLED", True)
