# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A policy's read-bandwidth cap (``read_limit_mbps``); what each backup job read and stored (the metrics' byte
counters, which must not fall when retention deletes restore points), filled for the jobs whose restore points are
still in the catalog; and an index for the metrics' count of jobs by state and type (``services/metrics.py``)."""
from django.db import migrations, models


def bytes_from_restore_points(apps, schema_editor) -> None:
    job_model = apps.get_model("catalog", "Job")
    restore_point_model = apps.get_model("catalog", "RestorePoint")
    rows = restore_point_model.objects.exclude(job_id="").values_list("job_id", "bytes_read", "bytes_stored")
    for job_id, bytes_read, bytes_stored in rows.iterator(chunk_size=1000):
        job_model.objects.filter(pk=job_id).update(bytes_read=bytes_read, bytes_stored=bytes_stored)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0017_vault"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="read_limit_mbps",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="job",
            name="bytes_read",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="job",
            name="bytes_stored",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["state", "type"], name="job_state_type"),
        ),
        migrations.RunPython(bytes_from_restore_points, migrations.RunPython.noop),
    ]
