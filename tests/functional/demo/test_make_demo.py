# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``make demo``'s launcher (tools/demo.py) as a user runs it: it comes up, tells where everything is, every piece
answers, Ctrl-C (SIGTERM here) stops all of it, and a second start finds the same cloud again."""
from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from celery import Celery
from storage_backup_sandbox.launch import REPO_ROOT

pytestmark = pytest.mark.slow


def _start_demo(state_dir: str, log_path: str) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        # Every minute, so the scheduled policy's first restore points come within the test's patience.
        return subprocess.Popen([sys.executable, os.path.join(REPO_ROOT, "tools", "demo.py"), "--state-dir", state_dir,
                                 "--transition-delay", "0.1", "--schedule", "* * * * *",
                                 "--tick-seconds", "2"], stdout=log,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=REPO_ROOT, start_new_session=True)


def _wait_until_up(demo: subprocess.Popen, log_path: str, offset: int, timeout: float = 600) -> None:
    """Until this run (what the log holds after ``offset``) says it is up."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(log_path, errors="replace") as handle:
            handle.seek(offset)
            text = handle.read()
        if "Ctrl-C stops everything." in text:
            return
        if demo.poll() is not None:
            pytest.fail(f"the demo exited with {demo.returncode}:\n{text[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"the demo was not up after {timeout:.0f} s")


def _stop(demo: subprocess.Popen) -> int:
    demo.send_signal(signal.SIGTERM)
    return demo.wait(timeout=60)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _endpoints(state_dir: str) -> dict:
    with open(os.path.join(state_dir, "endpoints.json")) as handle:
        return json.load(handle)


def _token(endpoints: dict, user: dict) -> dict:
    body = json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user["name"], "password": user["password"], "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": user["project"], "domain": {"name": "Default"}}}}}).encode()
    request = urllib.request.Request(endpoints["keystone"] + "/auth/tokens", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return {"id": response.headers["X-Subject-Token"], **json.load(response)["token"]}


def _project_id(endpoints: dict, user: dict) -> str:
    return _token(endpoints, user)["project"]["id"]


def _restore_points(endpoints: dict, token: dict) -> list[dict]:
    request = urllib.request.Request(endpoints["backup_api"] + "/restore-points", headers={"X-Auth-Token": token["id"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    return body["results"]  # paginated: {"count", "next", "previous", "results"}


def test_demo_comes_up_answers_stops_and_resumes(tmp_path):
    state_dir = str(tmp_path / "demo")
    log_path = str(tmp_path / "demo.out")
    demo = _start_demo(state_dir, log_path)
    try:
        _wait_until_up(demo, log_path, 0)
        with open(os.path.join(state_dir, "endpoints.json")) as handle:
            endpoints = json.load(handle)

        with urllib.request.urlopen(endpoints["horizon"] + "auth/login/", timeout=10) as response:
            assert response.status == 200
            assert b"id_username" in response.read()
        users = {user["name"]: user for user in endpoints["users"]}
        assert {"admin", "demo-member", "demo-reader", "alt-member", "alt-reader"} <= set(users)
        demo_project = _project_id(endpoints, users["demo-member"])
        printed = open(log_path).read()
        assert endpoints["horizon"] in printed and "demo-secret" in printed

        control = Celery("test-demo", broker=endpoints["redis"], backend=endpoints["redis"])
        control.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
        replies = {zone: control.send_task("proxy.ping", queue=worker["queue"])
                   for zone, worker in endpoints["workers"].items()}
        replies["data"] = control.send_task("data.ping", queue=endpoints["data_worker"]["queue"])
        try:
            for zone, reply in replies.items():
                answer = reply.get(timeout=30)
                if zone == "data":  # the data worker mounts the destinations; it has no zone
                    assert answer["worker"] == endpoints["data_worker"]["node"] and answer["repository_root_ok"]
                    continue
                assert answer["az"] == zone
                assert answer["proxy_server_id"] == endpoints["workers"][zone]["proxy_server_id"]
        finally:
            # Results hold a subscription to the demo's Redis: let go of them while it still runs.
            del replies
            gc.collect()
            control.close()
        # The backup API is in the cloud's catalog, and the demo's scheduled policy makes restore points by itself.
        token = _token(endpoints, users["demo-member"])
        catalog = {entry["type"]: entry for entry in token["catalog"]}
        assert catalog["data-protection"]["endpoints"][0]["url"] == endpoints["backup_api"]
        deadline = time.time() + 240
        while not (found := _restore_points(endpoints, token)) and time.time() < deadline:
            time.sleep(5)
        assert found, "no restore point within 4 minutes of the demo coming up"
        assert {point["instance_name"] for point in found} <= {"web-1", "app-1"}
        assert not _restore_points(endpoints, _token(endpoints, users["alt-member"]))
        # A proxy worker's main process killed: the demo restarts it (with backoff) and it answers again.
        killed = endpoints["workers"]["nova"]["pid"]
        os.kill(killed, signal.SIGKILL)
        deadline = time.time() + 60
        while time.time() < deadline and _endpoints(state_dir)["workers"]["nova"]["pid"] == killed:
            time.sleep(0.5)
        endpoints = _endpoints(state_dir)
        assert endpoints["workers"]["nova"]["pid"] != killed, open(log_path).read()[-2000:]
        assert "supervisor: celery worker for proxy.nova restarted" in open(log_path).read()
        control = Celery("test-demo", broker=endpoints["redis"], backend=endpoints["redis"])
        control.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
        reply = None
        try:
            reply = control.send_task("proxy.ping", queue="proxy.nova")
            assert reply.get(timeout=60)["az"] == "nova"
        finally:
            del reply
            gc.collect()
            control.close()
        pids = [worker["pid"] for worker in endpoints["workers"].values()] + [endpoints["data_worker"]["pid"]]
    finally:
        status = _stop(demo)
    assert status == 0, open(log_path).read()[-3000:]
    assert not [pid for pid in pids if _pid_alive(pid)], "workers outlived the demo"
    with pytest.raises(OSError):
        urllib.request.urlopen(endpoints["horizon"] + "auth/login/", timeout=3)

    offset = os.path.getsize(log_path)
    demo = _start_demo(state_dir, log_path)
    try:
        _wait_until_up(demo, log_path, offset)
        with open(os.path.join(state_dir, "endpoints.json")) as handle:
            endpoints = json.load(handle)
        assert _project_id(endpoints, users["demo-member"]) == demo_project, "the cloud's state did not survive"
    finally:
        assert _stop(demo) == 0
