# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""MariaDB (and MySQL): the database enforces "at most one active backup per instance" too.

``Job.Meta.constraints`` holds it as a partial unique index (``one_active_backup_per_instance``), which SQLite and
PostgreSQL build. MariaDB has no partial indexes, so Django skips it there (check models.W036), and the service
layer's ``select_for_update`` cannot stand in for it: at READ COMMITTED (the catalog's isolation level) locking no
row takes no gap lock, so two concurrent requests both see no active backup and both insert one.

Here the same rule is a unique index on a generated column that holds ``instance_id`` while the job is an active
backup and NULL otherwise (NULLs never collide): a second active backup of an instance fails with IntegrityError,
as on PostgreSQL, and ``jobs.create_backup`` answers 409. The column is the database's alone (the model does not
know it; Django never selects it, inserts leave it to the database). Other databases: nothing to do.

Refuses to run while an instance already has more than one active backup (possible before this index): it names
them, so an operator lets them end or cancels them, then migrates again, rather than it choosing which one fails.
"""
from django.db import migrations

TABLE = "catalog_job"
COLUMN = "active_backup_instance_id"
INDEX = "one_active_backup_per_instance"


def _add(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "mysql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT instance_id, GROUP_CONCAT(id ORDER BY created_at) FROM {TABLE} "
                       "WHERE type = 'backup' AND state IN ('queued', 'running') "
                       "GROUP BY instance_id HAVING COUNT(*) > 1")
        duplicates = cursor.fetchall()
    if duplicates:
        raise RuntimeError("these instances have more than one active backup job, which the new unique index "
                           "forbids; let them end or cancel all but one, then run migrate again: "
                           + "; ".join(f"{instance}: {jobs}" for instance, jobs in duplicates))
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN {COLUMN} varchar(64) AS "
        f"(IF(type = 'backup' AND state IN ('queued', 'running'), instance_id, NULL)) STORED, "
        f"ADD UNIQUE INDEX {INDEX} ({COLUMN})")


def _remove(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "mysql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP INDEX {INDEX}, DROP COLUMN {COLUMN}")


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0004_seal_catalog_secrets"),
    ]

    operations = [
        # MariaDB cannot roll DDL back, and Django refuses DDL inside a transaction there.
        migrations.RunPython(_add, _remove, atomic=False, elidable=False),
    ]
