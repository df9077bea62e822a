# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Job events as oslo.messaging notifications, as the OpenStack services emit theirs (cinder's
``volume_utils.notify_about_backup_usage``): driver ``messagingv2``, topic ``notifications``, publisher
``storage-backup.<host>``, priority INFO for start, end and cancel (asked for, not a fault), ERROR for an error.

Off unless ``STORAGE_BACKUP_NOTIFICATION_TRANSPORT_URL`` is set. The notifier reconnects at most
``STORAGE_BACKUP_NOTIFICATION_SEND_RETRIES`` times, so a transport that is away drops the event (logged by
``delivery``) instead of holding the control worker.
"""
from __future__ import annotations

import functools
import socket

from django.conf import settings

from storage_backup.notifications.events import JobEvent, Phase

PUBLISHER = "storage-backup"


def enabled() -> bool:
    return bool(settings.NOTIFICATIONS["transport_url"])


def publisher_id() -> str:
    return f"{PUBLISHER}.{settings.NOTIFICATIONS['host'] or socket.gethostname()}"


@functools.cache
def _notifier():
    # Imported here: a control plane without a transport never loads oslo.messaging (nor its drivers).
    import oslo_messaging
    from oslo_config import cfg

    config = settings.NOTIFICATIONS
    conf = cfg.ConfigOpts()
    # No configuration files: every option comes from our settings, never from an /etc/*.conf found by chance.
    conf([], project="storage-backup", default_config_files=[], default_config_dirs=[])
    transport = oslo_messaging.get_notification_transport(conf, url=config["transport_url"])
    return oslo_messaging.Notifier(transport, publisher_id=publisher_id(), driver=config["driver"],
                                   topics=config["topics"], retry=max(int(config["send_retries"]), 0))


def emit(event: JobEvent) -> None:
    """Send one event; raises what the transport raised (``delivery`` logs it)."""
    notifier = _notifier()
    # The request context OpenStack consumers read the project from (no token, no user secret).
    context = {"project_id": event.project_id, "tenant": event.project_id}
    if event.phase == Phase.ERROR.value:
        notifier.error(context, event.event_type, event.payload)
    else:
        notifier.info(context, event.event_type, event.payload)
