# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""E-mail about a policy's jobs through SMTP: on failure only or always (every ending: succeeded, failed or
cancelled), as the policy's ``notify_on`` says, to its ``notify_emails``. Off unless ``STORAGE_BACKUP_SMTP_HOST`` is
set; STARTTLS (the server's certificate verified) and login when configured."""
from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from storage_backup.notifications.events import JobEvent, Phase

#: Which phases a policy's ``notify_on`` mails about (a start is never worth a mail). ``always`` is every ending, a
#: cancel too: whoever reads every mail should learn that a backup did not happen; a cancel is not a failure.
MAILED_PHASES = {"never": set(), "failure": {Phase.ERROR.value},
                 "always": {Phase.END.value, Phase.ERROR.value, Phase.CANCEL.value}}
#: How a subject says each ending.
OUTCOMES = {Phase.END.value: "succeeded", Phase.ERROR.value: "failed", Phase.CANCEL.value: "was cancelled"}
NOTIFY_ON = tuple(MAILED_PHASES)


class RecipientsInvalid(ValueError):
    pass


def check_recipients(addresses: object) -> list[str]:
    """A policy's ``notify_emails`` as stored (trimmed, each once), or ``RecipientsInvalid`` naming the bad one."""
    if not isinstance(addresses, list):
        raise RecipientsInvalid("must be a list of e-mail addresses")
    limit = settings.NOTIFICATIONS["max_emails_per_policy"]
    result: list[str] = []
    for address in addresses:
        if not isinstance(address, str):
            raise RecipientsInvalid("must be a list of e-mail addresses")
        address = address.strip()
        try:
            validate_email(address)
        except ValidationError:
            raise RecipientsInvalid(f"{address[:80]!r} is not an e-mail address") from None
        if len(address) > 254:
            raise RecipientsInvalid(f"{address[:80]!r}… is longer than an e-mail address may be (254)")
        if address.lower() not in (known.lower() for known in result):
            result.append(address)
    if len(result) > limit:
        raise RecipientsInvalid(f"at most {limit} addresses")
    return result


def enabled() -> bool:
    return bool(settings.NOTIFICATIONS["smtp_host"])


def wanted(notify_on: str, event: JobEvent) -> bool:
    return event.phase in MAILED_PHASES.get(notify_on, set())


def subject(event: JobEvent) -> str:
    payload = event.payload
    what = payload.get("instance_name") or payload.get("instance_id") or payload.get("restore_point_id") or \
        payload["job_id"]
    outcome = OUTCOMES.get(event.phase, "started")
    kind = payload["job_type"].replace("_", " ")
    return f"[storage-backup] {kind.capitalize()} of {what} {outcome}"


def body(event: JobEvent) -> str:
    payload = event.payload
    lines = [subject(event).removeprefix("[storage-backup] ") + ".", ""]
    shown = (("Job", "job_id"), ("Project", "project_id"), ("Instance", "instance_name"),
             ("Instance ID", "instance_id"), ("Restore point", "restore_point_id"), ("Volumes", "volume_ids"),
             ("Started", "started_at"), ("Finished", "finished_at"), ("Duration (s)", "duration_seconds"),
             ("Bytes read", "bytes_read"), ("Bytes stored", "bytes_stored"), ("Error", "error_code"),
             ("Message", "error_message"), ("Cancelled by", "cancelled_by_user_name"),
             ("Cancelled by (user ID)", "cancelled_by_user_id"))
    for label, key in shown:
        value = payload.get(key)
        if value in (None, "", []):
            continue
        lines.append(f"{label}: {', '.join(value) if isinstance(value, list) else value}")
    lines += ["", "The event as JSON:", json.dumps({"event_type": event.event_type, "payload": payload}, indent=2)]
    return "\n".join(lines) + "\n"


def message(event: JobEvent, recipients: list[str]) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.NOTIFICATIONS["smtp_from"]
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = subject(event)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="storage-backup")
    mail["X-Storage-Backup-Event"] = event.event_type
    mail.set_content(body(event))
    return mail


def send(event: JobEvent, recipients: list[str]) -> None:
    config = settings.NOTIFICATIONS
    with smtplib.SMTP(config["smtp_host"], config["smtp_port"], timeout=config["smtp_timeout"]) as smtp:
        if config["smtp_starttls"]:
            # A verified certificate and host name (smtplib's own default checks neither): the login goes over it.
            smtp.starttls(context=ssl.create_default_context(cafile=config["smtp_ca_file"] or None))
        if config["smtp_username"]:
            smtp.login(config["smtp_username"], config["smtp_password"])
        smtp.send_message(message(event, recipients))
