# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Property-based tests of the REST API from its own OpenAPI document (schemathesis), bounded in time: no 5xx,
every status code documented, every response matching its schema — as a project member and as an admin."""
from __future__ import annotations

import json

import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def openapi_document() -> dict:
    """The document ``GET /v1/openapi.json`` serves, generated from the same code (the test also fetches it)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(openapi_document())


def test_served_document_is_the_tested_one(control_plane):
    served = requests.get(control_plane.url + "/v1/openapi.json", timeout=10).json()
    assert served["paths"] == openapi_document()["paths"]


def check(case, control_plane, user: str) -> None:
    try:
        case.call_and_validate(base_url=control_plane.url, headers={"X-Auth-Token": control_plane.token(user)},
                               checks=CHECKS, timeout=30)
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
