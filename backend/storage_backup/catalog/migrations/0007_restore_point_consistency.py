# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Restore points' ``consistency`` in the one vocabulary (``storage_backup.consistency.Consistency``).

Rows indexed from repositories of older releases (by a catalog rebuild) may hold the words those releases wrote in
restore-point documents: they are mapped as the engine maps them on read (docs/REPOSITORY_FORMAT.md,
"Consistency"). Going back leaves the new words in place: the old code took any string.
"""
from django.db import migrations, models

# Frozen here, as a migration must be: the vocabulary and the old words as of this migration.
VALUES = ("group", "per-volume", "crash", "offline", "unknown")
OLD_WORDS = {"group-snapshot": "group", "back-to-back": "per-volume", "crash-consistent": "crash",
             "offline-image": "offline"}


def _map_old_words(apps, schema_editor) -> None:
    restore_point = apps.get_model("catalog", "RestorePoint")
    for value in restore_point.objects.exclude(consistency="").values_list("consistency", flat=True).distinct():
        if value not in VALUES:
            restore_point.objects.filter(consistency=value).update(consistency=OLD_WORDS.get(value, "unknown"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_job_types_of_the_data_plane")]

    operations = [
        migrations.AlterField(
            model_name="restorepoint", name="consistency",
            field=models.CharField(blank=True, default="", max_length=16,
                                   choices=[(value, value) for value in VALUES]),
        ),
        migrations.RunPython(_map_old_words, migrations.RunPython.noop),
    ]
