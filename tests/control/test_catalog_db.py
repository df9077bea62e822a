"""The catalog's database: the engine this run uses, and the rules the database itself enforces."""
from __future__ import annotations

import os
import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from backend.catalog.models import Job


def test_engine_is_the_one_asked_for():
    wanted = os.environ.get("STORAGE_BACKUP_TEST_DATABASE", "sqlite").lower()
    expected = "postgresql" if wanted in ("postgresql", "postgres", "pg") else "sqlite"
    assert connection.vendor == expected
    if expected == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW port")
            assert cursor.fetchone()[0] != "5432"  # never the system's server


def test_one_active_backup_per_instance_is_a_database_constraint():
    instance_id = str(uuid.uuid4())
    Job.objects.create(type="backup", project_id="p", instance_id=instance_id, state="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(type="backup", project_id="p", instance_id=instance_id, state="queued")
    # Ended jobs and other job types do not count.
    Job.objects.create(type="backup", project_id="p", instance_id=instance_id, state="failed")
    Job.objects.create(type="restore", project_id="p", instance_id=instance_id, state="queued")
