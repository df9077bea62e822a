# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The catalog's database: the engine this run uses, and the rules the database itself enforces."""
from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from storage_backup.catalog.models import Job, Proxy

from tests.support.plane import selected_database

# Part of the catalog-heavy subset that tox's functional-postgresql and functional-mariadb run again there.
pytestmark = pytest.mark.catalog

# A project no other test uses: these rows are made straight in the catalog, which the REST API of the same run
# also serves (its schemathesis tests list every project's jobs), so they are removed again after each test.
PROJECT = "catalog-db-test"


@pytest.fixture(autouse=True)
def _remove_jobs_made_here():
    yield
    Job.objects.filter(project_id=PROJECT).delete()


def test_engine_is_the_one_asked_for():
    expected = {"postgresql": "postgresql", "mariadb": "mysql"}.get(selected_database(), "sqlite")
    assert connection.vendor == expected
    if expected == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW port")
            assert cursor.fetchone()[0] != "5432"  # never the system's server
    if expected == "mysql":
        assert connection.mysql_is_mariadb
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@port, @@socket, @@datadir")
            port, socket, datadir = cursor.fetchone()
        assert port != 3306 and not socket.startswith("/run/mysqld")  # never the system's server
        assert not datadir.startswith("/var/lib/mysql")


def test_the_catalog_keeps_what_it_is_given():
    """Four-byte characters in a 255-character key (utf8mb4 on MariaDB, and its index fits), microseconds, JSON
    with non-ASCII text and integers past 32 bits come back as they went in."""
    hostname = f"proxy-{uuid.uuid4()}-sauvegardé-🙂".ljust(255, "🙂")
    at = datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
    Proxy.objects.create(hostname=hostname, availability_zone="zone-été-🙂", last_heartbeat=at)
    proxy = Proxy.objects.get(pk=hostname)
    assert (proxy.hostname, proxy.availability_zone, proxy.last_heartbeat) == (hostname, "zone-été-🙂", at)
    proxy.delete()
    log = [{"at": at.isoformat(), "step": "restore", "message": "Sauvegarde terminée 🙂", "bytes": 2**53 + 1,
            "nested": {"ok": True}}]
    job = Job.objects.create(type="restore", project_id=PROJECT, state="succeeded", log=log,
                             progress={"bytes_done": 5 * 2**40})
    job.refresh_from_db()
    assert (job.log, job.progress) == (log, {"bytes_done": 5 * 2**40})
    assert Job.objects.filter(pk=job.pk, created_at=job.created_at).exists()  # microseconds kept, not rounded


def test_one_active_backup_per_instance_is_a_database_constraint():
    instance_id = str(uuid.uuid4())
    Job.objects.create(type="backup", project_id=PROJECT, instance_id=instance_id, state="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(type="backup", project_id=PROJECT, instance_id=instance_id, state="queued")
    # Ended jobs and other job types do not count.
    Job.objects.create(type="backup", project_id=PROJECT, instance_id=instance_id, state="failed")
    Job.objects.create(type="restore", project_id=PROJECT, instance_id=instance_id, state="queued")


def test_two_concurrent_backup_requests_leave_one_active_job():
    """The service's check-then-insert race (``jobs.create_backup``): each request finds no active backup under
    ``select_for_update``, then inserts. Locking no row locks nothing at READ COMMITTED, so the database's unique
    index is what stops the second one (on MariaDB the generated-column index of migration 0005)."""
    instance_id = str(uuid.uuid4())
    checked = {name: threading.Event() for name in ("a", "b")}
    outcome: dict[str, str] = {}

    def request(name: str, other: str) -> None:
        try:
            with transaction.atomic():
                busy = Job.objects.select_for_update().filter(instance_id=instance_id, type="backup",
                                                              state__in=["queued", "running"]).first()
                checked[name].set()
                checked[other].wait(timeout=1)  # SQLite serialises the two transactions: the other waits
                if busy is not None:
                    outcome[name] = "busy"
                    return
                Job.objects.create(type="backup", project_id=PROJECT, instance_id=instance_id, state="queued")
            outcome[name] = "created"
        except IntegrityError:
            outcome[name] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcome.values()) in (["busy", "created"], ["created", "refused"]), outcome
    assert Job.objects.filter(instance_id=instance_id, state__in=["queued", "running"]).count() == 1
    Job.objects.filter(instance_id=instance_id).update(state="cancelled")  # nothing for a dispatcher to pick up
