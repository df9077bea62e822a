# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Keystone of the embedded cloud, driven by keystoneauth1 and the openstack CLI over real HTTP."""
from __future__ import annotations

import subprocess
import sys

import pytest
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3


def test_password_login_scopes_to_the_users_project(sandbox):
    session = sandbox.session("demo-member")
    access = session.auth.get_access(session)
    assert access.project_name == "demo"
    assert set(access.role_names) == {"member", "reader"}
    services = {entry["type"] for entry in access.service_catalog.catalog}
    assert {"identity", "compute", "volumev3", "block-storage", "image", "network"} <= services


def test_horizon_style_unscoped_login_then_rescope(sandbox):
    # openstack_auth first asks for an unscoped token ("scope": "unscoped"), lists projects, then re-scopes.
    auth = v3.Password(auth_url=sandbox.auth_url, username="alt-member", password="alt-secret",
                       user_domain_name="Default", unscoped=True)
    session = ks_session.Session(auth=auth)
    unscoped = auth.get_access(session)
    assert unscoped.project_id is None
    projects = session.get(sandbox.auth_url + "/auth/projects").json()["projects"]
    assert [p["name"] for p in projects] == ["alt"]
    scoped = v3.Token(auth_url=sandbox.auth_url, token=unscoped.auth_token, project_id=projects[0]["id"])
    access = scoped.get_access(ks_session.Session(auth=scoped))
    assert access.project_name == "alt"
    assert access.expires == unscoped.expires  # a re-scoped token never outlives its parent


def test_wrong_password_is_401(sandbox):
    auth = v3.Password(auth_url=sandbox.auth_url, username="demo-member", password="nope",
                       user_domain_name="Default", project_name="demo", project_domain_name="Default")
    with pytest.raises(ks_exceptions.Unauthorized):
        auth.get_access(ks_session.Session(auth=auth))


def test_user_cannot_scope_to_a_project_without_a_role(sandbox):
    auth = v3.Password(auth_url=sandbox.auth_url, username="demo-member", password="demo-secret",
                       user_domain_name="Default", project_name="alt", project_domain_name="Default")
    with pytest.raises(ks_exceptions.Unauthorized):
        auth.get_access(ks_session.Session(auth=auth))


def test_token_validation_and_revocation(sandbox):
    admin = sandbox.session("admin")
    user = sandbox.session("demo-member")
    user_token = user.get_token()
    checked = admin.get(sandbox.auth_url + "/auth/tokens", headers={"X-Subject-Token": user_token})
    assert checked.json()["token"]["project"]["name"] == "demo"
    assert admin.head(sandbox.auth_url + "/auth/tokens", headers={"X-Subject-Token": user_token}).status_code == 200
    admin.delete(sandbox.auth_url + "/auth/tokens", headers={"X-Subject-Token": user_token})
    gone = admin.head(sandbox.auth_url + "/auth/tokens", headers={"X-Subject-Token": user_token},
                      raise_exc=False)
    assert gone.status_code == 404


def test_requests_without_a_token_are_401(sandbox):
    import requests

    answer = requests.get(sandbox.auth_url + "/projects", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == 401


def test_non_admin_sees_only_own_projects(sandbox):
    names = [p["name"] for p in sandbox.session("demo-member").get(sandbox.auth_url + "/projects").json()["projects"]]
    assert names == ["demo"]
    everything = sandbox.session("admin").get(sandbox.auth_url + "/projects").json()["projects"]
    assert {"admin", "service", "demo", "alt"} <= {p["name"] for p in everything}


def test_openstack_cli_project_list(sandbox):
    result = subprocess.run([sys.executable, "-m", "openstackclient.shell", "project", "list", "-f", "value",
                             "-c", "Name"], env=sandbox.cli_env("sandbox-admin"), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert {"admin", "alt", "demo", "service"} <= set(result.stdout.split())


def test_get_project_of_another_project_is_403_and_unknown_is_404(sandbox):
    session = sandbox.session("demo-member")
    projects = sandbox.session("admin").get(sandbox.auth_url + "/projects").json()["projects"]
    alt_id = next(p["id"] for p in projects if p["name"] == "alt")
    assert session.get(sandbox.auth_url + f"/projects/{alt_id}", raise_exc=False).status_code == 403
    assert session.get(sandbox.auth_url + "/projects/0123456789abcdef", raise_exc=False).status_code == 404


def test_admin_registers_a_service_in_the_catalog(sandbox):
    admin = sandbox.session("admin")
    service = admin.post(sandbox.auth_url + "/services",
                         json={"service": {"type": "test-protection", "name": "test"}}).json()["service"]
    for interface in ("public", "internal"):
        admin.post(sandbox.auth_url + "/endpoints", json={"endpoint": {
            "service_id": service["id"], "interface": interface, "url": "http://127.0.0.1:9/v1"}})
    member = sandbox.session("demo-member")
    assert member.get_endpoint(service_type="test-protection", interface="public") == "http://127.0.0.1:9/v1"
    refused = member.post(sandbox.auth_url + "/services", json={"service": {"type": "x"}}, raise_exc=False)
    assert refused.status_code == 403
    admin.delete(sandbox.auth_url + f"/services/{service['id']}")
    with pytest.raises(ks_exceptions.EndpointNotFound):
        sandbox.session("demo-member").get_endpoint(service_type="test-protection", interface="public")


def test_application_credential_login_and_revocation(sandbox):
    member = sandbox.session("demo-member")
    access = member.auth.get_access(member)
    url = f"{sandbox.auth_url}/users/{access.user_id}/application_credentials"
    created = member.post(url, json={"application_credential": {
        "name": "backup-destination", "roles": [{"name": "member"}]}}).json()["application_credential"]
    assert created["project_id"] == access.project_id and created["secret"]
    assert "secret" not in member.get(url).json()["application_credentials"][0]

    auth = v3.ApplicationCredential(auth_url=sandbox.auth_url, application_credential_id=created["id"],
                                    application_credential_secret=created["secret"])
    session = ks_session.Session(auth=auth)
    login = auth.get_access(session)
    assert login.project_id == access.project_id and login.role_names == ["member"]
    assert session.get_endpoint(service_type="compute", interface="public")
    # Validated like any token (what RGW's Keystone integration does with an admin token).
    checked = sandbox.session("admin").get(sandbox.auth_url + "/auth/tokens",
                                           headers={"X-Subject-Token": login.auth_token}).json()["token"]
    assert checked["application_credential"]["id"] == created["id"]
    # Restricted: it cannot make more credentials, nor be re-scoped.
    refused = session.post(url, json={"application_credential": {"name": "more"}}, raise_exc=False)
    assert refused.status_code == 403
    by_name = v3.ApplicationCredential(auth_url=sandbox.auth_url, application_credential_name="backup-destination",
                                       application_credential_secret=created["secret"], username="demo-member",
                                       user_domain_name="Default")
    assert by_name.get_access(ks_session.Session(auth=by_name)).project_id == access.project_id
    wrong = v3.ApplicationCredential(auth_url=sandbox.auth_url, application_credential_id=created["id"],
                                     application_credential_secret="nope")
    with pytest.raises(ks_exceptions.Unauthorized):
        wrong.get_access(ks_session.Session(auth=wrong))
    # A role the user does not hold cannot be delegated.
    too_much = member.post(url, json={"application_credential": {"name": "x", "roles": [{"name": "admin"}]}},
                           raise_exc=False)
    assert too_much.status_code == 403

    member.delete(f"{url}/{created['id']}")
    gone = sandbox.session("admin").head(sandbox.auth_url + "/auth/tokens",
                                         headers={"X-Subject-Token": login.auth_token}, raise_exc=False)
    assert gone.status_code == 404
    again = v3.ApplicationCredential(auth_url=sandbox.auth_url, application_credential_id=created["id"],
                                     application_credential_secret=created["secret"])
    with pytest.raises(ks_exceptions.Unauthorized):
        again.get_access(ks_session.Session(auth=again))
