# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Property-based tests of the REST API from its own OpenAPI document (schemathesis), bounded in time: no 5xx,
every status code documented, every response matching its schema — as a project member and as an admin; and fuzzed
(invalid) requests, with a fixed seed: no 5xx and every error in the API's JSON error shape."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import requests
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)


def json_error_body(ctx, response, case) -> None:
    """Every error answer is the API's JSON error shape (``rest/errors.py``), never an HTML page."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("Content-Type") or response.headers.get("content-type") or [""]
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/json"), (
        f"{response.status_code} answered with {content_type or 'no content type'}: {response.text[:200]!r}")
    error = json.loads(response.text).get("error")
    assert isinstance(error, dict) and {"code", "message", "field"} <= set(error) and error["message"], (
        f"{response.status_code} without the error shape: {response.text[:200]!r}")


CHECKS = [not_a_server_error, json_error_body, status_code_conformance, content_type_conformance,
          response_schema_conformance]
FUZZ_CHECKS = [not_a_server_error, json_error_body]


def openapi_document() -> dict:
    """The document ``GET /v1/openapi.json`` serves, generated from the same code (the test also fetches it)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(openapi_document())
# Invalid requests (wrong types, values out of range, missing and extra fields, NUL characters): the fuzzing that
# found the 500s. Its own schema object, so the conformance tests above keep generating valid requests.
fuzz_schema = schemathesis.openapi.from_dict(openapi_document())
fuzz_schema.config.generation.update(modes=[GenerationMode.NEGATIVE], allow_x00=True)


def test_served_document_is_the_tested_one(control_plane):
    served = requests.get(control_plane.url + "/v1/openapi.json", timeout=10).json()
    assert served["paths"] == openapi_document()["paths"]


def check(case, control_plane, user: str, checks=None) -> None:
    try:
        case.call_and_validate(base_url=control_plane.url, headers={"X-Auth-Token": control_plane.token(user)},
                               checks=checks or CHECKS, timeout=30)
    except Exception as error:
        # The API's traceback is in its own process's log, which a CI run does not keep: show its end here.
        with open(control_plane.api.log_path, errors="replace") as log:
            error.add_note("--- the end of the REST API's log ---\n" + "".join(log.readlines()[-60:]))
        raise


BOUNDED = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@schema.parametrize()
@BOUNDED
def test_api_conforms_as_member(case, control_plane):
    check(case, control_plane, "demo-member")


@schema.parametrize()
@BOUNDED
def test_api_conforms_as_admin(case, control_plane):
    check(case, control_plane, "admin")


# A fixed seed and a bounded count: the same requests every run, about a minute for both callers.
FUZZ_SEED = 20261202
FUZZ = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False,
                database=None)


@fuzz_schema.parametrize()
@seed(FUZZ_SEED)
@FUZZ
def test_fuzzed_requests_as_member(case, control_plane):
    check(case, control_plane, "demo-member", FUZZ_CHECKS)


@fuzz_schema.parametrize()
@seed(FUZZ_SEED)
@FUZZ
def test_fuzzed_requests_as_admin(case, control_plane):
    check(case, control_plane, "admin", FUZZ_CHECKS)


# -- hostile values, every field of every request body (what random generation rarely reaches) ------------------------

DEEP = "[" * 2000 + "]" * 2000
HOSTILE = {
    "integer": ["18446744073709551616", "-9223372036854775809", "1" + "0" * 400],
    "string": [json.dumps("a\x00b"), json.dumps("x" * 70000)],
    "date-time": ['"0001-01-01T00:00:00Z"', '"9999-12-31T23:59:59Z"', '"10000-01-01T00:00:00Z"'],
    "any": [DEEP, "1e400", '{"\\u0000": 1}'],
}


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def hostile_bodies(document: dict) -> list[tuple[str, str, str, str]]:
    """(method, path template, field, raw JSON body) for every field of every request body and each hostile value."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            if not content:
                continue
            properties = _resolve(document, content["schema"]).get("properties", {})
            for name, field in properties.items():
                field = _resolve(document, field)
                kind = "date-time" if field.get("format") == "date-time" else field.get("type", "object")
                for raw in HOSTILE.get(kind, []) + HOSTILE["any"]:
                    found.append((method.upper(), path, name, '{"' + name + '": ' + raw + '}'))
    return found


def test_hostile_values_in_every_field_are_no_500(control_plane):
    """Numbers beyond 64 bits, NUL characters, dates at the calendar's ends, bodies nested 2,000 deep, in each field
    of each request body, as a member and as an admin, on objects that exist: each answer is below 500 and every
    error is the JSON error shape."""
    from django.utils import timezone
    from storage_backup.catalog.models import Destination, Policy, RestorePoint, Webhook

    member_project = control_plane.project_id("demo-member")
    shared = Destination.objects.get(pk=control_plane.destination_id)
    policy = Policy.objects.create(project_id=member_project, name=f"hostile-{uuid.uuid4().hex[:6]}",
                                   destination=shared)
    point = RestorePoint.objects.create(id=str(uuid.uuid4()), project_id=member_project,
                                        instance_id=str(uuid.uuid4()), availability_zone="nova",
                                        destination=shared, policy=policy,
                                        created_at=timezone.now() - dt.timedelta(days=1))
    own = Destination.objects.create(name=f"hostile-{uuid.uuid4().hex[:6]}", path="/srv/hostile",
                                     project_id=member_project)
    hook = Webhook.objects.create(project_id=member_project, url="https://hooks.example.com/hostile",
                                  secret="whsec_hostile")
    ids = {"webhook_id": hook.id, "policy_id": policy.id, "restore_point_id": point.id, "destination_id": own.id,
           "project_id": member_project, "instance_id": str(uuid.uuid4()), "job_id": str(uuid.uuid4()),
           "name": f"hostile-proxy-{uuid.uuid4().hex[:6]}", "key_id": uuid.uuid4().hex[:16],
               "volume_id": "no-such-volume"}
    limits = ("protected_instances", "restore_points", "stored_bytes")
    quota = control_plane.client("admin").request("GET", f"/v1/quotas/{member_project}")
    quota_before = {name: quota.get(name) for name in limits}
    failures = []
    bodies = hostile_bodies(openapi_document())
    assert len(bodies) > 200
    for user in ("demo-member", "admin"):
        headers = {"X-Auth-Token": control_plane.token(user), "Content-Type": "application/json"}
        for method, template, name, raw in bodies:
            path = template.format(**ids)
            response = requests.request(method, control_plane.url + path, data=raw.encode(), headers=headers,
                                        timeout=30)
            problem = None
            if response.status_code >= 500:
                problem = f"{response.status_code}"
            elif response.status_code >= 400:
                try:
                    json_error_body(None, response, None)
                except (AssertionError, ValueError) as error:
                    problem = str(error)
            if problem:
                failures.append(f"{user} {method} {path} {name}={raw[:40]!r}: {problem} {response.text[:120]!r}")
    # A hostile value may be a valid one somewhere (a date far ahead): leave the project's quota as it was.
    control_plane.client("admin").request("PUT", f"/v1/quotas/{member_project}", json=quota_before)
    assert not failures, f"{len(failures)} of {2 * len(bodies)} requests:\n" + "\n".join(failures[:40])
