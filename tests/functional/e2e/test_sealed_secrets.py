# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""No secret rests in Redis in clear (docs/TASKS.md "Sealed secrets"), end to end: a backup into an encrypted
destination with an SSH pre/post command, through the REST API, real proxy and data workers and a real ``sshd``;
every key and value of the stack's Redis database is read (strings, lists, hashes, sets; kombu's base64 message
bodies and JSON inside them decoded) while the job waits in its queue, while it runs and after it ended, and neither
secret nor its base64 is anywhere.

Then who may open the secrets: a worker whose key no administrator enrolled (what anyone who can write to Redis can
run: a consumer of the queue that answers pings) gets the job and cannot run it; a revoked key opens no new task; a
rotation works with two keys enrolled at once; a job with secrets and no enrolled key waits, saying so.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from storage_backup import contract
from storage_backup.proxy import worker_key

from tests.functional.e2e.support import expect_api_error, wait_until
from tests.support.instances import create_instance
from tests.support.sshd import SshdProcess, keygen, login_user

PASSWORD = "e2e-passphrase-" + uuid.uuid4().hex
ZONE = "nova"
QUEUE = f"proxy.{ZONE}"
# A not-enrolled worker's job fails after its attempts; two keep the test short.
STACK_SETTINGS = {"STORAGE_BACKUP_JOB_MAX_ATTEMPTS": "2"}
pytestmark = pytest.mark.timeout(600)
BASE64 = re.compile(r"\A[A-Za-z0-9+/=_-]{12,}\Z")


@pytest.fixture(scope="module")
def guest(stack, tmp_path_factory):
    """An instance with an sshd at its access address (the loopback address the embedded cloud publishes), and a
    policy backing it up into an encrypted destination with a pre- and a post-command that log in with an SSH
    private key."""
    work = str(tmp_path_factory.mktemp("sshd"))
    client_key = os.path.join(work, "client_key")
    client_public = keygen(client_key)
    with open(client_key) as handle:
        private_key = handle.read()
    server = create_instance(stack.handle.session("demo-member"), name="sealed-db", networks="auto",
                             availability_zone=ZONE)
    address = stack.service.compute.get_server(server["id"]).access_ipv4
    path, _ = stack.new_repository("encrypted")
    destination = stack.client("admin").destination_create(name="encrypted", path=path, encrypted=True,
                                                           repository_secret=PASSWORD)
    with SshdProcess(work, address, client_public).start() as sshd:
        def command(text: str) -> dict:
            return {"command": text, "user": login_user(), "private_key": private_key, "port": sshd.port,
                    "timeout": 20, "host_key_policy": "reject", "known_hosts": sshd.host_public_key}

        policy = stack.client().policy_create(name="sealed", destination_id=destination["id"], strategy="full",
                                              pre_command=command("echo frozen"), post_command=command("echo thawed"))
        stack.client().protect(server["id"], policy["id"])
        yield {"server": server, "private_key": private_key, "policy": policy, "destination": destination}


# -- reading all of Redis ---------------------------------------------------------------------------------------

def texts_of(value: str, depth: int = 0):
    """``value`` and whatever it holds: JSON inside it, base64 inside that (kombu's message bodies), recursively."""
    yield value
    if depth > 4:
        return
    try:
        document = json.loads(value)
    except ValueError:
        document = None
    for text in _strings(document):
        yield from texts_of(text, depth + 1)
    if BASE64.match(value):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(value + "=" * (-len(value) % 4)).decode("utf-8")
            except (binascii.Error, ValueError):
                continue
            yield from texts_of(decoded, depth + 1)


def _strings(document):
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for key, item in document.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(document, list):
        for item in document:
            yield from _strings(item)


def dump(url: str) -> dict[str, list[str]]:
    """Every key of the Redis database and every text its value holds (all types), decoded as far as it goes."""
    client = redis.Redis.from_url(url)
    found: dict[str, list[str]] = {}
    for raw_key in client.scan_iter(count=1000):
        kind = client.type(raw_key).decode()
        if kind == "string":
            raws = [client.get(raw_key)]
        elif kind == "list":
            raws = client.lrange(raw_key, 0, -1)
        elif kind == "hash":
            raws = [part for pair in client.hgetall(raw_key).items() for part in pair]
        elif kind == "set":
            raws = list(client.smembers(raw_key))
        elif kind == "zset":
            raws = [member for member, _ in client.zrange(raw_key, 0, -1, withscores=True)]
        elif kind == "stream":
            raws = [part for _, fields in client.xrange(raw_key) for pair in fields.items() for part in pair]
        else:
            raws = []
        texts = []
        for raw in raws:
            if raw is None:
                continue
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            texts.extend(texts_of(text))
        found[raw_key.decode("utf-8", "replace")] = texts
    return found


def forms_of(secret: str) -> list[str]:
    """The secret, its lines, and its base64 at each of the three alignments it can have inside a longer base64."""
    forms = {secret}
    forms |= {line for line in secret.splitlines() if len(line) >= 20 and not line.startswith("-----")}
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + secret.encode()).decode()
        forms.add(encoded[4:-4])
    return sorted(forms)


def leaks(snapshot: dict[str, list[str]], secrets: list[str]) -> list[str]:
    found = []
    for key, texts in snapshot.items():
        for form in (form for secret in secrets for form in forms_of(secret)):
            if any(form in text for text in texts):
                found.append(f"{key}: {form[:24]}…")
    return found


class Watch:
    """Dumps the whole Redis database over and over in a thread, until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.snapshots: list[dict[str, list[str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.snapshots.append(dump(self.url))
            time.sleep(0.1)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def message_of(snapshot: dict[str, list[str]], job_id: str) -> dict | None:
    """The task message of the job as it rests in its queue (kombu's envelope, the body decoded)."""
    for key, texts in snapshot.items():
        if key != QUEUE:
            continue
        for text in texts:
            try:
                document = json.loads(text)
            except ValueError:
                continue
            if isinstance(document, list) and document and isinstance(document[0], list):
                for argument in document[0]:
                    if isinstance(argument, dict) and argument.get("job_id") == job_id:
                        return argument
    return None


# -- the tests ----------------------------------------------------------------------------------------------------

def test_no_secret_rests_in_redis_while_a_backup_waits_runs_and_after_it_ended(stack, guest):
    secrets = [PASSWORD, guest["private_key"]]
    # The zone's proxy stops consuming for a moment, so the task message rests in its queue where it can be read (the
    # proxy still counts as up: its last heartbeat is recent).
    stack.workers[ZONE].stop()
    job = stack.client().backup_create(guest["server"]["id"])
    queued = wait_until(lambda: message_of(dump(stack.redis.url), job["id"]), timeout=60,
                        what="the task message in its queue")
    assert "sealed" in queued and "repository_secret" not in queued, queued
    assert "private_key" not in queued["pre_command"] and "private_key" not in queued["post_command"]
    enrolled = {key["key_id"] for key in stack.client("admin").request("GET", "/v1/proxy-keys")["results"]
                if key["queue"] == QUEUE and key["status"] == "active"}
    assert {recipient["key_id"] for recipient in queued["sealed"]["recipients"]} == enrolled
    with Watch(stack.redis.url) as watch:
        stack.start_worker(ZONE)
        done = stack.wait_job(job["id"])
        assert done["state"] == "succeeded", f"{done['error']}\n{done['log']}"
        assert any(entry["step"] == "pre_command" for entry in done["log"])  # the key was opened and used
        # a data task with the repository's password: verify, on the data worker
        verify = stack.client().verify(done["restore_point_id"])
        verified = stack.wait_job(verify["id"])
        assert verified["state"] == "succeeded", verified["error"]
    snapshots = [*watch.snapshots, dump(stack.redis.url)]
    assert len(snapshots) > 3
    found = [leak for snapshot in snapshots for leak in leaks(snapshot, secrets)]
    assert not found, f"secrets in Redis: {sorted(set(found))[:10]}"
    # Results keep no task arguments (result_extended is off): not the backup's, not the verify's.
    store = redis.Redis.from_url(stack.redis.url)
    for task_id in (job["id"], verify["id"]):  # first attempts: the task id is the job's
        meta = json.loads(store.get(f"celery-task-meta-{task_id}") or b"{}")
        assert meta.get("status") == "SUCCESS" and "args" not in meta and "kwargs" not in meta, meta.keys()


def test_a_worker_whose_key_no_administrator_enrolled_cannot_run_the_job(stack, guest, tmp_path):
    """What anyone who can write to Redis can do — run a consumer of the queue that answers heartbeats, with a key
    of their own — gets them the job but not its secrets."""
    admin = stack.client("admin")
    before = admin.request("GET", "/v1/proxy-keys")["results"]
    rogue_file = str(tmp_path / "rogue.key")
    stack.workers[ZONE].stop()
    rogue = stack.start_worker(ZONE, env={worker_key.KEY_FILE_ENV: rogue_file})
    rogue_id = contract.key_id(rogue.public_key)
    try:
        wait_until(lambda: any(proxy["availability_zone"] == ZONE and proxy["status"] == "up"
                               for proxy in admin.proxy_list()), timeout=30, what="the rogue worker's heartbeat")
        job = stack.run_backup(guest["server"]["id"], expect="failed")
    finally:
        rogue.stop()
        stack.start_worker(ZONE)
    assert "is not among the keys the task was sealed to" in job["error"] and rogue_id in job["error"], job["error"]
    assert "enrol" in job["error"]
    assert job["attempts"] == 2  # not_enrolled is retryable: another worker of the zone may hold an enrolled key
    # Answering heartbeats on the queue enrolled nothing: the keys are the administrator's, as before.
    after = admin.request("GET", "/v1/proxy-keys")["results"]
    assert after == before and rogue_id not in json.dumps(after)
    assert stack.run_backup(guest["server"]["id"])["state"] == "succeeded"  # the enrolled worker is back


def test_a_public_key_arriving_over_redis_is_not_trusted(stack, guest):
    """Keys an attacker writes into Redis (a forged ping answer carrying a key, a fake data worker heartbeat) do not
    become recipients: the next task is sealed to the enrolled keys only."""
    attacker = contract.public_key_text(X25519PrivateKey.generate())
    store = redis.Redis.from_url(stack.redis.url)
    store.hset("storage-backup:data-workers", "attacker@host", json.dumps({
        "hostname": "attacker", "worker": "attacker@host", "public_key": attacker, "at": time.time()}))
    for task_id in ("forged-ping-1", "forged-ping-2"):
        store.set(f"celery-task-meta-{task_id}", json.dumps({
            "status": "SUCCESS", "task_id": task_id, "result": {"az": ZONE, "hostname": "attacker",
                                                                "public_key": attacker, "version": 1}}))
    keys = stack.client("admin").request("GET", "/v1/proxy-keys")["results"]
    assert attacker not in json.dumps(keys) and contract.key_id(attacker) not in json.dumps(keys)
    stack.workers[ZONE].stop()
    try:
        job = stack.client().backup_create(guest["server"]["id"])
        queued = wait_until(lambda: message_of(dump(stack.redis.url), job["id"]), timeout=60,
                            what="the task message in its queue")
    finally:
        stack.start_worker(ZONE)
    assert contract.key_id(attacker) not in [recipient["key_id"] for recipient in queued["sealed"]["recipients"]]
    assert stack.wait_job(job["id"])["state"] == "succeeded"


def enrol(stack, name: str, queue: str, public_key: str) -> dict:
    return stack.client("admin").request("POST", f"/v1/proxies/{name}/keys",
                                         json={"queue": queue, "public_key": public_key})


def test_rotation_with_two_keys_and_revocation(stack, guest):
    admin = stack.client("admin")
    worker = stack.workers[ZONE]
    old_id = contract.key_id(worker.public_key)
    # The worker makes a new key beside its old one (the CLI, on its host) and the administrator enrols it: two keys
    # of the queue are active, a task is sealed to both, and the worker (which reads its key file at every task) opens
    # it with either.
    subprocess.run([sys.executable, "-m", "storage_backup.cli", "proxy-key", "rotate", "--key-file",
                    worker.key_file], check=True, capture_output=True)
    new_key = worker.public_key
    new_id = contract.key_id(new_key)
    assert new_id != old_id and len(worker_key.load_keys(worker.key_file)) == 2
    enrolled = enrol(stack, worker.key_name, QUEUE, new_key)
    assert enrolled["key_id"] == new_id and enrolled["status"] == "active"
    active = [key["key_id"] for key in admin.request("GET", f"/v1/proxies/{worker.key_name}/keys")["results"]
              if key["status"] == "active"]
    assert set(active) == {old_id, new_id}
    assert stack.run_backup(guest["server"]["id"])["state"] == "succeeded"

    # The old key is revoked: a worker that holds only it can open no new task.
    admin.request("DELETE", f"/v1/proxies/{worker.key_name}/keys/{old_id}")
    both = worker_key.load_keys(worker.key_file)
    worker_key._write(worker.key_file, both[1:])  # only the old, revoked key
    job = stack.run_backup(guest["server"]["id"], expect="failed")
    assert "not among the keys the task was sealed to" in job["error"] and new_id in job["error"], job["error"]
    assert old_id not in job["error"].split("sealed to")[1]
    # Back to the new key (the rotation retires the old one): it runs again.
    worker_key._write(worker.key_file, both[:1])
    assert stack.run_backup(guest["server"]["id"])["state"] == "succeeded"
    # A revoked key is never trusted again.
    expect_api_error(409, enrol, stack, worker.key_name, QUEUE, contract.public_key_text(both[1]))

    # No active key for the queue: a job with secrets waits, saying why, and goes once a key is enrolled.
    admin.request("DELETE", f"/v1/proxies/{worker.key_name}/keys/{new_id}")
    job = stack.client().backup_create(guest["server"]["id"])
    waiting = wait_until(lambda: (j := stack.client().job_get(job["id"]))["waiting_reason"] and j, timeout=30,
                         what="the job's waiting reason")
    assert waiting["state"] == "queued" and "Waiting for an enrolled key" in waiting["waiting_reason"]
    assert QUEUE in waiting["waiting_reason"]
    newest = worker_key.rotate(worker.key_file)
    enrol(stack, worker.key_name, QUEUE, contract.public_key_text(newest))
    assert stack.wait_job(job["id"])["state"] == "succeeded"


def test_only_administrators_enrol_and_revoke_keys(stack):
    key = contract.public_key_text(X25519PrivateKey.generate())
    member = stack.client("demo-member")
    expect_api_error(403, member.request, "POST", "/v1/proxies/proxy-x/keys", {"queue": QUEUE, "public_key": key})
    expect_api_error(403, member.request, "GET", "/v1/proxy-keys")
    expect_api_error(400, enrol, stack, "proxy-x", "nowhere", key)
    expect_api_error(400, enrol, stack, "proxy-x", QUEUE, "x25519:not-a-key")
    enrolled = enrol(stack, "proxy-x", "data", key)
    expect_api_error(403, member.request, "DELETE", f"/v1/proxies/proxy-x/keys/{enrolled['key_id']}")
    stack.client("admin").request("DELETE", f"/v1/proxies/proxy-x/keys/{enrolled['key_id']}")
    events = [event["action"] for event in stack.client("admin").audit_events(all_projects=True, limit=50)]
    assert "proxy_key.create" in events and "proxy_key.delete" in events
