# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Every error the REST API answers is its JSON error shape (``{"error": {"code", "message", "field"}}``), never
Django's HTML page, and no input reaches a 500: one regression test per class of input the fuzzing found."""
from __future__ import annotations

import json
import uuid

import pytest
import requests

pytestmark = pytest.mark.catalog


def call(control_plane, method: str, path: str, user: str | None = "demo-member", **kwargs) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if user:
        headers["X-Auth-Token"] = control_plane.token(user)
    return requests.request(method, control_plane.url + path, headers=headers, timeout=30, **kwargs)


def error_of(response: requests.Response, status: int) -> dict:
    """The error body of ``response``, after checking its status and that it is the API's JSON shape."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "field"} and error["message"], error
    return error


@pytest.mark.parametrize("path", ["/nope", "/v1/nope", "/v2/policies", "/v1/policies/a/b/c", "/"])
def test_unknown_urls_are_json_404(control_plane, path):
    for user in ("demo-member", None):
        assert error_of(call(control_plane, "GET", path, user), 404)["code"] == "not_found"


def test_method_not_allowed_is_json_405(control_plane):
    error = error_of(call(control_plane, "DELETE", "/v1/jobs"), 405)
    assert error["code"] == "method_not_allowed"


def test_unsupported_media_type_is_json_415(control_plane):
    response = call(control_plane, "POST", "/v1/policies", data="name=x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(response, 415)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("body", ['{"name": ', "[1, 2", "\xff\xfe", '{"name": NaN}'])
def test_malformed_json_is_400_naming_the_body(control_plane, body):
    response = call(control_plane, "POST", "/v1/policies", data=body.encode("latin-1"),
                    headers={"Content-Type": "application/json"})
    assert error_of(response, 400)["field"] == "body"


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_is_400(control_plane, depth):
    body = '{"name": "p", "description": ' + "[" * depth + "]" * depth + "}"
    response = call(control_plane, "POST", "/v1/policies", data=body, headers={"Content-Type": "application/json"})
    error = error_of(response, 400)
    assert error["field"] == "body" and "nested" in error["message"]


def test_a_body_beyond_the_size_bound_is_413_before_it_is_parsed(control_plane):
    big = json.dumps({"name": "p", "description": "x" * (2 * 1024 * 1024)})
    error = error_of(call(control_plane, "POST", "/v1/policies", data=big,
                          headers={"Content-Type": "application/json"}), 413)
    assert error["code"] == "too_large" and error["field"] == "body" and "1048576 bytes" in error["message"], error


@pytest.mark.parametrize(("field", "value"), [("restore_points", 2**64), ("protected_instances", 2**31),
                                              ("stored_bytes", 2**63), ("stored_bytes", -(2**70)),
                                              ("restore_points", 10**400)])
def test_numbers_beyond_the_database_are_400_naming_the_field(control_plane, field, value):
    project = control_plane.project_id("demo-member")
    response = call(control_plane, "PUT", f"/v1/quotas/{project}", "admin",
                    data=f'{{"{field}": {value}}}', headers={"Content-Type": "application/json"})
    error = error_of(response, 400)
    assert error["field"] in (field, "body"), error
    if value < 10**300:
        assert error["field"] == field


def test_numbers_the_database_holds_are_kept(control_plane):
    project = control_plane.project_id("demo-member")
    admin = control_plane.client("admin")
    kept = admin.request("PUT", f"/v1/quotas/{project}", json={"stored_bytes": 2**63 - 1,
                                                                  "protected_instances": 2**31 - 1})
    assert kept["stored_bytes"] == 2**63 - 1 and kept["protected_instances"] == 2**31 - 1
    admin.request("PUT", f"/v1/quotas/{project}", json={"stored_bytes": None, "protected_instances": None})


@pytest.mark.parametrize("query", ["?offset=99999999999999999999999", "?offset=-5", "?limit=99999999999999999999"])
def test_paging_beyond_64_bits_is_no_500(control_plane, query):
    response = call(control_plane, "GET", "/v1/jobs" + query)
    assert response.status_code in (200, 400), response.text[:300]
    if response.status_code == 400:
        error_of(response, 400)


def test_nul_bytes_are_400_naming_the_field(control_plane):
    body = {"name": "nul\x00name", "destination_id": control_plane.destination_id}
    assert error_of(call(control_plane, "POST", "/v1/policies", json=body), 400)["field"] == "name"
    body = {"name": "p", "destination_id": control_plane.destination_id,
            "pre_command": {"command": "sync\x00", "user": "root"}}
    assert error_of(call(control_plane, "POST", "/v1/policies", json=body), 400)["field"] == "pre_command.command"
    assert error_of(call(control_plane, "GET", "/v1/policies?name=a%00b"), 400)["field"] == "name"
    assert error_of(call(control_plane, "GET", "/v1/jobs/a%00b"), 400)["field"] == "job_id"


def test_oversized_ids_are_404_not_500(control_plane):
    for path in (f"/v1/jobs/{'x' * 5000}", f"/v1/restore-points/{uuid.uuid4()}{'9' * 300}"):
        error_of(call(control_plane, "GET", path), 404)


def test_an_unexpected_exception_is_a_json_500_with_a_request_id(monkeypatch):
    """The handler itself, as the API process runs it: an exception no layer expected."""
    from rest_framework.test import APIRequestFactory
    from storage_backup.rest import errors
    from storage_backup.rest.views import VersionView

    def explode(self, request):
        raise KeyError("a bug")

    monkeypatch.setattr(VersionView, "get", explode)
    response = VersionView.as_view()(APIRequestFactory().get("/v1/"))
    assert response.status_code == 500
    body = json.loads(response.rendered_content)["error"]
    assert body["code"] == "internal_error" and body["request_id"].startswith("req-")
    assert body["request_id"] in body["message"] and "a bug" not in body["message"]
    assert response["X-OpenStack-Request-ID"] == body["request_id"]
    django_response = errors.server_error(APIRequestFactory().get("/v1/"))
    assert django_response.status_code == 500 and json.loads(django_response.content)["error"]["request_id"]


def request_serializers() -> list[type]:
    """Every serializer a request body goes through (the ``StrictSerializer`` ones), nested ones included."""
    from storage_backup.rest import serializers, views_dashboard

    found = set()
    for module in (serializers, views_dashboard):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, serializers.StrictSerializer):
                found.add(value)
    return sorted(found, key=lambda cls: cls.__name__)


def test_every_integer_a_request_carries_is_bounded_to_the_database():
    from rest_framework import serializers as drf

    checked = 0
    for serializer in request_serializers():
        for name, field in serializer().fields.items():
            if isinstance(field, drf.IntegerField):
                checked += 1
                assert field.min_value is not None and field.max_value is not None, f"{serializer.__name__}.{name}"
                assert -(2**63) <= field.min_value and field.max_value <= 2**63 - 1, f"{serializer.__name__}.{name}"
    assert checked >= 15
