# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The endpoints the Horizon panels use besides the automation API (backend/storage_backup/rest/views_dashboard.py)
and the list
filters of their paged tables, over HTTP with real Keystone tokens against the real API process."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from storage_backup.catalog.models import Destination, Job, Policy, ProtectedInstance, RestorePoint
from storage_backup.services import policies as policy_service

from storage_backup_dashboard.client import BackupApiError
from tests.support.instances import create_instance, delete_instance


def _expect_400(call, field: str) -> None:
    with pytest.raises(BackupApiError) as raised:
        call()
    assert raised.value.status == 400, raised.value
    assert raised.value.field == field, (raised.value.field, raised.value.message)


@pytest.fixture
def demo_world(control_plane):
    """A policy of the demo project, an instance protected by it, three restore points and jobs of it."""
    project = control_plane.project_id("demo-member")
    destination = Destination.objects.get(pk=control_plane.destination_id)
    suffix = uuid.uuid4().hex[:8]
    policy = Policy.objects.create(project_id=project, name=f"panel-{suffix}", destination=destination,
                                   schedule="30 1 * * *", timezone="UTC")
    instance_id = str(uuid.uuid4())
    name = f"db-{suffix}"
    ProtectedInstance.objects.create(instance_id=instance_id, project_id=project, policy=policy, name=name)
    now = timezone.now()
    points = []
    for age, strategy, lock in ((3, "full", None), (2, "incremental", now + dt.timedelta(days=5)),
                                (1, "incremental", None)):
        points.append(RestorePoint.objects.create(
            id=str(uuid.uuid4()), project_id=project, instance_id=instance_id, instance_name=name,
            destination=destination, policy=policy, created_at=now - dt.timedelta(hours=age), strategy=strategy,
            bytes_total=10 << 30, bytes_read=3 << 30, bytes_stored=1 << 30, retention_lock_until=lock,
            volumes=[{"volume_id": "v1", "size": 10 << 30, "bytes_zero": 7 << 30, "bytes_new": 2 << 30,
                      "bytes_unchanged": 0, "bytes_stored": 1 << 30}],
            metadata={"name": name, "nics": [{"network_id": "net-1", "network_name": "demo-net"}]}))
    failed = Job.objects.create(type="backup", project_id=project, instance_id=instance_id, instance_name=name,
                                state="failed", error="snapshot quota exceeded", finished_at=now,
                                destination=destination, policy=policy)
    return {"project": project, "policy": policy, "instance_id": instance_id, "name": name, "points": points,
            "failed_job": failed}


def test_restore_points_filter_server_side(control_plane, demo_world):
    member = control_plane.client("demo-member")

    def ids(**params):
        return {p["id"] for p in member.request("GET", "/v1/restore-points", params=params)["results"]}

    points = demo_world["points"]
    assert ids(instance_name=demo_world["name"].upper()) == {p.id for p in points}
    assert ids(instance_name=demo_world["name"], strategy="full") == {points[0].id}
    assert ids(instance_name=demo_world["name"], locked="true") == {points[1].id}
    assert ids(instance_name=demo_world["name"], locked="false") == {points[0].id, points[2].id}
    assert ids(policy_id=demo_world["policy"].id) == {p.id for p in points}
    assert not ids(instance_name=demo_world["name"]) & {p["id"] for p in control_plane.client("alt-member").request(
        "GET", "/v1/restore-points", params={"instance_name": demo_world["name"]})["results"]}
    _expect_400(lambda: member.request("GET", "/v1/restore-points", params={"strategy": "sometimes"}), "strategy")
    _expect_400(lambda: member.request("GET", "/v1/restore-points", params={"locked": "maybe"}), "locked")


def test_jobs_and_policies_filter_server_side(control_plane, demo_world):
    member = control_plane.client("demo-member")
    jobs = member.request("GET", "/v1/jobs", params={"instance_name": demo_world["name"], "active": "false",
                                                     "type": "backup"})["results"]
    assert [job["id"] for job in jobs] == [demo_world["failed_job"].id]
    assert not member.request("GET", "/v1/jobs", params={"instance_name": demo_world["name"], "active": "true"})[
        "results"]
    _expect_400(lambda: member.request("GET", "/v1/jobs", params={"type": "teleport"}), "type")
    found = member.request("GET", "/v1/policies", params={"name": demo_world["policy"].name[-8:]})["results"]
    assert [policy["id"] for policy in found] == [demo_world["policy"].id]


def test_instance_status_answers_for_a_page_of_instances(control_plane, demo_world):
    unknown = str(uuid.uuid4())
    member = control_plane.client("demo-member")
    answer = member.request("GET", "/v1/instance-status", params={"instance_id": [demo_world["instance_id"],
                                                                                  unknown]})
    by_id = {entry["instance_id"]: entry for entry in answer}
    entry = by_id[demo_world["instance_id"]]
    assert entry["protected"] and entry["policy_name"] == demo_world["policy"].name
    assert entry["last_restore_point"]["id"] == demo_world["points"][2].id
    assert entry["last_job"]["state"] == "failed" and entry["last_backup_result"]["error"]
    assert entry["active_job"] is None
    assert entry["next_run_at"].endswith(("01:30:00Z", "01:30:00+00:00"))
    assert by_id[unknown] == {**by_id[unknown], "protected": False, "last_restore_point": None, "last_job": None}
    # another project's member learns nothing about demo's instance
    other = control_plane.client("alt-member").request("GET", "/v1/instance-status",
                                                       params={"instance_id": demo_world["instance_id"]})
    assert other[0]["protected"] is False and other[0]["last_restore_point"] is None and other[0]["last_job"] is None
    _expect_400(lambda: member.request("GET", "/v1/instance-status",
                                       params={"instance_id": [str(i) for i in range(201)]}), "instance_id")


def test_schedule_preview(control_plane):
    member = control_plane.client("demo-member")
    preview = member.request("GET", "/v1/schedule-preview", params={
        "schedule": "0 2 * * 1", "timezone": "Europe/Warsaw", "count": 3})
    runs = [dt.datetime.fromisoformat(run.replace("Z", "+00:00")) for run in preview["next_runs"]]
    assert len(runs) == 3 and runs == sorted(runs)
    assert all(run.astimezone(dt.UTC).hour in (0, 1) and run.weekday() == 0 for run in runs)
    assert runs[1] - runs[0] >= dt.timedelta(days=6, hours=23)
    windowed = member.request("GET", "/v1/schedule-preview", params={
        "schedule": "0 * * * *", "window_start": "22:00", "window_end": "02:00", "count": 6})["next_runs"]
    assert {dt.datetime.fromisoformat(run.replace("Z", "+00:00")).hour for run in windowed} <= {22, 23, 0, 1}
    _expect_400(lambda: member.request("GET", "/v1/schedule-preview", params={"schedule": "every night"}),
                "schedule")
    _expect_400(lambda: member.request("GET", "/v1/schedule-preview", params={"schedule": "0 2 * * *",
                                                                              "timezone": "Mars/Olympus"}),
                "timezone")
    _expect_400(lambda: member.request("GET", "/v1/schedule-preview", params={"schedule": "0 2 * * *",
                                                                              "window_start": "22:00"}),
                "window_end")


def test_restore_point_instance_document(control_plane, demo_world):
    point = demo_world["points"][0]
    document = control_plane.client("demo-member").request("GET", f"/v1/restore-points/{point.id}/instance")
    assert document["nics"][0]["network_name"] == "demo-net"
    with pytest.raises(BackupApiError) as raised:
        control_plane.client("alt-member").request("GET", f"/v1/restore-points/{point.id}/instance")
    assert raised.value.status == 404


def test_overview_counts_what_the_catalog_holds(control_plane, demo_world):
    admin = control_plane.client("admin")
    overview = admin.request("GET", "/v1/overview", params={"days": 7})
    assert overview["days"] == 7 and len(overview["jobs"]["per_day"]) == 7
    assert overview["jobs"]["per_day"][-1]["failed"] >= 1
    assert overview["stored"]["per_day"][-1]["bytes_stored"] >= 3 << 30
    assert any(row["project_id"] == demo_world["project"] for row in overview["top_projects"])
    assert overview["data"]["deduplication_ratio"] and overview["data"]["compression_ratio"]
    # reduction: the data read (non-zero) per byte stored, never the provisioned size's zeros (issue 14)
    data = overview["data"]
    assert data["reduction_ratio"] == round(data["bytes_read"] / data["bytes_stored"], 2)
    assert data["logical_bytes"] > data["bytes_read"]  # the demo world's volumes are mostly zeros
    assert any(job["id"] == demo_world["failed_job"].id for job in overview["attention"]["failed_jobs"])
    assert len(admin.request("GET", "/v1/overview", params={"days": 30})["stored"]["per_day"]) == 30
    _expect_400(lambda: admin.request("GET", "/v1/overview", params={"days": 12}), "days")
    with pytest.raises(BackupApiError) as raised:
        control_plane.client("demo-member").request("GET", "/v1/overview")
    assert raised.value.status == 403


def test_the_overview_counts_the_clouds_instances_exactly(control_plane, demo_world):
    """The instance counts come from the cloud and the catalog; two servers of this test's own move them by exactly
    one protected and one unprotected instance (no other test runs meanwhile)."""
    admin = control_plane.client("admin")
    session = control_plane.sandbox.session("demo-member")

    def counts() -> dict:
        figures = admin.request("GET", "/v1/overview", params={"days": 7})["instances"]
        assert figures["error"] == "", figures
        return {key: figures[key] for key in ("total", "protected", "unprotected")}

    before = counts()
    assert before["total"] == before["protected"] + before["unprotected"]
    servers = [create_instance(session, name=f"count-{uuid.uuid4().hex[:6]}") for _ in range(2)]
    try:
        ProtectedInstance.objects.create(instance_id=servers[0]["id"], project_id=demo_world["project"],
                                         policy=demo_world["policy"], name=servers[0]["name"])
        assert counts() == {"total": before["total"] + 2, "protected": before["protected"] + 1,
                            "unprotected": before["unprotected"] + 1}
    finally:
        ProtectedInstance.objects.filter(instance_id__in=[server["id"] for server in servers]).delete()
        for server in servers:
            delete_instance(session, server["id"])


def test_destination_edit_usage_and_minimum_lock(control_plane, demo_world, tmp_path):
    admin = control_plane.client("admin")
    created = admin.destination_create(name=f"worm-{uuid.uuid4().hex[:6]}", path=str(tmp_path),
                                       retention_lock_min_days=3)
    assert created["retention_lock_min_days"] == 3
    updated = admin.request("PATCH", f"/v1/destinations/{created['id']}",
                            json={"name": "worm-renamed", "retention_lock_min_days": 10})
    assert updated["name"] == "worm-renamed" and updated["retention_lock_min_days"] == 10
    _expect_400(lambda: admin.request("PATCH", f"/v1/destinations/{created['id']}", json={"path": "/elsewhere"}),
                "path")
    _expect_400(lambda: admin.request("PATCH", f"/v1/destinations/{created['id']}",
                                      json={"retention_lock_min_days": -1}), "retention_lock_min_days")
    usage = {row["destination_id"]: row for row in admin.request("GET", "/v1/destination-usage")}
    assert usage[created["id"]]["reachable"] and usage[created["id"]]["filesystem_bytes"] > 0
    assert usage[control_plane.destination_id]["restore_points"] >= 3
    # the destination's floor applies to a policy asking for less
    policy = Policy(project_id=demo_world["project"], name="short-lock", retention_lock_days=2,
                    destination=Destination.objects.get(pk=created["id"]))
    now = timezone.now()
    assert policy_service.lock_until(policy, now) == now + dt.timedelta(days=10)
    policy.retention_lock_days = 20
    assert policy_service.lock_until(policy, now) == now + dt.timedelta(days=20)


@pytest.fixture
def proxy_world(control_plane):
    """Two proxies of an availability zone of the test's own and one of another, with jobs in every state.

    The proxies are down (no heartbeat), so no dispatcher sends the queued jobs anywhere; the running ones started
    just now, within the liveness grace, so no sweeper fails them while the test reads."""
    from storage_backup.catalog.models import Proxy

    suffix = uuid.uuid4().hex[:8]
    zone, other_zone = f"az-{suffix}", f"az-other-{suffix}"
    project = f"proxy-project-{suffix}"
    busy, idle, elsewhere = (Proxy.objects.create(hostname=f"{name}-{suffix}@host", availability_zone=az, max_jobs=2)
                             for name, az in (("busy", zone), ("idle", zone), ("elsewhere", other_zone)))
    now = timezone.now()
    jobs = []

    def job(state: str, az: str, proxy: Proxy | None = None, count: int = 1) -> None:
        for _ in range(count):
            jobs.append(Job.objects.create(
                type="backup", project_id=project, instance_id=str(uuid.uuid4()), state=state, availability_zone=az,
                proxy_hostname=proxy.hostname if proxy else "", started_at=now if state == "running" else None,
                finished_at=now if state in ("succeeded", "failed") else None))

    job("running", zone, busy, count=2)
    job("succeeded", zone, busy, count=3)
    job("failed", zone, idle)
    job("queued", zone, count=3)
    job("queued", other_zone)
    job("running", other_zone, elsewhere)
    yield {"busy": busy, "idle": idle, "elsewhere": elsewhere}
    Job.objects.filter(id__in=[j.id for j in jobs]).delete()
    Proxy.objects.filter(hostname__in=[busy.hostname, idle.hostname, elsewhere.hostname]).delete()


def test_proxies_carry_their_running_jobs_and_their_zone_queue(control_plane, proxy_world):
    listed = {proxy["hostname"]: proxy for proxy in control_plane.client("admin").proxy_list()}
    figures = {name: (listed[proxy.hostname]["running_jobs"], listed[proxy.hostname]["queue_depth"])
               for name, proxy in proxy_world.items()}
    assert figures == {"busy": (2, 3), "idle": (0, 3), "elsewhere": (1, 1)}
    assert {listed[proxy.hostname]["status"] for proxy in proxy_world.values()} == {"down"}
    with pytest.raises(BackupApiError) as raised:
        control_plane.client("demo-member").proxy_list()
    assert raised.value.status == 403


@pytest.fixture
def usage_world(control_plane):
    """Three projects of the test's own: two with restore points and protected instances, one with only a quota."""
    from storage_backup.catalog.models import Quota

    suffix = uuid.uuid4().hex[:8]
    heavy, light, quota_only = (f"usage-{name}-{suffix}" for name in ("heavy", "light", "quota"))
    destination = Destination.objects.get(pk=control_plane.destination_id)
    policies, points, instances = [], [], []
    for project, stored, instance_count in ((heavy, (5 << 30, 2 << 30, 1 << 30), 2), (light, (3 << 20,), 1)):
        policy = Policy.objects.create(project_id=project, name=f"usage-{suffix}", destination=destination)
        policies.append(policy)
        for _ in range(instance_count):
            instances.append(ProtectedInstance.objects.create(instance_id=str(uuid.uuid4()), project_id=project,
                                                              policy=policy))
        for size in stored:
            points.append(RestorePoint.objects.create(
                id=str(uuid.uuid4()), project_id=project, instance_id=instances[-1].instance_id,
                destination=destination, policy=policy, created_at=timezone.now(), bytes_stored=size))
    Quota.objects.create(project_id=quota_only, restore_points=10, stored_bytes=1 << 40)
    yield {"heavy": heavy, "light": light, "quota_only": quota_only}
    RestorePoint.objects.filter(id__in=[p.id for p in points]).delete()
    ProtectedInstance.objects.filter(instance_id__in=[i.instance_id for i in instances]).delete()
    Policy.objects.filter(id__in=[p.id for p in policies]).delete()
    Quota.objects.filter(project_id=quota_only).delete()


def test_usage_is_counted_sorted_and_paged_by_the_service(control_plane, usage_world):
    admin = control_plane.client("admin")
    every = admin.usage()
    mine = {row["project_id"]: row for row in every if row["project_id"] in usage_world.values()}
    figures = {name: (mine[project]["protected_instances"], mine[project]["restore_points"],
                      mine[project]["stored_bytes"]) for name, project in usage_world.items()}
    assert figures == {"heavy": (2, 3, 8 << 30), "light": (1, 1, 3 << 20), "quota_only": (0, 0, 0)}
    assert mine[usage_world["quota_only"]]["quota"] == {"protected_instances": None, "restore_points": 10,
                                                        "stored_bytes": 1 << 40}
    # the most stored first, then by project ID; pages of it as the panel asks for them
    assert every == sorted(every, key=lambda row: (-row["stored_bytes"], row["project_id"]))
    first, second = admin.usage_page(offset=0, limit=2), admin.usage_page(offset=2, limit=2)
    assert (first.count, second.count) == (len(every), len(every))
    assert first.items + second.items == every[:4]
    one = admin.usage_page(project_id=usage_world["light"])
    assert (one.count, [row["stored_bytes"] for row in one.items]) == (1, [3 << 20])
    # a member sees their own project only, whatever they ask for
    member = control_plane.client("demo-member")
    own = member.usage(project_id=usage_world["heavy"])
    assert [row["project_id"] for row in own] == [control_plane.project_id("demo-member")]


def test_the_openapi_document_describes_the_counted_figures(control_plane):
    schemas = control_plane.client("admin").openapi()["components"]["schemas"]
    proxy = schemas["Proxy"]["properties"]
    assert proxy["running_jobs"] == {**proxy["running_jobs"], "type": "integer", "readOnly": True}
    assert proxy["queue_depth"] == {**proxy["queue_depth"], "type": "integer", "readOnly": True}
    assert "availability zone" in proxy["queue_depth"]["description"]
    assert set(schemas["Usage"]["properties"]) == {"project_id", "protected_instances", "restore_points",
                                                   "stored_bytes", "quota"}


def test_destination_dedup_scope_and_hardened_mode(control_plane, tmp_path):
    """Per-project deduplication unless an administrator opens a destination to cloud-wide deduplication (issue 10,
    item 6); hardened mode is refused on NFS, which has no immutable attribute (item 11)."""
    from storage_backup.services.destinations import task_view

    admin = control_plane.client("admin")
    default = admin.destination_create(name=f"dedup-{uuid.uuid4().hex[:6]}", path=str(tmp_path / "a"))
    assert (default["dedup_scope"], default["hardened"]) == ("project", False)
    assert task_view(Destination.objects.get(pk=default["id"]))["dedup_scope"] == "project"
    cloud = admin.destination_create(name=f"dedup-{uuid.uuid4().hex[:6]}", path=str(tmp_path / "b"),
                                     dedup_scope="cloud", hardened=True)
    assert (cloud["dedup_scope"], cloud["hardened"]) == ("cloud", True)
    view = task_view(Destination.objects.get(pk=cloud["id"]))
    assert (view["dedup_scope"], view["hardened"]) == ("cloud", True)
    updated = admin.destination_update(default["id"], dedup_scope="cloud")
    assert updated["dedup_scope"] == "cloud"
    _expect_400(lambda: admin.destination_update(default["id"], dedup_scope="everyone"), "dedup_scope")
    _expect_400(lambda: admin.destination_create(name="nfs-worm", type="nfs", path=str(tmp_path / "c"),
                                                 hardened=True), "hardened")
    nfs = admin.destination_create(name=f"nfs-{uuid.uuid4().hex[:6]}", type="nfs", path=str(tmp_path / "d"))
    _expect_400(lambda: admin.destination_update(nfs["id"], hardened=True), "hardened")
    members = control_plane.client("demo-member")
    with pytest.raises(BackupApiError) as raised:
        members.destination_update(default["id"], dedup_scope="project")
    assert raised.value.status in (403, 404)
