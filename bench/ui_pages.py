# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""How fast the Backup panels and the REST calls behind them stay with a big catalog.

``python bench/ui_pages.py [--restore-points 10000] [--instances 1000] [--runs 5] [--results bench/UI_RESULTS.md]``

1. starts ``make demo``'s launcher (``tools/demo.py``) in a temporary state directory (its schedule quiet);
2. seeds its catalog database directly (Django ORM, ``bulk_create``) with ``--instances`` protected instances and
   ``--restore-points`` restore points and as many finished jobs, in the ``demo`` project, spread over 60 days;
3. times the REST API calls the panels make, with the demo member's and the administrator's Keystone tokens, and
   the Horizon pages themselves (server time of the whole HTML response, logged in through Horizon's login form);
4. prints the medians and maxima of ``--runs`` runs (after one warm-up) and writes them to ``--results``.

The catalog is SQLite, as in ``make demo``; the seeded instances are catalog rows (Nova keeps the demo's few real
servers), so the Protected Instances page pages Nova as usual and asks the service about its page's instances only.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
QUIET_SCHEDULE = "0 0 1 1 *"


def start_demo(state_dir: str, output: str) -> tuple[subprocess.Popen, dict]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    with open(output, "ab") as log:
        process = subprocess.Popen([sys.executable, os.path.join(REPO_ROOT, "tools", "demo.py"), "--state-dir",
                                    state_dir, "--schedule", QUIET_SCHEDULE], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=REPO_ROOT, start_new_session=True, env=env)
    deadline = time.time() + 900
    while time.time() < deadline:
        with open(output, errors="replace") as handle:
            if "Ctrl-C stops everything." in handle.read():
                break
        if process.poll() is not None:
            raise SystemExit(f"tools/demo.py exited with {process.returncode}; see {output}")
        time.sleep(0.5)
    else:
        stop_demo(process)
        raise SystemExit(f"tools/demo.py was not up in time; see {output}")
    with open(os.path.join(state_dir, "endpoints.json")) as handle:
        return process, json.load(handle)


def stop_demo(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def keystone_token(endpoints: dict, name: str) -> tuple[str, str]:
    user = next(u for u in endpoints["users"] if u["name"] == name)
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user["name"], "password": user["password"], "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": user["project"], "domain": {"name": "Default"}}}}}
    response = requests.post(endpoints["keystone"] + "/auth/tokens", json=body, timeout=30)
    response.raise_for_status()
    return response.headers["X-Subject-Token"], response.json()["token"]["project"]["id"]


def seed(state_dir: str, project_id: str, other_project_id: str, instances: int, points: int) -> dict:
    """Rows straight into the demo's catalog, shaped as the pipeline writes them."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "storage_backup.settings"
    os.environ["STORAGE_BACKUP_DATA_DIR"] = os.path.join(state_dir, "control")
    import django

    django.setup()
    from storage_backup.catalog.models import Destination, Job, Policy, ProtectedInstance, RestorePoint

    started = time.time()
    rng = random.Random(42)
    destination = Destination.objects.order_by("created_at").first()
    policies = [Policy.objects.create(project_id=project, name=f"bench-{index}", destination=destination,
                                      schedule="0 2 * * *", keep_last=7, keep_daily=7, keep_weekly=4)
                for index, project in enumerate([project_id] * 8 + [other_project_id] * 2)]
    now = dt.datetime.now(dt.UTC)
    instance_rows = []
    for number in range(instances):
        project = project_id if number % 10 else other_project_id
        policy = policies[number % 8] if project == project_id else policies[8 + number % 2]
        instance_rows.append(ProtectedInstance(instance_id=str(uuid.uuid4()), project_id=project, policy=policy,
                                               name=f"bench-vm-{number:04d}",
                                               availability_zone=rng.choice(("nova", "az2"))))
    ProtectedInstance.objects.bulk_create(instance_rows, batch_size=500)
    point_rows, job_rows = [], []
    for number in range(points):
        instance = instance_rows[number % len(instance_rows)]
        created = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 60))
        full = number < len(instance_rows) or rng.random() < 0.15
        size = rng.choice((10, 20, 40)) << 30
        read = size // (3 if full else 40)
        stored = read // rng.choice((2, 3, 4))
        job_id = str(uuid.uuid4())
        locked = created + dt.timedelta(days=30) if rng.random() < 0.1 else None
        point_rows.append(RestorePoint(
            id=uuid.uuid4().hex, project_id=instance.project_id, instance_id=instance.instance_id,
            instance_name=instance.name, availability_zone=instance.availability_zone, policy=instance.policy,
            destination=destination, job_id=job_id, created_at=created, strategy="full" if full else "incremental",
            consistency="per-volume", bytes_total=size, bytes_read=read, bytes_stored=stored,
            retention_lock_until=locked,
            volumes=[{"volume_id": str(uuid.uuid4()), "size": size, "size_gib": size >> 30, "bytes_read": read,
                      "bytes_stored": stored, "strategy": "full" if full else "incremental",
                      "blocks_total": size // (4 << 20), "blocks_new": read // (8 << 20), "bytes_zero": size - read,
                      "bytes_unchanged": 0, "notes": []}]))
        state = "failed" if rng.random() < 0.03 else "succeeded"
        job_rows.append(Job(id=job_id, type="backup", project_id=instance.project_id,
                            instance_id=instance.instance_id, instance_name=instance.name, policy=instance.policy,
                            destination=destination, strategy="full" if full else "incremental", state=state,
                            availability_zone=instance.availability_zone,
                            queue=f"proxy.{instance.availability_zone}", task_name="proxy.backup_instance",
                            progress={"percent": 100.0}, error="Snapshot quota exceeded" if state == "failed" else "",
                            started_at=created, finished_at=created + dt.timedelta(minutes=3),
                            result={"restore_point_id": point_rows[-1].id}))
    RestorePoint.objects.bulk_create(point_rows, batch_size=500)
    Job.objects.bulk_create(job_rows, batch_size=500)
    # auto_now_add ignores what bulk_create is given: date the jobs as their restore points.
    for job, point in zip(job_rows, point_rows, strict=True):
        job.created_at = point.created_at
    Job.objects.bulk_update(job_rows, ["created_at"], batch_size=500)
    return {"seconds": round(time.time() - started, 1), "instances": len(instance_rows), "restore_points":
            RestorePoint.objects.count(), "jobs": Job.objects.count(),
            "member_points": RestorePoint.objects.filter(project_id=project_id).count(),
            "sample_instance": instance_rows[1].instance_id, "sample_instance_name": instance_rows[1].name,
            "sample_ids": [row.instance_id for row in instance_rows[1:21]], "sample_point": point_rows[1].id,
            "sample_job": job_rows[1].id}


def timed(call, runs: int) -> dict:
    call()  # warm-up: caches, first connection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return {"median_ms": round(statistics.median(times) * 1000), "max_ms": round(max(times) * 1000)}


def api_calls(endpoints: dict, member: str, admin: str, sample: dict) -> dict[str, callable]:
    api = endpoints["backup_api"]

    def get(token: str, path: str, **params):
        def call():
            response = requests.get(api + path, params=params, headers={"X-Auth-Token": token}, timeout=60)
            response.raise_for_status()
            return response
        return call

    last = sample["member_points"] - 20
    return {
        f"restore points, first page (20 of {sample['member_points']:,})": get(member, "/restore-points", limit=20),
        f"restore points, last page (offset {last:,})": get(member, "/restore-points", limit=20, offset=last),
        "restore points of one instance": get(member, "/restore-points", instance_id=sample["sample_instance"],
                                              limit=20),
        "restore points, name filter + locked": get(member, "/restore-points", instance_name="vm-00",
                                                    locked="true", limit=20),
        "jobs, first page": get(member, "/jobs", limit=20),
        "jobs, ended backups filter": get(member, "/jobs", type="backup", active="false", limit=20),
        "instance status of a page (20 instances)": get(member, "/instance-status",
                                                        instance_id=sample["sample_ids"]),
        "policies": get(member, "/policies", limit=20),
        "admin: all restore points": get(admin, "/restore-points", all_projects=1, limit=20),
        "admin: overview, 7 days": get(admin, "/overview", days=7),
        "admin: overview, 30 days": get(admin, "/overview", days=30),
        "admin: usage": get(admin, "/usage", limit=200),
        "admin: destination usage": get(admin, "/destination-usage"),
    }


def horizon_session(endpoints: dict, name: str) -> requests.Session:
    user = next(u for u in endpoints["users"] if u["name"] == name)
    base = endpoints["horizon"].rstrip("/")
    session = requests.Session()
    page = session.get(base + "/auth/login/", timeout=60).text
    form = {"username": user["name"], "password": user["password"],
            "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    for field in ("region", "domain"):
        found = re.search(rf'name="{field}"[^>]*value="([^"]*)"', page)
        if found:
            form[field] = found.group(1)
    response = session.post(base + "/auth/login/", data=form, headers={"Referer": base + "/auth/login/"},
                            timeout=60)
    if "/auth/login" in response.url:
        raise SystemExit(f"logging in to Horizon as {name} failed")
    return session


def page_calls(endpoints: dict, member: requests.Session, admin: requests.Session, sample: dict) -> dict:
    base = endpoints["horizon"].rstrip("/")

    def get(session: requests.Session, path: str, marker: str):
        def call():
            response = session.get(base + path, timeout=120)
            response.raise_for_status()
            if marker not in response.text or "/auth/login" in response.url:
                raise RuntimeError(f"{path} did not render ({marker!r} missing)")
            return response
        return call

    return {
        "Protected Instances": get(member, "/project/protected_instances/", 'id="protected_instances"'),
        "Policies": get(member, "/project/backup_policies/", 'id="policies"'),
        "Restore Points, first page": get(member, "/project/restore_points/", 'id="restore_points"'),
        # Horizon's page menu numbers the pages (20 a page, Horizon's default page size)
        "Restore Points, last page": get(member, f"/project/restore_points/?page={-(-sample['member_points'] // 20)}",
                                         'id="restore_points"'),
        "Restore Points of one instance": get(member, f"/project/restore_points/?instance_id="
                                                      f"{sample['sample_instance']}", 'id="restore_points"'),
        "Restore point detail": get(member, f"/project/restore_points/{sample['sample_point']}/",
                                    'id="volumes"'),
        "Jobs": get(member, "/project/backup_jobs/", 'id="jobs"'),
        "Job detail": get(member, f"/project/backup_jobs/{sample['sample_job']}/", 'id="log"'),
        "Admin Overview (7 days)": get(admin, "/admin/backup_overview/", "pie-chart-distribution"),
        "Admin Overview (30 days)": get(admin, "/admin/backup_overview/?days=30", "pie-chart-distribution"),
        "Admin All Restore Points": get(admin, "/admin/restore_points/", 'id="all_restore_points"'),
        "Admin All Jobs": get(admin, "/admin/backup_jobs/", 'id="all_jobs"'),
        "Admin Policies": get(admin, "/admin/backup_policies/", 'id="all_policies"'),
        "Admin Proxies": get(admin, "/admin/backup_proxies/", 'id="proxies"'),
        "Admin Destinations": get(admin, "/admin/backup_destinations/", 'id="destinations"'),
        "Admin Usage": get(admin, "/admin/backup_usage/", 'id="usage"'),
        "Admin Usage CSV": get(admin, "/admin/backup_usage/csv/", "Project Name"),
    }


def report(title: str, results: dict) -> list[str]:
    lines = [f"| {title} | median | max |", "|---|---:|---:|"]
    lines += [f"| {name} | {value['median_ms']} ms | {value['max_ms']} ms |" for name, value in results.items()]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/ui_pages.py", description=__doc__.split("\n")[0])
    parser.add_argument("--restore-points", type=int, default=10000)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--results", help="write a Markdown table of the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the demo's state directory")
    args = parser.parse_args(argv)

    work = tempfile.mkdtemp(prefix="bench-ui-")
    state_dir = os.path.join(work, "state")
    print(f"Starting tools/demo.py in {state_dir} ...", flush=True)
    process, endpoints = start_demo(state_dir, os.path.join(work, "demo.out"))
    try:
        member_token, demo_project = keystone_token(endpoints, "demo-member")
        admin_token, _ = keystone_token(endpoints, "admin")
        _, alt_project = keystone_token(endpoints, "alt-member")
        sample = seed(state_dir, demo_project, alt_project, args.instances, args.restore_points)
        print(f"Seeded {sample['instances']} protected instances, {sample['restore_points']} restore points and "
              f"{sample['jobs']} jobs in {sample['seconds']} s", flush=True)
        api_results = {name: timed(call, args.runs)
                       for name, call in api_calls(endpoints, member_token, admin_token, sample).items()}
        member = horizon_session(endpoints, "demo-member")
        admin = horizon_session(endpoints, "admin")
        page_results = {name: timed(call, args.runs)
                        for name, call in page_calls(endpoints, member, admin, sample).items()}
    finally:
        stop_demo(process)
    header = [f"Catalog: {sample['restore_points']} restore points, {sample['jobs']} jobs, {sample['instances']} "
              f"protected instances (SQLite); {args.runs} runs after a warm-up, on {os.cpu_count()} cores; "
              f"{dt.date.today().isoformat()}.", ""]
    header[0] += f" The demo member's project holds {sample['member_points']} of the restore points."
    lines = header + report("REST API call", api_results) + [""] + report("Horizon page (whole response)",
                                                                            page_results)
    print("\n".join(lines))
    if args.results:
        with open(args.results, "w") as handle:
            handle.write("# Backup panels with a big catalog (`bench/ui_pages.py`)\n\n" + "\n".join(lines) + "\n")
    if not args.keep:
        subprocess.run(["rm", "-rf", work], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
