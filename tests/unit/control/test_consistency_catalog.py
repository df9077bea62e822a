# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The catalog holds restore points' consistency in the one vocabulary: rows indexed from older repositories are
mapped by migration 0006 as the engine maps documents on read, and what a backup reports is a member of it."""
from __future__ import annotations

import importlib
import uuid

from django.apps import apps
from django.utils import timezone
from storage_backup.catalog.models import Destination, RestorePoint
from storage_backup.consistency import Consistency

MIGRATION = importlib.import_module("storage_backup.catalog.migrations.0007_restore_point_consistency")


def test_the_migration_maps_the_words_of_older_repositories(tmp_path):
    destination = Destination.objects.create(name=f"words-{uuid.uuid4().hex[:6]}", path=str(tmp_path))
    project = f"proj-{uuid.uuid4().hex[:8]}"
    stored = {"group-snapshot": "group", "back-to-back": "per-volume", "crash-consistent": "crash",
              "offline-image": "offline", "per-volume": "per-volume", "hand-made": "unknown", "": ""}
    rows = {word: RestorePoint.objects.create(id=str(uuid.uuid4()), project_id=project, instance_id="i",
                                              destination=destination, created_at=timezone.now(),
                                              consistency=word) for word in stored}
    MIGRATION._map_old_words(apps, None)
    for word, expected in stored.items():
        assert RestorePoint.objects.get(pk=rows[word].pk).consistency == expected, word
    assert set(MIGRATION.VALUES) == {member.value for member in Consistency}  # the frozen copy is current
    assert MIGRATION.OLD_WORDS == {old: Consistency.read(old).value for old in MIGRATION.OLD_WORDS}


def test_the_model_and_the_api_offer_the_vocabulary():
    from storage_backup.rest.serializers import RestorePointSerializer

    field = RestorePoint._meta.get_field("consistency")
    assert [value for value, _label in field.choices] == [member.value for member in Consistency]
    assert list(RestorePointSerializer().fields["consistency"].choices) == [member.value for member in Consistency]
