# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The administrators' policy workflow: the project one plus whom it is for (published for every project, or one
project's)."""
from django.utils.translation import gettext_lazy as _
from horizon import forms, workflows

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.dashboards.project.backup_policies import workflows as project_workflows


class PublishAction(workflows.Action):
    shared = forms.BooleanField(label=_("Publish for every project"), required=False, initial=True,
                                help_text=_("Every project may assign its instances to a published policy; only "
                                            "administrators change it."))
    project_id = forms.ThemableChoiceField(label=_("Or for one project"), required=False)

    class Meta:
        name = _("Published For")
        slug = "publish"

    def populate_project_id_choices(self, request, context):
        names = api.backup.project_names(request)
        return [("", _("Select a project"))] + sorted(((project_id, name) for project_id, name in names.items()),
                                                      key=lambda item: item[1])

    def clean(self):
        data = super().clean()
        if not data.get("shared") and not data.get("project_id"):
            self.add_error("project_id", _("Publish the policy for every project, or choose the project it is for."))
        return data


class PublishStep(workflows.Step):
    action_class = PublishAction
    contributes = ("shared", "project_id")


class CreateSharedPolicy(project_workflows.CreatePolicy):
    slug = "create_shared_policy"
    name = _("Publish Policy")
    success_url = "horizon:admin:backup_policies:index"
    default_steps = (PublishStep, *project_workflows.CreatePolicy.default_steps)

    def handle(self, request, context):
        fields = project_workflows.policy_fields(context, creating=True)
        if context.get("shared"):
            fields["shared"] = True
        else:
            fields["project_id"] = context.get("project_id")
        try:
            self.object = self.call(api.backup.policy_create, request, **fields)
        except project_workflows.django_forms.ValidationError:
            raise
        except Exception:
            errors.handle(request, _("The backup service refused the policy."))
            return False
        return True


class UpdateAnyPolicy(project_workflows.UpdatePolicy):
    success_url = "horizon:admin:backup_policies:index"
