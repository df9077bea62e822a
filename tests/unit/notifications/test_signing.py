# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Webhook signatures: HMAC-SHA256 over ``<t>.<body>``, checked the way a receiver checks them."""
from __future__ import annotations

import hashlib
import hmac

import pytest
from storage_backup.notifications import signing

SECRET = "whsec_test-secret"
BODY = b'{"event_type":"backup.end"}'


def test_the_header_is_hmac_sha256_of_timestamp_dot_body():
    header = signing.sign(SECRET, BODY, timestamp=1700000000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_a_receiver_accepts_a_fresh_signature():
    header = signing.sign(SECRET, BODY, timestamp=1700000000)
    assert signing.verify(SECRET, BODY, header, now=1700000010) == 1700000000


@pytest.mark.parametrize(("secret", "body", "now", "why"), [
    ("whsec_other", BODY, 1700000010, "no v1 signature matches"),
    (SECRET, BODY + b" ", 1700000010, "no v1 signature matches"),
    (SECRET, BODY, 1700000000 + 301, "more than 300 s away"),
])
def test_a_receiver_refuses_another_secret_a_changed_body_or_a_replay(secret, body, now, why):
    header = signing.sign(SECRET, BODY, timestamp=1700000000)
    with pytest.raises(signing.SignatureInvalid, match=why):
        signing.verify(secret, body, header, now=now)


def test_a_header_without_timestamp_is_refused():
    with pytest.raises(signing.SignatureInvalid, match="no timestamp"):
        signing.verify(SECRET, BODY, "v1=abc")


def test_secrets_are_random_and_long():
    first, second = signing.new_secret(), signing.new_secret()
    assert first != second and first.startswith("whsec_") and len(first) >= 40
