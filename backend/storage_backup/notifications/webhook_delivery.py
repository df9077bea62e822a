# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""One POST of one event to one webhook: JSON body, signed (``signing``), a bounded timeout, no redirects (a
redirect could lead past the allowed hosts). Any 2xx is delivered; anything else is tried again by the caller."""
from __future__ import annotations

import json
import uuid

import requests
from django.conf import settings

from storage_backup.notifications import signing, targets
from storage_backup.notifications.events import JobEvent

USER_AGENT = "storage-backup-webhook/1"


def body(event: JobEvent, delivery_id: str) -> bytes:
    document = {"id": delivery_id, "event_type": event.event_type, "at": event.at, "payload": event.payload}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class DeliveryFailed(Exception):
    pass


def post(url: str, secret: str, event: JobEvent, delivery_id: str | None = None) -> int:
    """The receiver's HTTP status (2xx), or ``DeliveryFailed`` saying why."""
    delivery_id = delivery_id or str(uuid.uuid4())
    try:
        targets.check_resolved(url)
    except targets.TargetRefused as error:
        raise DeliveryFailed(str(error)) from None
    data = body(event, delivery_id)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               signing.HEADER: signing.sign(secret, data), signing.EVENT_HEADER: event.event_type,
               signing.DELIVERY_HEADER: delivery_id}
    timeout = settings.NOTIFICATIONS["webhook_timeout"]
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the worker's environment: the URL checked is the URL called
    try:
        with session:
            response = session.post(url, data=data, headers=headers, timeout=(timeout, timeout),
                                    allow_redirects=False)
    except requests.RequestException as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}")
    return response.status_code
