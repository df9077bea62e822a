# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms, messages

from storage_backup_dashboard import api
from storage_backup_dashboard.common import errors
from storage_backup_dashboard.common import forms as common_forms

STRATEGY_CHOICES = (
    ("", _("As the policy says")),
    ("full", _("Full: read every block")),
    ("incremental", _("Incremental: only what changed since the last restore point")),
)


class BackupNowForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    instance_id = forms.CharField(widget=forms.HiddenInput())
    instance_name = forms.CharField(label=_("Instance"), required=False,
                                    widget=forms.TextInput(attrs={"readonly": "readonly"}))
    strategy = forms.ChoiceField(label=_("Strategy"), choices=STRATEGY_CHOICES, required=False)

    def handle(self, request, data):
        try:
            job = api.backup.backup_create(request, data["instance_id"], data["strategy"] or None)
        except Exception as error:
            if self.show_service_error(error, {"strategy": "strategy", "instance_id": "instance_name"}):
                return False
            errors.handle(request, _("Unable to start a backup of %s.") % data["instance_name"])
            return False
        messages.success(request, _("Backup of %s queued; its progress is shown below.") % data["instance_name"])
        return job


class AssignPolicyForm(common_forms.ServiceFieldErrorsMixin, forms.SelfHandlingForm):
    instance_ids = forms.CharField(widget=forms.HiddenInput())
    instances = forms.CharField(label=_("Instances"), required=False,
                                widget=forms.Textarea(attrs={"readonly": "readonly", "rows": 2}))
    policy_id = forms.ThemableChoiceField(label=_("Policy"),
                                          help_text=_("An instance protected by another policy moves to this one."))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        try:
            policies = api.backup.policy_list(request)
        except Exception:
            policies = []
            errors.handle(request, _("Unable to retrieve the policies you may use."))
        choices = [(policy.id, _("%(name)s (shared)") % {"name": policy.name} if policy.shared else policy.name)
                   for policy in policies if policy.enabled]
        if choices:
            choices.insert(0, ("", _("Select a policy")))
        else:
            choices = [("", _("No policy yet: create one in Backup > Policies"))]
        self.fields["policy_id"].choices = choices

    def handle(self, request, data):
        ids = [i for i in data["instance_ids"].split(",") if i]
        done = []
        for instance_id in ids:
            try:
                api.backup.protect(request, instance_id, data["policy_id"])
                done.append(instance_id)
            except Exception as error:
                if self.show_service_error(error, {"policy_id": "policy_id", "instance_id": "instances"}):
                    return False
                errors.handle(request, _("Unable to protect instance %s.") % instance_id)
                return False
        messages.success(request, _("%(count)d instance(s) now protected by the policy.") % {"count": len(done)})
        return True


def success_url_of_job(job) -> str:
    return reverse("horizon:project:backup_jobs:detail", args=[job.id])
