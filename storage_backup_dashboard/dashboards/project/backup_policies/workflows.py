# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Create and edit a policy, step by step: schedule (with a preview of its next runs), strategy and retention,
destination, pre/post snapshot commands, auto-assignment, e-mail notifications."""
from __future__ import annotations

import datetime as dt
from zoneinfo import available_timezones

from django import forms as django_forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms, workflows

from storage_backup_dashboard import api
from storage_backup_dashboard import exceptions as backup_exceptions
from storage_backup_dashboard.common import choices, errors, formatting

KEY_KEPT = "********"
STRATEGY_CHOICES = (
    ("auto", _("Automatic: a full backup every N, incremental in between")),
    ("full", _("Always full")),
    ("incremental", _("Always incremental (the first one is full)")),
)
RETENTION_FIELDS = ("keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")
COMMAND_KEYS = ("command", "user", "private_key", "port", "timeout", "on_failure", "host_key_policy", "known_hosts")


def _timezones():
    zones = sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith(("Etc/", "SystemV")))
    return [("UTC", "UTC"), *((zone, zone) for zone in zones)]


def _time_text(value) -> str | None:
    if not value:
        return None
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)[:5]


class ScheduleAction(workflows.Action):
    name = forms.CharField(max_length=255, label=_("Name"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Description"),
                                  required=False)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True,
                                 help_text=_("A disabled policy keeps its instances but runs no scheduled backup."))
    schedule = forms.CharField(
        max_length=128, required=False, label=_("Schedule"),
        widget=forms.TextInput(attrs={"placeholder": "0 2 * * *", "class": "storage-backup-schedule"}),
        help_text=_("Five-field cron expression: minute hour day-of-month month day-of-week. Empty: on demand "
                    "only."))
    # A plain select: hundreds of zones, found by typing (a themable dropdown cannot search).
    timezone = forms.ChoiceField(label=_("Time Zone"), initial="UTC")
    window_start = forms.TimeField(label=_("Window Start"), required=False, input_formats=["%H:%M", "%H:%M:%S"],
                                   widget=forms.TimeInput(format="%H:%M", attrs={"placeholder": "22:00"}),
                                   help_text=_("Runs only start inside the window (local time); both or neither."))
    window_end = forms.TimeField(label=_("Window End"), required=False, input_formats=["%H:%M", "%H:%M:%S"],
                                 widget=forms.TimeInput(format="%H:%M", attrs={"placeholder": "06:00"}))

    class Meta:
        name = _("Schedule")
        slug = "schedule"
        help_text_template = "storage_backup/policies/_schedule_help.html"

    def __init__(self, request, context, *args, **kwargs):
        super().__init__(request, context, *args, **kwargs)
        self.fields["timezone"].choices = _timezones()
        self.next_runs: list = []
        self.preview_error = ""

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if (start is None) != (end is None):
            self.add_error("window_end" if end is None else "window_start",
                           _("A time window needs both a start and an end."))
        elif start is not None and start == end:
            self.add_error("window_end", _("The window must end at another time than it starts."))
        if data.get("schedule") and not self.errors:
            try:
                self.next_runs = api.backup.schedule_preview(
                    self.request, data["schedule"].strip(), data.get("timezone") or "UTC", _time_text(start),
                    _time_text(end))
            except backup_exceptions.BackupRequestRefused as error:
                field = error.field if error.field in self.fields else "schedule"
                self.add_error(field, error.message)
            except Exception:
                errors.handle(self.request, _("Unable to check the schedule."))
            else:
                if not self.next_runs:
                    self.add_error("schedule", _("This schedule never runs inside the window within a year."))
        return data

    def get_help_text(self, extra_context=None):
        context = dict(extra_context or {})
        context["preview_url"] = reverse("horizon:project:backup_policies:preview")
        runs = self.next_runs
        initial = self.initial or {}
        if not runs and initial.get("schedule"):
            try:
                runs = api.backup.schedule_preview(self.request, initial["schedule"], initial.get("timezone") or "UTC",
                                                   _time_text(initial.get("window_start")),
                                                   _time_text(initial.get("window_end")))
            except Exception:  # the preview is a help; the form says what is wrong when submitted
                runs = []
        zone = (self.cleaned_data if hasattr(self, "cleaned_data") else initial).get("timezone") or "UTC"
        context["next_runs"] = [formatting.run_time(run, zone) for run in runs]
        return super().get_help_text(context)


class ScheduleStep(workflows.Step):
    action_class = ScheduleAction
    contributes = ("name", "description", "enabled", "schedule", "timezone", "window_start", "window_end")


class RetentionAction(workflows.Action):
    strategy = forms.ThemableChoiceField(label=_("Strategy"), choices=STRATEGY_CHOICES, initial="auto")
    full_every = forms.IntegerField(label=_("Full Backup Every"), min_value=1, max_value=1000, initial=7,
                                    help_text=_("Automatic strategy: one full backup in this many restore points."))
    keep_last = forms.IntegerField(label=_("Keep Last"), min_value=0, max_value=100000, initial=7,
                                   help_text=_("The newest restore points kept whatever their age."))
    keep_daily = forms.IntegerField(label=_("Daily"), min_value=0, max_value=100000, initial=0,
                                    help_text=_("Grandfather-father-son: the last restore point of each of this "
                                                "many days."))
    keep_weekly = forms.IntegerField(label=_("Weekly"), min_value=0, max_value=100000, initial=0)
    keep_monthly = forms.IntegerField(label=_("Monthly"), min_value=0, max_value=100000, initial=0)
    keep_yearly = forms.IntegerField(label=_("Yearly"), min_value=0, max_value=1000, initial=0)
    min_age_days = forms.IntegerField(label=_("Minimum Age (days)"), min_value=0, max_value=36500, initial=0,
                                      help_text=_("Nothing younger is removed by retention."))
    retention_lock_days = forms.IntegerField(
        label=_("Retention Lock (days)"), min_value=0, max_value=36500, initial=0,
        help_text=_("WORM: nobody, administrators included, can delete a restore point before this many days. "
                    "It cannot be shortened afterwards."))
    priority = forms.IntegerField(label=_("Priority"), min_value=-1000, max_value=1000, initial=0,
                                  help_text=_("Higher goes first when proxies are busy."))
    read_limit_mbps = forms.IntegerField(
        label=_("Read Limit (MB/s)"), min_value=1, max_value=100000, required=False,
        help_text=_("Each backup reads its volumes at most this fast, so that it does not starve shared storage "
                    "during business hours. Empty: only the proxy's own limit applies."))

    class Meta:
        name = _("Strategy & Retention")
        slug = "retention"
        help_text = _("Keep last N and the daily, weekly, monthly and yearly counts add up (a restore point kept by "
                      "any rule stays). The retention lock is enforced by the repository too.")

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(name) for name in RETENTION_FIELDS):
            self.add_error("keep_last", _("A policy keeping nothing would delete every restore point: keep at "
                                          "least the last one, or some daily, weekly, monthly or yearly ones."))
        return data


class RetentionStep(workflows.Step):
    action_class = RetentionAction
    contributes = ("strategy", "full_every", *RETENTION_FIELDS, "min_age_days", "retention_lock_days", "priority",
                   "read_limit_mbps")


class DestinationAction(workflows.Action):
    destination_id = forms.ThemableChoiceField(label=_("Destination"),
                                               help_text=_("Where the restore points are written."))
    vault_destination_id = forms.ThemableChoiceField(
        label=_("Vault Copy"), required=False,
        help_text=_("An air-gapped vault the vault worker copies every restore point into, in its own time "
                    "window; it survives the loss of the destination, and restores can read from it."))

    class Meta:
        name = _("Destination")
        slug = "destination"
        help_text = _("The repositories your project may use: shared ones published by the administrators and "
                      "your project's own.")

    def populate_destination_id_choices(self, request, context):
        try:
            destinations = api.backup.destination_list(request)
        except Exception:
            destinations = []
            errors.handle(request, _("Unable to retrieve the destinations."))
        found = [(d.id, f"{d.name} ({choices.display(choices.SCOPE_DISPLAY, d.scope)})") for d in destinations
                 if not d.is_vault]
        self._vaults = [(d.id, d.name) for d in destinations if d.is_vault]
        if not found:
            return [("", _("No destination available: ask your cloud administrator"))]
        return [("", _("Select a destination")), *found]

    def populate_vault_destination_id_choices(self, request, context):
        vaults = getattr(self, "_vaults", None)
        if vaults is None:
            try:
                vaults = [(d.id, d.name) for d in api.backup.destination_list(request) if d.is_vault]
            except Exception:
                vaults = []
        return [("", _("No vault copy")), *vaults]


class DestinationStep(workflows.Step):
    action_class = DestinationAction
    contributes = ("destination_id", "vault_destination_id")


def _command_fields(prefix: str, label) -> dict:
    return {
        f"{prefix}_command": forms.CharField(label=label, required=False, max_length=4096,
                                             widget=forms.TextInput(attrs={"placeholder": "fsfreeze -f /data"})),
        f"{prefix}_user": forms.CharField(label=_("SSH User"), required=False, max_length=255),
        f"{prefix}_private_key": forms.CharField(
            label=_("SSH Private Key"), required=False, max_length=65536,
            widget=forms.Textarea(attrs={"rows": 3, "placeholder": "-----BEGIN OPENSSH PRIVATE KEY-----"}),
            help_text=_("Kept secret by the backup service; leave empty to keep the current key.")),
        f"{prefix}_port": forms.IntegerField(label=_("SSH Port"), required=False, min_value=1, max_value=65535,
                                             initial=22),
        f"{prefix}_timeout": forms.IntegerField(label=_("Timeout (seconds)"), required=False, min_value=1,
                                                max_value=3600, initial=60),
        f"{prefix}_on_failure": forms.ThemableChoiceField(label=_("If It Fails"), choices=choices.ON_FAILURE_CHOICES,
                                                          required=False, initial="abort"),
        f"{prefix}_host_key_policy": forms.ThemableChoiceField(label=_("Host Key"),
                                                               choices=choices.HOST_KEY_POLICY_CHOICES,
                                                               required=False, initial="reject"),
        f"{prefix}_known_hosts": forms.CharField(
            label=_("Known Host Key"), required=False, max_length=65536,
            widget=forms.Textarea(attrs={"rows": 2, "placeholder": "10.0.0.5 ssh-ed25519 AAAA..."}),
            help_text=_("The instance's host key line, as in known_hosts.")),
    }


class CommandsActionBase(workflows.Action):
    """Pre- and post-snapshot commands, run over SSH on the instance (application consistency, agentless)."""

    def __init__(self, request, context, *args, **kwargs):
        super().__init__(request, context, *args, **kwargs)
        self.keys_kept = {prefix: bool(context.get(f"{prefix}_key_kept")) for prefix in ("pre", "post")}

    def clean(self):
        data = super().clean()
        for prefix in ("pre", "post"):
            if not data.get(f"{prefix}_command"):
                continue
            if not data.get(f"{prefix}_user"):
                self.add_error(f"{prefix}_user", _("Give the user the command runs as over SSH."))
            if not data.get(f"{prefix}_private_key") and not self.keys_kept[prefix]:
                self.add_error(f"{prefix}_private_key", _("Give the SSH private key of that user."))
            if (data.get(f"{prefix}_host_key_policy") or "reject") == "reject" and not data.get(
                    f"{prefix}_known_hosts"):
                self.add_error(f"{prefix}_known_hosts", _("Give the instance's host key, or accept the key it "
                                                          "shows first."))
        return data


CommandsAction = type("CommandsAction", (CommandsActionBase,), {
    **_command_fields("pre", _("Pre-Snapshot Command")),
    **_command_fields("post", _("Post-Snapshot Command")),
    "Meta": type("Meta", (), {
        "name": _("Commands"), "slug": "commands",
        "help_text": _("Optional commands run over SSH on the instance just before its volumes are snapshotted "
                       "(e.g. freeze a filesystem, flush a database) and just after. Their output goes into the "
                       "job's log.")}),
    "__module__": __name__,
})


class CommandsStep(workflows.Step):
    action_class = CommandsAction
    contributes = tuple(f"{prefix}_{key}" for prefix in ("pre", "post") for key in COMMAND_KEYS)


class AutoAssignAction(workflows.Action):
    auto_assign_tag = forms.CharField(label=_("Instance Tag"), required=False, max_length=255,
                                      help_text=_("Instances carrying this tag join the policy by themselves."))
    auto_assign_metadata_key = forms.CharField(label=_("Metadata Key"), required=False, max_length=255)
    auto_assign_metadata_value = forms.CharField(label=_("Metadata Value"), required=False, max_length=255,
                                                 help_text=_("Empty: any value of the key."))

    class Meta:
        name = _("Auto-Assignment")
        slug = "auto_assign"
        help_text = _("Instances matching the tag, or the metadata key (and value), are protected by this policy "
                      "without anyone assigning them; they leave it when they no longer match.")

    def clean(self):
        data = super().clean()
        if data.get("auto_assign_metadata_value") and not data.get("auto_assign_metadata_key"):
            self.add_error("auto_assign_metadata_key", _("Give the metadata key the value belongs to."))
        return data


class AutoAssignStep(workflows.Step):
    action_class = AutoAssignAction
    contributes = ("auto_assign_tag", "auto_assign_metadata_key", "auto_assign_metadata_value")


NOTIFY_ON_CHOICES = (
    ("never", _("Never")),
    ("failure", _("When a job fails")),
    ("always", _("When a job succeeds, fails or is cancelled")),
)


def email_list(text: str | None) -> list[str]:
    """The addresses of the form's text: one a line, or separated by commas or spaces."""
    return [part for part in (text or "").replace(",", " ").split() if part]


class NotificationsAction(workflows.Action):
    notify_on = forms.ThemableChoiceField(label=_("E-mail"), choices=NOTIFY_ON_CHOICES, initial="never",
                                          required=False)
    notify_emails = forms.CharField(
        label=_("Recipients"), required=False, max_length=4096,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "ops@example.org"}),
        help_text=_("One e-mail address a line."))

    class Meta:
        name = _("Notifications")
        slug = "notifications"
        help_text = _("E-mail about this policy's backups, and about restores and verifications of its restore "
                      "points. The project's webhooks hear every job whatever is chosen here.")

    def clean(self):
        data = super().clean()
        addresses = email_list(data.get("notify_emails"))
        for address in addresses:
            try:
                django_forms.EmailField().clean(address)
            except django_forms.ValidationError:
                self.add_error("notify_emails", _("%(address)s is not an e-mail address.") % {"address": address})
                break
        if (data.get("notify_on") or "never") != "never" and not addresses:
            self.add_error("notify_emails", _("Give at least one address to e-mail."))
        return data


class NotificationsStep(workflows.Step):
    action_class = NotificationsAction
    contributes = ("notify_on", "notify_emails")


def policy_fields(context: dict, creating: bool) -> dict:
    """The REST API's policy body from the workflow's context."""
    fields = {name: context.get(name) for name in (
        "name", "description", "enabled", "schedule", "timezone", "strategy", "full_every", *RETENTION_FIELDS,
        "min_age_days", "retention_lock_days", "priority", "destination_id", "auto_assign_tag",
        "auto_assign_metadata_key", "auto_assign_metadata_value")}
    fields["read_limit_mbps"] = context.get("read_limit_mbps") or None  # empty: no cap of the policy's own
    fields["vault_destination_id"] = context.get("vault_destination_id") or None  # "" clears it
    fields["notify_on"] = context.get("notify_on") or "never"
    fields["notify_emails"] = email_list(context.get("notify_emails"))
    fields["schedule"] = (fields["schedule"] or "").strip()
    fields["window_start"] = _time_text(context.get("window_start"))
    fields["window_end"] = _time_text(context.get("window_end"))
    for prefix in ("pre", "post"):
        if context.get(f"{prefix}_command"):
            command = {key: context.get(f"{prefix}_{key}") for key in COMMAND_KEYS}
            command["private_key"] = command["private_key"] or KEY_KEPT  # the service keeps the stored key
            command["port"] = command["port"] or 22
            command["timeout"] = command["timeout"] or 60
            command["on_failure"] = command["on_failure"] or "abort"
            command["host_key_policy"] = command["host_key_policy"] or "reject"
            command["known_hosts"] = command["known_hosts"] or None
            fields[f"{prefix}_command"] = command
        else:
            fields[f"{prefix}_command"] = None
    if creating:
        fields = {key: value for key, value in fields.items() if value is not None or key.endswith("_command")}
    return fields


class PolicyWorkflowBase(workflows.Workflow):
    finalize_button_name = _("Save")
    success_url = "horizon:project:backup_policies:index"
    default_steps = (ScheduleStep, RetentionStep, DestinationStep, CommandsStep, AutoAssignStep, NotificationsStep)
    multipart = False

    def get_entry_point(self):
        # Open on the step that needs fixing, else on the first (not the first whose data the view gave).
        for step in self.steps:
            if step.has_errors:
                return step.slug
        return self.steps[0].slug

    def show_refusal(self, error: backup_exceptions.BackupServiceError) -> None:
        """A 400 naming a field: that field's error in its step, and the workflow shown again to fix it."""
        field = (error.field or "").split(".")[0]
        candidates = [field]
        if field in ("pre_command", "post_command"):
            prefix = field.split("_")[0]
            candidates = [f"{prefix}_{(error.field or '').split('.')[-1]}", f"{prefix}_command"]
        for step in self.steps:
            for name in candidates:
                if name in step.action.fields:
                    step.action.add_error(name, error.message)
                    step.has_errors = True  # the workflow opens on this step
                    raise django_forms.ValidationError(error.message)
        raise error

    def call(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except backup_exceptions.BackupRequestRefused as error:
            if error.status == 400:
                self.show_refusal(error)
            raise


class CreatePolicy(PolicyWorkflowBase):
    slug = "create_policy"
    name = _("Create Policy")
    finalize_button_name = _("Create Policy")
    success_message = _('Created policy "%s".')
    failure_message = _('Unable to create policy "%s".')

    def format_status_message(self, message):
        return message % self.context.get("name", "")

    def handle(self, request, context):
        try:
            self.object = self.call(api.backup.policy_create, request, **policy_fields(context, creating=True))
        except django_forms.ValidationError:
            raise
        except Exception:
            errors.handle(request, _("The backup service refused the policy."))
            return False
        return True


class UpdateScheduleStep(ScheduleStep):
    depends_on = ("policy_id",)


class UpdateCommandsStep(CommandsStep):
    depends_on = ("pre_key_kept", "post_key_kept")  # whether a stored key stays when the field is left empty


class UpdatePolicy(PolicyWorkflowBase):
    slug = "update_policy"
    name = _("Edit Policy")
    default_steps = (UpdateScheduleStep, RetentionStep, DestinationStep, UpdateCommandsStep, AutoAssignStep,
                     NotificationsStep)
    success_message = _('Saved policy "%s".')
    failure_message = _('Unable to save policy "%s".')

    def format_status_message(self, message):
        return message % self.context.get("name", "")

    def handle(self, request, context):
        try:
            self.object = self.call(api.backup.policy_update, request, context["policy_id"],
                                    **policy_fields(context, creating=False))
        except django_forms.ValidationError:
            raise
        except Exception:
            errors.handle(request, _("The backup service refused the changes."))
            return False
        return True


def initial_from_policy(policy) -> dict:
    """The workflow's initial context from a policy as the API shows it."""
    initial = {name: getattr(policy, name, None) for name in (
        "name", "description", "enabled", "schedule", "timezone", "strategy", "full_every", *RETENTION_FIELDS,
        "min_age_days", "retention_lock_days", "priority", "read_limit_mbps", "destination_id",
        "vault_destination_id", "auto_assign_tag", "auto_assign_metadata_key", "auto_assign_metadata_value")}
    initial["policy_id"] = policy.id
    initial["notify_on"] = getattr(policy, "notify_on", None) or "never"
    initial["notify_emails"] = "\n".join(getattr(policy, "notify_emails", None) or [])
    initial["window_start"] = (policy.window_start or "")[:5] or None
    initial["window_end"] = (policy.window_end or "")[:5] or None
    for prefix in ("pre", "post"):
        command = getattr(policy, f"{prefix}_command", None) or {}
        for key in COMMAND_KEYS:
            initial[f"{prefix}_{key}"] = command.get(key)
        initial[f"{prefix}_private_key"] = ""  # never shown; empty keeps it
        initial[f"{prefix}_key_kept"] = bool(command.get("private_key"))
    return initial
