# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""What an operator reaches for, on the whole product: read-bandwidth caps per job and per proxy shown by real
backups, the Prometheus metrics scraped over HTTP from the REST API after them (parsed with prometheus_client's own
parser), the API's health and readiness, and the workers' health check against real (and killed) workers.

The tests run in order and build on each other (``STATE``). Elapsed times are lower bounds the caps imply, checked
loosely: a behaviour proof, not a performance assertion.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from storage_backup.pipeline.read_limit import BURST_SECONDS

from tests.functional.e2e.support import expect_api_error, wait_until

TOKEN = "scraper-token-for-the-e2e-stack"
# A daily policy's RPO is a day × the factor: 0.0002 makes it 17 s, so a restore point goes past it within the test.
STACK_SETTINGS = {"STORAGE_BACKUP_METRICS_TOKEN": TOKEN, "STORAGE_BACKUP_METRICS_RPO_FACTOR": "0.0002",
                  "STORAGE_BACKUP_PROXY_DOWN_AFTER": "5"}
WORKER_SETTINGS = {"STORAGE_BACKUP_PROXY_READ_LIMIT_MBPS": "40"}
MB = 1_000_000
WRITTEN = 32 * 1024 * 1024
STATE: dict = {}
pytestmark = pytest.mark.timeout(300)


def _get(stack, path: str, **headers) -> requests.Response:
    return requests.get(stack.api.url.rstrip("/") + path, headers=headers, timeout=30)


def scrape(stack, token: str = TOKEN) -> dict:
    """``{name: {labels as a sorted tuple: value}}`` of every sample of ``/metrics``."""
    response = _get(stack, "/metrics", Authorization=f"Bearer {token}")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")  # the text exposition format
    samples: dict = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def _volume_seconds(point: dict) -> float:
    return sum(volume["duration"] for volume in point["volumes"])


def _capped_seconds(point: dict, mbps: float) -> float:
    """The least time the point's reads take at ``mbps``: a bucket idle while its volume was attached saved
    ``BURST_SECONDS`` of rate, once per volume."""
    rate = mbps * MB
    return (point["bytes_read"] - len(point["volumes"]) * BURST_SECONDS * rate) / rate


def _cli_health(stack, target: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STORAGE_BACKUP_BROKER_URL": stack.redis.url, "STORAGE_BACKUP_HEALTH_TIMEOUT": "3"}
    return subprocess.run([sys.executable, "-m", "storage_backup.cli", "health", "--worker", target], env=env,
                          capture_output=True, text=True, timeout=60)


def test_health_and_readiness_answer_without_a_token(stack):
    assert _get(stack, "/healthz").json() == {"status": "ok"}
    ready = _get(stack, "/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_a_policy_read_limit_is_validated_naming_the_field(stack):
    for wrong in (0, 100001, "fast"):
        error = expect_api_error(400, stack.policy, read_limit_mbps=wrong)
        assert error.field == "read_limit_mbps", error


def test_a_capped_backup_reads_at_about_the_policy_cap(stack):
    policy = stack.policy(schedule="0 3 * * *", strategy="full", read_limit_mbps=16)
    assert policy["read_limit_mbps"] == 16
    web = stack.server_named("web-1")
    stack.client().protect(web.id, policy["id"])
    data = next(a.volume_id for a in stack.service.compute.volume_attachments(web.id) if a.device != "/dev/vda")
    with open(stack.guest_device(web.id, data), "r+b") as device:  # the guest fills 32 MiB of its data disk
        device.write(os.urandom(WRITTEN))
        device.flush()
        os.fsync(device.fileno())
    job = stack.run_backup(web.id)
    point = stack.client().restore_point_get(job["restore_point_id"])
    assert point["bytes_read"] >= WRITTEN
    # The tighter cap decides: 16 MB/s of the policy, not 40 of the proxy. 32 MiB alone take 2.1 s at 16 MB/s.
    assert any("reads capped at 16 MB/s (job) and 40 MB/s (proxy)" in entry["message"] for entry in job["log"]), \
        job["log"]
    seconds = _volume_seconds(point)
    assert seconds >= 0.8 * _capped_seconds(point, 16) >= 1.2, (seconds, point["bytes_read"])
    STATE.update(policy=policy, web=web, capped=point)


def test_without_a_policy_cap_the_proxy_cap_applies(stack):
    policy = stack.client().policy_update(STATE["policy"]["id"], read_limit_mbps=None)
    assert policy["read_limit_mbps"] is None
    job = stack.run_backup(STATE["web"].id)
    point = stack.client().restore_point_get(job["restore_point_id"])
    assert any("reads capped at 40 MB/s (proxy)" in entry["message"] for entry in job["log"]), job["log"]
    assert _volume_seconds(point) >= 0.8 * _capped_seconds(point, 40), (_volume_seconds(point), point["bytes_read"])
    STATE["uncapped"] = point


def test_metrics_after_real_backups(stack):
    samples = scrape(stack)
    assert set(samples["storage_backup_metrics_part_ok"].values()) == {1.0}, samples["storage_backup_metrics_part_ok"]
    jobs = samples["storage_backup_jobs"]
    assert jobs[(("state", "succeeded"), ("type", "backup"))] == 2
    count = samples["storage_backup_job_duration_seconds_count"][(("type", "backup"),)]
    buckets = {dict(labels)["le"]: value for labels, value in samples["storage_backup_job_duration_seconds_bucket"]
               .items() if dict(labels)["type"] == "backup"}
    assert count == 2 and buckets["+Inf"] == 2
    assert samples["storage_backup_job_duration_seconds_sum"][(("type", "backup"),)] >= _volume_seconds(
        STATE["capped"])
    ordered = [buckets[le] for le in sorted(buckets, key=float)]
    assert ordered == sorted(ordered)  # cumulative
    destination = (("destination", stack.destination()["id"]),)
    assert samples["storage_backup_restore_points"][destination] == 2
    assert samples["storage_backup_restore_points_read_bytes"][destination] == \
        STATE["capped"]["bytes_read"] + STATE["uncapped"]["bytes_read"]
    assert samples["storage_backup_restore_points_stored_bytes"][destination] == \
        STATE["capped"]["bytes_stored"] + STATE["uncapped"]["bytes_stored"]
    # The counters of what backups read and stored (kept with the jobs: retention never lowers them).
    assert samples["storage_backup_backup_read_bytes_total"][()] == \
        STATE["capped"]["bytes_read"] + STATE["uncapped"]["bytes_read"]
    assert samples["storage_backup_backup_stored_bytes_total"][()] == \
        STATE["capped"]["bytes_stored"] + STATE["uncapped"]["bytes_stored"]
    queues = {dict(labels)["queue"]: value for labels, value in samples["storage_backup_queue_messages"].items()}
    assert {"proxy.nova", "proxy.az2", "data", "control"} <= set(queues)
    assert all(value >= 0 for value in queues.values())
    zones = {dict(labels)["availability_zone"]: value
             for labels, value in samples["storage_backup_availability_zone_proxies_up"].items()}
    assert zones["nova"] >= 1 and zones["az2"] >= 1
    assert samples["storage_backup_lock_maintenance_failing_destinations"][()] == 0
    assert samples["storage_backup_protected_instances_scheduled"][()] == 1
    # The last backup just ended: within a daily policy's RPO (× 0.0002 = 17 s), and past it soon after.
    assert samples["storage_backup_instances_past_rpo"][()] == 0
    wait_until(lambda: scrape(stack)["storage_backup_instances_past_rpo"][()] == 1, timeout=40, interval=1,
               what="web-1 to go past its RPO")
    assert "web-1" not in _get(stack, "/metrics", Authorization=f"Bearer {TOKEN}").text  # no tenant's names


def test_metrics_need_the_bearer_token_or_an_admin(stack):
    assert _get(stack, "/metrics").status_code == 401
    wrong = _get(stack, "/metrics", Authorization="Bearer not-the-token")
    assert wrong.status_code == 401 and "STORAGE_BACKUP_METRICS_TOKEN_FILE" in wrong.json()["error"]["message"]
    member = _get(stack, "/metrics", **{"X-Auth-Token": stack.client("demo-member").session.get_token()})
    assert member.status_code == 403 and "storage_backup:admin:metrics" in member.text
    admin = _get(stack, "/metrics", **{"X-Auth-Token": stack.client("admin").session.get_token()})
    assert admin.status_code == 200 and "storage_backup_jobs" in admin.text


def test_worker_health_answers_for_live_workers(stack):
    for target in ("proxy.nova", stack.workers["nova"].node_name, "data", "control"):
        result = _cli_health(stack, target)
        assert (result.returncode, result.stdout.split(":")[0]) == (0, "healthy"), (target, result)
    nobody = _cli_health(stack, "proxy.nowhere")
    assert nobody.returncode == 1 and "no worker" in nobody.stdout and "proxy.nowhere" in nobody.stdout


def test_a_killed_worker_is_unhealthy_and_its_zone_down_in_the_metrics(stack):
    node = stack.workers["az2"].node_name
    stack.kill_worker("az2")
    for target in ("proxy.az2", node):
        result = _cli_health(stack, target)
        assert result.returncode == 1 and result.stdout.startswith("unhealthy: "), (target, result)
        assert len(result.stdout.strip().splitlines()) == 1
    assert _cli_health(stack, "proxy.nova").returncode == 0  # the other zone's worker is untouched

    def az2_down() -> bool:
        zones = scrape(stack)["storage_backup_availability_zone_proxies_up"]
        return zones[(("availability_zone", "az2"),)] == 0 and zones[(("availability_zone", "nova"),)] >= 1
    wait_until(az2_down, timeout=60, interval=1, what="the metrics to show az2's proxy down")
    assert _get(stack, "/readyz").status_code == 200  # a worker down is not the API's readiness


def test_redis_down_makes_the_api_unready_and_the_workers_unhealthy(stack):
    stack.redis.stop()
    try:
        ready = _get(stack, "/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "not ready"
        assert set(ready.json()["down"]) == {"redis"}
        assert "127.0.0.1" not in ready.text and str(stack.redis.port) not in ready.text  # nothing of where
        assert _get(stack, "/healthz").status_code == 200
        result = _cli_health(stack, "proxy.nova")
        assert result.returncode == 1 and "the broker does not answer" in result.stdout
        parts = scrape(stack)["storage_backup_metrics_part_ok"]
        assert parts[(("part", "queues"),)] == 0 and parts[(("part", "jobs"),)] == 1
    finally:
        stack.redis.start()
    wait_until(lambda: _get(stack, "/readyz").status_code == 200, timeout=30, what="the API to be ready again")
