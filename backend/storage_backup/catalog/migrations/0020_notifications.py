# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Notifications: a project's signed webhooks, and whom a policy e-mails about its jobs and when."""
import storage_backup.catalog.models
import storage_backup.catalog.secrets
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0019_job_file_restore'),
    ]

    operations = [
        migrations.CreateModel(
            name='Webhook',
            fields=[
                ('id', models.CharField(default=storage_backup.catalog.models.new_id, editable=False, max_length=36, primary_key=True, serialize=False)),
                ('project_id', models.CharField(db_index=True, max_length=64)),
                ('url', models.CharField(max_length=2048)),
                ('description', models.CharField(blank=True, default='', max_length=255)),
                ('enabled', models.BooleanField(default=True)),
                ('secret', storage_backup.catalog.secrets.SealedTextField()),
                ('created_by', models.CharField(blank=True, default='', max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('last_delivery_at', models.DateTimeField(blank=True, null=True)),
                ('last_delivery_status', models.CharField(blank=True, default='', max_length=255)),
            ],
            options={
                'ordering': ('created_at', 'id'),
            },
        ),
        migrations.AddField(
            model_name='policy',
            name='notify_emails',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='policy',
            name='notify_on',
            field=models.CharField(choices=[('never', 'never'), ('failure', 'failure'), ('always', 'always')], default='never', max_length=16),
        ),
    ]
