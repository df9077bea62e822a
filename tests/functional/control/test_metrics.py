# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The metrics' figures from catalog rows this test makes (``services/metrics.py``): job durations into the right
buckets, lock maintenance alerts, proxies down, instances past their RPO (never backed up, or backed up too long
ago). Compared as differences, since other tests of the session leave rows of their own; then the same figures
scraped over HTTP from the real API process by an administrator. The whole product's scrape after real backups is
tests/functional/e2e/test_operations.py."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from storage_backup.catalog.models import Destination, Job, JobState, Policy, ProtectedInstance, Proxy, RestorePoint
from storage_backup.services.metrics import CatalogCollector

pytestmark = pytest.mark.catalog


def samples_of(text: str) -> dict:
    found: dict = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def collect() -> dict:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CatalogCollector())
    return samples_of(generate_latest(registry).decode())


def _value(samples: dict, name: str, **labels) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


def _lock_location() -> str:
    return (f"s3://metrics-{uuid.uuid4().hex[:8]}/repo?endpoint=http://127.0.0.1:9&region=default&path_style=1"
            "&lock=COMPLIANCE&lock_days=30")


@pytest.fixture
def rows(control_plane):
    """What the test makes, removed after it."""
    made: dict[str, list] = {"jobs": [], "destinations": [], "policies": [], "instances": [], "proxies": []}
    yield made
    Job.objects.filter(id__in=made["jobs"]).delete()
    RestorePoint.objects.filter(instance_id__in=made["instances"]).delete()
    ProtectedInstance.objects.filter(instance_id__in=made["instances"]).delete()
    Policy.objects.filter(id__in=made["policies"]).delete()
    Destination.objects.filter(id__in=made["destinations"]).delete()
    Proxy.objects.filter(hostname__in=made["proxies"]).delete()


def _ended_job(rows: dict, seconds: float, state: str = JobState.SUCCEEDED, **fields) -> None:
    finished = timezone.now()
    job = Job.objects.create(project_id="metrics-project", state=state, **{"type": "verify", **fields},
                             started_at=finished - dt.timedelta(seconds=seconds), finished_at=finished)
    rows["jobs"].append(job.id)


def test_the_figures_follow_the_catalog(control_plane, rows):
    before = collect()
    now = timezone.now()
    for seconds, state in ((5, JobState.SUCCEEDED), (45, JobState.FAILED), (4000, JobState.CANCELLED)):
        _ended_job(rows, seconds, state)
    # A succeeded backup whose restore point retention already deleted still counts; a failed one never does.
    _ended_job(rows, 30, type="backup", bytes_read=7000, bytes_stored=700)
    _ended_job(rows, 30, JobState.FAILED, type="backup", bytes_read=99, bytes_stored=99)
    failing = Destination.objects.create(name="metrics-failing", type="s3", path=_lock_location(),
                                         lock_maintenance_failed_at=now, lock_maintenance_error="endpoint down")
    healthy = Destination.objects.create(name="metrics-healthy", type="s3", path=_lock_location(),
                                         lock_maintained_at=now)
    plain = Destination.objects.create(name="metrics-fs", path="/srv/metrics")
    rows["destinations"] += [failing.id, healthy.id, plain.id]
    policy = Policy.objects.create(name="metrics-daily", project_id="metrics-project", schedule="0 3 * * *",
                                   destination=plain)
    unscheduled = Policy.objects.create(name="metrics-on-demand", project_id="metrics-project", destination=plain)
    rows["policies"] += [policy.id, unscheduled.id]
    never, recent, stale, on_demand = (f"metrics-{name}-{uuid.uuid4().hex[:8]}"
                                       for name in ("never", "recent", "stale", "on-demand"))
    for instance_id, assigned_to in ((never, policy), (recent, policy), (stale, policy), (on_demand, unscheduled)):
        ProtectedInstance.objects.create(instance_id=instance_id, project_id="metrics-project", policy=assigned_to)
        rows["instances"].append(instance_id)
    # Assigned three days ago; a day's schedule × the default factor 2 allows two days.
    ProtectedInstance.objects.filter(instance_id__in=rows["instances"]).update(created_at=now - dt.timedelta(days=3))
    for instance_id, age in ((recent, dt.timedelta(hours=1)), (stale, dt.timedelta(days=2, hours=1))):
        RestorePoint.objects.create(id=f"rp-{instance_id}", project_id="metrics-project", instance_id=instance_id,
                                    destination=plain, created_at=now - age, bytes_read=3000, bytes_stored=1000)
    Proxy.objects.create(hostname="proxy-metrics-down@host", availability_zone="metrics-zone",
                         last_heartbeat=now - dt.timedelta(hours=1))
    rows["proxies"].append("proxy-metrics-down@host")

    after = collect()

    def grew(name: str, **labels) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert set(after["storage_backup_metrics_part_ok"].values()) == {1.0}, after["storage_backup_metrics_part_ok"]
    for state in ("succeeded", "failed", "cancelled"):
        assert grew("storage_backup_jobs", type="verify", state=state) == 1
    bucket = "storage_backup_job_duration_seconds_bucket"
    assert [grew(bucket, type="verify", le=le) for le in ("10.0", "60.0", "3600.0", "7200.0", "+Inf")] == \
        [1, 2, 2, 3, 3]
    assert grew("storage_backup_job_duration_seconds_count", type="verify") == 3
    assert grew("storage_backup_job_duration_seconds_sum", type="verify") == pytest.approx(4050, abs=1)
    assert grew("storage_backup_backup_read_bytes_total") == 7000
    assert grew("storage_backup_backup_stored_bytes_total") == 700
    assert _value(after, "storage_backup_lock_maintenance_alert", destination=failing.id, problem="failed") == 1
    assert (("destination", healthy.id), ("problem", "failed")) not in after["storage_backup_lock_maintenance_alert"]
    assert _value(after, "storage_backup_lock_maintenance_last_success_timestamp_seconds",
                  destination=healthy.id) == pytest.approx(now.timestamp(), abs=1)
    assert grew("storage_backup_lock_maintenance_failing_destinations") == 1
    # never backed up (assigned 3 days ago) and backed up 2 days 1 h ago are past; 1 h ago and on demand are not.
    assert grew("storage_backup_instances_past_rpo") == 2
    assert grew("storage_backup_protected_instances_scheduled") == 3
    assert _value(after, "storage_backup_restore_points", destination=plain.id) == 2
    assert _value(after, "storage_backup_restore_points_read_bytes", destination=plain.id) == 6000
    assert _value(after, "storage_backup_restore_points_stored_bytes", destination=plain.id) == 2000
    assert _value(after, "storage_backup_proxy_up", availability_zone="metrics-zone",
                  proxy="proxy-metrics-down@host") == 0
    assert _value(after, "storage_backup_availability_zone_proxies_up", availability_zone="metrics-zone") == 0
    assert "control" in {dict(labels)["queue"] for labels in after["storage_backup_queue_messages"]}

    # The API process, another process on the same catalog and Redis, answers an administrator the same.
    response = requests.get(control_plane.url + "/metrics", headers={"X-Auth-Token": control_plane.token("admin")},
                            timeout=30)
    assert response.status_code == 200, response.text
    scraped = samples_of(response.text)
    for name, labels in (("storage_backup_lock_maintenance_alert", {"destination": failing.id, "problem": "failed"}),
                         ("storage_backup_restore_points_read_bytes", {"destination": plain.id}),
                         ("storage_backup_availability_zone_proxies_up", {"availability_zone": "metrics-zone"})):
        assert _value(scraped, name, **labels) == _value(after, name, **labels), name
    assert _value(scraped, "storage_backup_instances_past_rpo") == _value(after, "storage_backup_instances_past_rpo")
    assert "metrics-project" not in response.text and "metrics-failing" not in response.text  # ids, no tenant names
