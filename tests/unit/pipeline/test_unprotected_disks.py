# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What a restore point says it does not hold (``storage_backup.unprotected_disks``), for documents written with the
record and before it, and the refusal to copy an encrypted volume into an unencrypted repository."""
from __future__ import annotations

import pytest
from storage_backup.contract import Destination
from storage_backup.pipeline.backup import refuse_clear_copy_of_encrypted
from storage_backup.pipeline.errors import InvalidJobRequest
from storage_backup.unprotected_disks import describe_unprotected, unprotected_disks


def test_the_record_wins_and_an_older_document_is_read_from_its_flavor():
    recorded = {"flavor": {"ephemeral": 5, "swap": 0}, "unprotected_disks": [{"kind": "swap", "size_mb": 1}]}
    assert unprotected_disks(recorded) == [{"kind": "swap", "size_mb": 1}]
    older = {"flavor": {"name": "m1.eph", "ephemeral": 2, "swap": 512}}
    assert unprotected_disks(older) == [{"kind": "ephemeral", "size_mb": 2048}, {"kind": "swap", "size_mb": 512}]
    # Nova before 2.75 answers "" for a flavor without swap; a document without a flavor holds nothing to say.
    assert unprotected_disks({"flavor": {"ephemeral": 0, "swap": ""}}) == []
    assert unprotected_disks({}) == []


def test_the_warning_says_what_why_and_what_to_do():
    text = describe_unprotected([{"kind": "ephemeral", "size_mb": 2048}, {"kind": "swap", "size_mb": 512}], "m1.eph")
    assert "2 GiB ephemeral disk" in text and "512 MiB swap disk" in text and "NOT backed up" in text
    assert "Cinder" in text and "volumes" in text


def test_an_encrypted_volume_is_never_copied_into_an_unencrypted_repository():
    document = {"name": "db-1", "block_device_mapping": [
        {"volume_id": "vol-1", "name": "db-1-root", "volume_type": "luks", "encrypted": True},
        {"volume_id": "vol-2", "name": "db-1-data", "volume_type": "standard", "encrypted": False}]}
    with pytest.raises(InvalidJobRequest) as refused:
        refuse_clear_copy_of_encrypted(document, Destination(id="dest-1", path="/r", encrypted=False))
    assert "vol-1" in str(refused.value) and "vol-2" not in str(refused.value) and "encrypted" in str(refused.value)
    refuse_clear_copy_of_encrypted(document, Destination(id="dest-1", path="/r", encrypted=True))
    refuse_clear_copy_of_encrypted({"block_device_mapping": [document["block_device_mapping"][1]]},
                                   Destination(id="dest-1", path="/r", encrypted=False))
