# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<body>`` with the hook's secret, in one header.

``X-Storage-Backup-Signature: t=<unix seconds>,v1=<hex digest>``, as Stripe signs its webhooks: the timestamp is
signed with the body, so a receiver that refuses old timestamps (``verify``'s ``tolerance``) cannot be fed a
recorded delivery again. ``v1`` names the scheme, so another can be added beside it later.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "X-Storage-Backup-Signature"
EVENT_HEADER = "X-Storage-Backup-Event"
DELIVERY_HEADER = "X-Storage-Backup-Delivery"
SCHEME = "v1"
#: 32 random bytes, URL-safe: the secret a hook is created with.
SECRET_BYTES = 32


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header's value for ``body`` sent now (or at ``timestamp``)."""
    moment = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={moment},{SCHEME}={digest(secret, moment, body)}"


class SignatureInvalid(ValueError):
    pass


def verify(secret: str, body: bytes, header: str, tolerance: float = 300, now: float | None = None) -> int:
    """What a receiver does (and the tests): the header's timestamp if the signature is good and recent enough,
    else ``SignatureInvalid`` saying why."""
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        raise SignatureInvalid("no timestamp (t=) in the signature header") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureInvalid(f"timestamp {timestamp} is more than {tolerance:g} s away")
    expected = digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in fields.get(SCHEME, [])):
        raise SignatureInvalid(f"no {SCHEME} signature matches")
    return timestamp
