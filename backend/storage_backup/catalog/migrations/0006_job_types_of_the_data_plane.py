# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The job types of the data plane (``delete``, ``prune``, ``lock``, ``rebuild``), and verification moved from the
proxies to the data workers: a verify job still waiting to be sent goes to queue ``data`` as
``data.verify_restore_point`` (docs/TASKS.md) instead of ``proxy.verify_restore_point``, which no worker serves now.
"""
from django.db import migrations, models

OLD_TASK, NEW_TASK, DATA_QUEUE = "proxy.verify_restore_point", "data.verify_restore_point", "data"


def _verify_on_the_data_plane(apps, schema_editor) -> None:
    Job = apps.get_model("catalog", "Job")
    Job.objects.filter(type="verify", task_name=OLD_TASK, state="queued", celery_task_id="").update(
        task_name=NEW_TASK, queue=DATA_QUEUE, availability_zone="")


def _verify_on_the_proxies(apps, schema_editor) -> None:
    Job = apps.get_model("catalog", "Job")
    RestorePoint = apps.get_model("catalog", "RestorePoint")
    for job in Job.objects.filter(type="verify", task_name=NEW_TASK, state="queued", celery_task_id=""):
        zone = RestorePoint.objects.filter(pk=job.restore_point_id).values_list("availability_zone", flat=True).first()
        zone = zone or ""
        Job.objects.filter(pk=job.pk).update(task_name=OLD_TASK, queue=f"proxy.{zone}", availability_zone=zone)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0005_job_one_active_backup_mariadb"),
    ]

    operations = [
        migrations.AlterField(
            model_name="job",
            name="type",
            field=models.CharField(choices=[("backup", "Backup"), ("restore", "Restore"),
                                            ("restore_volume", "Restore Volume"), ("verify", "Verify"),
                                            ("delete", "Delete"), ("prune", "Prune"), ("lock", "Lock"),
                                            ("rebuild", "Rebuild"), ("retention", "Retention")], max_length=16),
        ),
        migrations.RunPython(_verify_on_the_data_plane, _verify_on_the_proxies),
    ]
