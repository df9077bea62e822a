# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Keystone v3 of the embedded cloud: password, token and application credential auth, scoping, validation,
projects, users, roles.

Enough of Keystone for keystoneauth1, openstack_auth (Horizon's login, including its ``"scope": "unscoped"``
request), the ``openstack`` CLI and keystonemiddleware-style token validation (which is also what Ceph RGW's Swift
API does with ``rgw_keystone_url``: an admin token, then ``GET /v3/auth/tokens`` with ``X-Subject-Token``).
"""
from __future__ import annotations

import calendar
import hashlib
import secrets
import time

from werkzeug.wrappers import Response

from storage_backup_sandbox.http import ApiError, Call, Context, Service, json_response, keystone_error_body, not_found
from storage_backup_sandbox.state import State, new_id, utcnow_iso

identity = Service("identity", "/identity", error_body=keystone_error_body)

TOKEN_TTL_SECONDS = 3600
API_VERSION = "v3.14"
MEDIA_TYPES = [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]

# The service catalog: (type, name, path under the sandbox or absolute URL). ``$(project_id)s`` is substituted
# per token, as Keystone does with its endpoint templates.
DEFAULT_SERVICES = (
    ("identity", "keystone", "/identity"),
    ("compute", "nova", "/compute/v2.1"),
    ("volumev3", "cinderv3", "/volume/v3/$(project_id)s"),
    ("block-storage", "cinder", "/volume/v3/$(project_id)s"),
    ("image", "glance", "/image"),
    ("network", "neutron", "/network"),
)
REGION = "RegionOne"


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()
    return f"{salt}${digest}"


def check_password(password: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    return secrets.compare_digest(hash_password(password, salt), stored)


# ---------------------------------------------------------------------------------------------------------------
# model: used by the seed and by tests as well as by the HTTP handlers


def create_domain(state: State, name: str, domain_id: str | None = None, description: str = "") -> dict:
    return state.put("domains", {"id": domain_id or new_id().replace("-", ""), "name": name, "enabled": True,
                                 "description": description, "tags": [], "options": {}})


def create_project(state: State, name: str, domain_id: str = "default", project_id: str | None = None,
                   description: str = "") -> dict:
    return state.put("projects", {
        "id": project_id or new_id().replace("-", ""), "name": name, "domain_id": domain_id,
        "description": description, "enabled": True, "is_domain": False, "parent_id": domain_id,
        "tags": [], "options": {},
    })


def create_user(state: State, name: str, password: str, domain_id: str = "default",
                default_project_id: str | None = None, email: str | None = None) -> dict:
    record = {
        "id": new_id().replace("-", ""), "name": name, "domain_id": domain_id, "enabled": True,
        "password_hash": hash_password(password), "default_project_id": default_project_id,
        "email": email, "options": {}, "password_expires_at": None,
    }
    return state.put("users", record)


def create_role(state: State, name: str) -> dict:
    return state.put("roles", {"id": new_id().replace("-", ""), "name": name, "domain_id": None,
                               "description": None, "options": {}})


def find_by_name(state: State, kind: str, name: str, domain_id: str | None = None) -> dict | None:
    for record in state.table(kind).values():
        if record["name"] == name and (domain_id is None or record.get("domain_id") == domain_id):
            return record
    return None


def grant_role(state: State, user_id: str, role_name: str, project_id: str | None = None,
               domain_id: str | None = None) -> dict:
    role = find_by_name(state, "roles", role_name)
    if role is None:
        raise KeyError(f"no role {role_name}")
    assignment = {"id": new_id(), "user_id": user_id, "role_id": role["id"], "project_id": project_id,
                  "domain_id": domain_id}
    return state.put("role_assignments", assignment)


def implied_roles(state: State, role_ids: set[str]) -> list[dict]:
    """admin implies member implies reader, as in Keystone's default role hierarchy since Rocky."""
    names = {state.get("roles", rid)["name"] for rid in role_ids if state.get("roles", rid)}
    if "admin" in names:
        names |= {"member", "reader"}
    if "member" in names:
        names.add("reader")
    return [{"id": role["id"], "name": role["name"]} for role in state.table("roles").values()
            if role["name"] in names]


def user_roles_on(state: State, user_id: str, project_id: str | None = None,
                  domain_id: str | None = None) -> list[dict]:
    role_ids = {
        a["role_id"] for a in state.table("role_assignments").values()
        if a["user_id"] == user_id
        and ((project_id and a.get("project_id") == project_id) or (domain_id and a.get("domain_id") == domain_id))
    }
    return implied_roles(state, role_ids)


def user_projects(state: State, user_id: str) -> list[dict]:
    project_ids = {a.get("project_id") for a in state.table("role_assignments").values()
                   if a["user_id"] == user_id and a.get("project_id")}
    return [p for pid, p in state.table("projects").items() if pid in project_ids]


def user_domains(state: State, user_id: str) -> list[dict]:
    domain_ids = {a.get("domain_id") for a in state.table("role_assignments").values()
                  if a["user_id"] == user_id and a.get("domain_id")}
    return [d for did, d in state.table("domains").items() if did in domain_ids]


def register_service(state: State, service_type: str, name: str, url: str) -> dict:
    """Add (or replace) a catalog entry; ``url`` is absolute or a path under the sandbox."""
    for service in list(state.table("services").values()):
        if service["type"] == service_type:
            state.delete("services", service["id"])
            for endpoint in list(state.table("endpoints").values()):
                if endpoint["service_id"] == service["id"]:
                    state.delete("endpoints", endpoint["id"])
    service = state.put("services", {"id": new_id().replace("-", ""), "type": service_type, "name": name,
                                     "enabled": True, "description": ""})
    for interface in ("public", "internal", "admin"):
        state.put("endpoints", {"id": new_id().replace("-", ""), "service_id": service["id"],
                                "interface": interface, "region": REGION, "region_id": REGION, "url": url,
                                "enabled": True})
    return service


def seed_identity(state: State) -> None:
    """The part of Keystone every cloud has: the default domain, the three roles, the catalog."""
    if state.get("domains", "default"):
        return
    create_domain(state, "Default", domain_id="default", description="The default domain")
    for role in ("admin", "member", "reader"):
        create_role(state, role)
    for service_type, name, url in DEFAULT_SERVICES:
        register_service(state, service_type, name, url)


def issue_token(state: State, user: dict, methods: list[str], project: dict | None = None,
                domain: dict | None = None, expires_ts: float | None = None,
                audit_ids: list[str] | None = None, application_credential: dict | None = None) -> dict:
    now = time.time()
    token = {
        "id": "gAAAAA" + secrets.token_urlsafe(48),
        "user_id": user["id"], "project_id": project["id"] if project else None,
        "domain_id": domain["id"] if domain else None, "methods": methods,
        "issued_ts": now, "expires_ts": expires_ts or now + TOKEN_TTL_SECONDS,
        "audit_ids": (audit_ids or []) + [secrets.token_urlsafe(16)],
    }
    if application_credential:
        # Only the roles the credential was given, and only while the user still holds them on its project.
        held = {role["id"] for role in user_roles_on(state, user["id"], project_id=project["id"])}
        token["roles"] = [role for role in application_credential["roles"] if role["id"] in held]
        token["application_credential"] = {"id": application_credential["id"],
                                           "name": application_credential["name"], "restricted": True}
    elif project:
        token["roles"] = user_roles_on(state, user["id"], project_id=project["id"])
    elif domain:
        token["roles"] = user_roles_on(state, user["id"], domain_id=domain["id"])
    else:
        token["roles"] = []
    return state.put("tokens", token)


def context_for_token(state: State, token_id: str | None) -> Context | None:
    if not token_id:
        return None
    token = state.get("tokens", token_id)
    if token is None or token["expires_ts"] < time.time():
        return None
    user = state.get("users", token["user_id"])
    if user is None or not user["enabled"]:
        return None
    project = state.get("projects", token["project_id"]) if token["project_id"] else None
    return Context(
        token_id=token_id, user_id=user["id"], user_name=user["name"],
        project_id=project["id"] if project else None, project_name=project["name"] if project else None,
        domain_id=token.get("domain_id"), roles=[r["name"] for r in token["roles"]],
        expires_ts=token["expires_ts"],
    )


def create_application_credential(state: State, user_id: str, project_id: str, name: str, roles: list[dict],
                                  secret: str | None = None, expires_ts: float | None = None,
                                  description: str = "") -> tuple[dict, str]:
    """A credential of ``user_id`` on ``project_id`` limited to ``roles``; returns it and its secret (shown once,
    stored hashed, as Keystone does)."""
    secret = secret or secrets.token_urlsafe(32)
    record = state.put("application_credentials", {
        "id": new_id().replace("-", ""), "name": name, "description": description, "user_id": user_id,
        "project_id": project_id, "roles": [{"id": role["id"], "name": role["name"]} for role in roles],
        "secret_hash": hash_password(secret), "expires_ts": expires_ts, "unrestricted": False,
    })
    return record, secret


def _application_credential_login(state: State, spec: dict) -> tuple[dict, dict]:
    """The credential and its user for an ``application_credential`` auth method (by id, or by name and user)."""
    denied = ApiError(401, "The request you have made requires authentication.")
    credential = None
    if spec.get("id"):
        credential = state.get("application_credentials", spec["id"])
    elif spec.get("name") and spec.get("user"):
        user = _find_user(state, spec["user"])
        credential = next((c for c in state.table("application_credentials").values()
                           if user is not None and c["user_id"] == user["id"] and c["name"] == spec["name"]), None)
    if credential is None or not check_password(spec.get("secret", ""), credential["secret_hash"]):
        raise denied
    if credential.get("expires_ts") and credential["expires_ts"] < time.time():
        raise denied
    user = state.get("users", credential["user_id"])
    if user is None or not user["enabled"] or state.get("projects", credential["project_id"]) is None:
        raise denied
    return credential, user


# ---------------------------------------------------------------------------------------------------------------
# views


def version_document(call: Call) -> dict:
    return {
        "id": API_VERSION, "status": "stable", "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": call.url("/identity/v3/")}], "media-types": MEDIA_TYPES,
    }


def project_view(call: Call, project: dict) -> dict:
    view = {k: project[k] for k in ("id", "name", "domain_id", "description", "enabled", "is_domain",
                                    "parent_id", "tags", "options")}
    view["links"] = {"self": call.url(f"/identity/v3/projects/{project['id']}")}
    return view


def domain_view(call: Call, domain: dict) -> dict:
    view = {k: domain[k] for k in ("id", "name", "description", "enabled", "tags", "options")}
    view["links"] = {"self": call.url(f"/identity/v3/domains/{domain['id']}")}
    return view


def user_view(call: Call, user: dict) -> dict:
    view = {k: user[k] for k in ("id", "name", "domain_id", "enabled", "options", "password_expires_at")}
    if user.get("default_project_id"):
        view["default_project_id"] = user["default_project_id"]
    if user.get("email"):
        view["email"] = user["email"]
    view["links"] = {"self": call.url(f"/identity/v3/users/{user['id']}")}
    return view


def role_view(call: Call, role: dict) -> dict:
    return {"id": role["id"], "name": role["name"], "domain_id": role["domain_id"],
            "description": role.get("description"), "options": role.get("options", {}),
            "links": {"self": call.url(f"/identity/v3/roles/{role['id']}")}}


def render_url(call: Call, url: str, project_id: str | None) -> str:
    if url.startswith("/"):
        url = call.base_url + url
    return url.replace("$(project_id)s", project_id or "").replace("%(project_id)s", project_id or "")


def catalog(call: Call, project_id: str | None) -> list[dict]:
    entries = []
    for service in call.state.table("services").values():
        endpoints = [
            {"id": e["id"], "interface": e["interface"], "region": e["region"], "region_id": e["region_id"],
             "url": render_url(call, e["url"], project_id)}
            for e in call.state.table("endpoints").values() if e["service_id"] == service["id"]
        ]
        entries.append({"id": service["id"], "type": service["type"], "name": service["name"],
                        "endpoints": endpoints})
    return entries


def token_view(call: Call, token: dict, include_catalog: bool = True) -> dict:
    state = call.state
    user = state.get("users", token["user_id"])
    domain = state.get("domains", user["domain_id"])
    body = {
        "methods": token["methods"], "audit_ids": token["audit_ids"],
        "expires_at": utcnow_iso(token["expires_ts"]) + "Z", "issued_at": utcnow_iso(token["issued_ts"]) + "Z",
        "user": {"id": user["id"], "name": user["name"], "password_expires_at": None,
                 "domain": {"id": domain["id"], "name": domain["name"]}},
    }
    if token["project_id"]:
        project = state.get("projects", token["project_id"])
        project_domain = state.get("domains", project["domain_id"])
        body["project"] = {"id": project["id"], "name": project["name"],
                           "domain": {"id": project_domain["id"], "name": project_domain["name"]}}
        body["is_domain"] = False
    if token.get("domain_id"):
        scoped = state.get("domains", token["domain_id"])
        body["domain"] = {"id": scoped["id"], "name": scoped["name"]}
    if token.get("application_credential"):
        body["application_credential"] = token["application_credential"]
    if token["project_id"] or token.get("domain_id"):
        body["roles"] = token["roles"]
        if include_catalog:
            body["catalog"] = catalog(call, token["project_id"])
    return {"token": body}


def authenticated(call: Call) -> Context:
    if call.ctx is None:
        raise ApiError(401, "The request you have made requires authentication.")
    return call.ctx


def require_admin(call: Call) -> Context:
    ctx = authenticated(call)
    if not ctx.is_admin:
        raise ApiError(403, "You are not authorized to perform the requested action.")
    return ctx


# ---------------------------------------------------------------------------------------------------------------
# handlers


@identity.route("/", public=True)
def versions(call: Call):
    return 300, {"versions": {"values": [version_document(call)]}}


@identity.route("/v3", public=True)
def version_v3(call: Call):
    return 200, {"version": version_document(call)}


def _find_user(state: State, spec: dict) -> dict | None:
    if spec.get("id"):
        return state.get("users", spec["id"])
    domain = spec.get("domain") or {}
    domain_id = domain.get("id")
    if not domain_id and domain.get("name"):
        found = find_by_name(state, "domains", domain["name"])
        domain_id = found["id"] if found else None
    if not domain_id:
        return None
    return find_by_name(state, "users", spec.get("name", ""), domain_id)


def _resolve_scope(state: State, scope, user: dict) -> tuple[dict | None, dict | None]:
    if scope in (None, "unscoped"):
        return None, None
    if not isinstance(scope, dict):
        raise ApiError(400, "Invalid scope.")
    if "project" in scope:
        spec = scope["project"]
        project = None
        if spec.get("id"):
            project = state.get("projects", spec["id"])
        elif spec.get("name"):
            domain = spec.get("domain") or {}
            domain_id = domain.get("id")
            if not domain_id and domain.get("name"):
                found = find_by_name(state, "domains", domain["name"])
                domain_id = found["id"] if found else None
            project = find_by_name(state, "projects", spec["name"], domain_id)
        if project is None or not user_roles_on(state, user["id"], project_id=project["id"]):
            raise ApiError(401, "User has no access to project.")
        return project, None
    if "domain" in scope:
        spec = scope["domain"]
        domain = state.get("domains", spec["id"]) if spec.get("id") else find_by_name(state, "domains",
                                                                                        spec.get("name", ""))
        if domain is None or not user_roles_on(state, user["id"], domain_id=domain["id"]):
            raise ApiError(401, "User has no access to domain.")
        return None, domain
    if "system" in scope:
        raise ApiError(401, "User has no access to the system scope.")
    raise ApiError(400, "Invalid scope.")


@identity.route("/v3/auth/tokens", methods="POST", public=True)
def issue(call: Call):
    auth = call.body_object("auth")
    identity_part = auth.get("identity") or {}
    methods = identity_part.get("methods") or []
    state = call.state
    audit_ids = None
    expires_ts = None
    if "password" in methods:
        spec = (identity_part.get("password") or {}).get("user") or {}
        user = _find_user(state, spec)
        if user is None or not user["enabled"] or not check_password(spec.get("password", ""),
                                                                     user["password_hash"]):
            raise ApiError(401, "The request you have made requires authentication.")
    elif "application_credential" in methods:
        credential, user = _application_credential_login(state, identity_part.get("application_credential") or {})
        scope = auth.get("scope")
        project = state.get("projects", credential["project_id"])
        if scope not in (None, "unscoped") and scope != {"project": {"id": project["id"]}}:
            raise ApiError(401, "Application credentials cannot request a scope.")
        token = issue_token(state, user, methods, project, application_credential=credential,
                            expires_ts=credential.get("expires_ts"))
        if not token["roles"]:
            state.delete("tokens", token["id"])
            raise ApiError(401, "The user no longer holds the roles of this application credential.")
        include_catalog = "nocatalog" not in call.args
        return json_response(201, token_view(call, token, include_catalog), headers={"X-Subject-Token": token["id"]})
    elif "token" in methods:
        old = state.get("tokens", (identity_part.get("token") or {}).get("id", ""))
        if old is None or old["expires_ts"] < time.time():
            raise ApiError(401, "The request you have made requires authentication.")
        if old.get("application_credential"):
            raise ApiError(401, "A token from an application credential cannot be re-scoped.")
        user = state.get("users", old["user_id"])
        audit_ids = old["audit_ids"][:1]
        expires_ts = old["expires_ts"]  # a re-scoped token never outlives the one it came from
    else:
        raise ApiError(401, "The request you have made requires authentication.")
    scope = auth.get("scope")
    if scope is None and user.get("default_project_id"):
        scope = {"project": {"id": user["default_project_id"]}}
    project, domain = _resolve_scope(state, scope, user)
    token = issue_token(state, user, methods, project, domain, expires_ts=expires_ts, audit_ids=audit_ids)
    include_catalog = "nocatalog" not in call.args
    return json_response(201, token_view(call, token, include_catalog), headers={"X-Subject-Token": token["id"]})


def _subject(call: Call) -> dict:
    authenticated(call)
    subject = call.state.get("tokens", call.request.headers.get("X-Subject-Token", ""))
    if subject is None or subject["expires_ts"] < time.time():
        raise ApiError(404, "Could not find token.")
    ctx = call.ctx
    if subject["user_id"] != ctx.user_id and not ctx.is_admin and "service" not in ctx.roles:
        raise ApiError(403, "You are not authorized to perform the requested action.")
    return subject


@identity.route("/v3/auth/tokens", methods=["GET", "HEAD"])
def validate(call: Call):
    subject = _subject(call)
    if call.method == "HEAD":
        return Response(status=200, headers={"X-Subject-Token": subject["id"]})
    return json_response(200, token_view(call, subject, "nocatalog" not in call.args),
                         headers={"X-Subject-Token": subject["id"]})


@identity.route("/v3/auth/tokens", methods="DELETE")
def revoke(call: Call):
    subject = _subject(call)
    call.state.delete("tokens", subject["id"])
    return 204, None


@identity.route("/v3/auth/projects")
def auth_projects(call: Call):
    ctx = authenticated(call)
    projects = [project_view(call, p) for p in user_projects(call.state, ctx.user_id) if p["enabled"]]
    return 200, {"projects": projects, "links": {"self": call.url("/identity/v3/auth/projects"),
                                                 "next": None, "previous": None}}


@identity.route("/v3/auth/domains")
def auth_domains(call: Call):
    ctx = authenticated(call)
    domains = [domain_view(call, d) for d in user_domains(call.state, ctx.user_id)]
    return 200, {"domains": domains, "links": {"self": call.url("/identity/v3/auth/domains"),
                                               "next": None, "previous": None}}


@identity.route("/v3/auth/system")
def auth_system(call: Call):
    authenticated(call)
    return 200, {"system": [], "links": {"self": call.url("/identity/v3/auth/system")}}


@identity.route("/v3/auth/catalog")
def auth_catalog(call: Call):
    ctx = authenticated(call)
    return 200, {"catalog": catalog(call, ctx.project_id), "links": {"self": call.url("/identity/v3/auth/catalog")}}


def _list(call: Call, kind: str, view, filters: tuple[str, ...] = ("name", "domain_id", "enabled")) -> list[dict]:
    records = list(call.state.table(kind).values())
    for key in filters:
        wanted = call.args.get(key)
        if wanted is not None:
            if key == "enabled":
                records = [r for r in records if str(r.get(key)).lower() == wanted.lower()]
            else:
                records = [r for r in records if r.get(key) == wanted]
    records.sort(key=lambda r: r.get("name") or "")
    return [view(call, r) for r in records]


def _links(call: Call, path: str) -> dict:
    return {"self": call.url("/identity/v3" + path), "next": None, "previous": None}


@identity.route("/v3/projects")
def list_projects(call: Call):
    ctx = authenticated(call)
    projects = _list(call, "projects", project_view)
    if not ctx.is_admin:
        mine = {p["id"] for p in user_projects(call.state, ctx.user_id)}
        projects = [p for p in projects if p["id"] in mine]
    return 200, {"projects": projects, "links": _links(call, "/projects")}


@identity.route("/v3/projects", methods="POST")
def post_project(call: Call):
    require_admin(call)
    spec = call.body_object("project")
    if not spec.get("name"):
        raise ApiError(400, "Invalid input for field 'name': a project needs a name.")
    domain_id = spec.get("domain_id", "default")
    if find_by_name(call.state, "projects", spec["name"], domain_id):
        raise ApiError(409, f"Conflict occurred attempting to store project - Duplicate entry {spec['name']}.")
    project = create_project(call.state, spec["name"], domain_id, description=spec.get("description", ""))
    project["enabled"] = spec.get("enabled", True)
    return 201, {"project": project_view(call, project)}


@identity.route("/v3/projects/<project_id>")
def get_project(call: Call, project_id: str):
    ctx = authenticated(call)
    project = call.state.get("projects", project_id)
    if project is None:
        raise not_found("Project", project_id)
    # Keystone loads the target before enforcing identity:get_project, so another project answers 403, not 404
    # (Horizon's image table relies on that to show an owner's id without an error).
    if not (ctx.is_admin or project_id == ctx.project_id or project in user_projects(call.state, ctx.user_id)):
        raise ApiError(403, "You are not authorized to perform the requested action: identity:get_project.")
    return 200, {"project": project_view(call, project)}


@identity.route("/v3/projects/<project_id>", methods="PATCH")
def patch_project(call: Call, project_id: str):
    require_admin(call)
    project = call.state.get("projects", project_id)
    if project is None:
        raise not_found("Project", project_id)
    spec = call.body_object("project")
    for key in ("name", "description", "enabled"):
        if key in spec:
            project[key] = spec[key]
    call.state.touch()
    return 200, {"project": project_view(call, project)}


@identity.route("/v3/projects/<project_id>", methods="DELETE")
def delete_project(call: Call, project_id: str):
    require_admin(call)
    if call.state.delete("projects", project_id) is None:
        raise not_found("Project", project_id)
    return 204, None


@identity.route("/v3/domains")
def list_domains(call: Call):
    ctx = authenticated(call)
    domains = _list(call, "domains", domain_view, ("name", "enabled"))
    if not ctx.is_admin:
        domains = [d for d in domains if d["id"] in {x["id"] for x in user_domains(call.state, ctx.user_id)}]
    return 200, {"domains": domains, "links": _links(call, "/domains")}


@identity.route("/v3/domains/<domain_id>")
def get_domain(call: Call, domain_id: str):
    authenticated(call)
    domain = call.state.get("domains", domain_id)
    if domain is None:
        raise not_found("Domain", domain_id)
    return 200, {"domain": domain_view(call, domain)}


@identity.route("/v3/users")
def list_users(call: Call):
    require_admin(call)
    return 200, {"users": _list(call, "users", user_view), "links": _links(call, "/users")}


@identity.route("/v3/users/<user_id>")
def get_user(call: Call, user_id: str):
    ctx = authenticated(call)
    user = call.state.get("users", user_id)
    if user is None or not (ctx.is_admin or user_id == ctx.user_id):
        raise not_found("User", user_id)
    return 200, {"user": user_view(call, user)}


@identity.route("/v3/users/<user_id>/projects")
def list_user_projects(call: Call, user_id: str):
    ctx = authenticated(call)
    if user_id != ctx.user_id and not ctx.is_admin:
        raise ApiError(403, "You are not authorized to perform the requested action.")
    projects = [project_view(call, p) for p in user_projects(call.state, user_id)]
    return 200, {"projects": projects, "links": _links(call, f"/users/{user_id}/projects")}


@identity.route("/v3/users/<user_id>/groups")
def list_user_groups(call: Call, user_id: str):
    authenticated(call)
    return 200, {"groups": [], "links": _links(call, f"/users/{user_id}/groups")}


@identity.route("/v3/groups")
def list_groups(call: Call):
    authenticated(call)
    return 200, {"groups": [], "links": _links(call, "/groups")}


@identity.route("/v3/roles")
def list_roles(call: Call):
    authenticated(call)
    return 200, {"roles": _list(call, "roles", role_view, ("name",)), "links": _links(call, "/roles")}


@identity.route("/v3/role_assignments")
def list_role_assignments(call: Call):
    ctx = authenticated(call)
    assignments = list(call.state.table("role_assignments").values())
    wanted_user = call.args.get("user.id")
    wanted_project = call.args.get("scope.project.id")
    if not ctx.is_admin:
        wanted_user = ctx.user_id
    if wanted_user:
        assignments = [a for a in assignments if a["user_id"] == wanted_user]
    if wanted_project:
        assignments = [a for a in assignments if a.get("project_id") == wanted_project]
    include_names = "include_names" in call.args
    views = []
    for assignment in assignments:
        role = call.state.get("roles", assignment["role_id"])
        view = {"role": {"id": role["id"]}, "user": {"id": assignment["user_id"]}, "links": {}}
        if include_names:
            view["role"]["name"] = role["name"]
            view["user"]["name"] = call.state.get("users", assignment["user_id"])["name"]
        if assignment.get("project_id"):
            view["scope"] = {"project": {"id": assignment["project_id"]}}
        else:
            view["scope"] = {"domain": {"id": assignment["domain_id"]}}
        views.append(view)
    return 200, {"role_assignments": views, "links": _links(call, "/role_assignments")}


@identity.route("/v3/services")
def list_services(call: Call):
    authenticated(call)
    services = [dict(s, links={"self": call.url(f"/identity/v3/services/{s['id']}")})
                for s in call.state.table("services").values()]
    return 200, {"services": services, "links": _links(call, "/services")}


@identity.route("/v3/services", methods="POST")
def post_service(call: Call):
    require_admin(call)
    spec = call.body_object("service")
    if not spec.get("type"):
        raise ApiError(400, "Invalid input for field 'type': a service needs a type.")
    service = call.state.put("services", {"id": new_id().replace("-", ""), "type": spec["type"],
                                          "name": spec.get("name", ""), "enabled": spec.get("enabled", True),
                                          "description": spec.get("description", "")})
    return 201, {"service": dict(service, links={"self": call.url(f"/identity/v3/services/{service['id']}")})}


@identity.route("/v3/services/<service_id>", methods="DELETE")
def delete_service(call: Call, service_id: str):
    require_admin(call)
    if call.state.delete("services", service_id) is None:
        raise not_found("Service", service_id)
    for endpoint in list(call.state.table("endpoints").values()):
        if endpoint["service_id"] == service_id:
            call.state.delete("endpoints", endpoint["id"])
    return 204, None


@identity.route("/v3/endpoints", methods="POST")
def post_endpoint(call: Call):
    require_admin(call)
    spec = call.body_object("endpoint")
    for field in ("service_id", "interface", "url"):
        if not spec.get(field):
            raise ApiError(400, f"Invalid input for field '{field}': it is required.")
    if call.state.get("services", spec["service_id"]) is None:
        raise ApiError(400, f"Could not find service: {spec['service_id']}.")
    if spec["interface"] not in ("public", "internal", "admin"):
        raise ApiError(400, f"Invalid input for field 'interface': '{spec['interface']}' is not one of public, "
                            "internal, admin.")
    region = spec.get("region_id") or spec.get("region") or REGION
    endpoint = call.state.put("endpoints", {"id": new_id().replace("-", ""), "service_id": spec["service_id"],
                                            "interface": spec["interface"], "region": region, "region_id": region,
                                            "url": spec["url"], "enabled": spec.get("enabled", True)})
    return 201, {"endpoint": dict(endpoint, links={"self": call.url(f"/identity/v3/endpoints/{endpoint['id']}")})}


@identity.route("/v3/endpoints")
def list_endpoints(call: Call):
    authenticated(call)
    endpoints = [dict(e, url=render_url(call, e["url"], None),
                      links={"self": call.url(f"/identity/v3/endpoints/{e['id']}")})
                 for e in call.state.table("endpoints").values()]
    return 200, {"endpoints": endpoints, "links": _links(call, "/endpoints")}


@identity.route("/v3/regions")
def list_regions(call: Call):
    authenticated(call)
    return 200, {"regions": [{"id": REGION, "description": "", "parent_region_id": None,
                              "links": {"self": call.url(f"/identity/v3/regions/{REGION}")}}],
                 "links": _links(call, "/regions")}


def application_credential_view(call: Call, credential: dict, secret: str | None = None) -> dict:
    view = {"id": credential["id"], "name": credential["name"], "description": credential["description"],
            "user_id": credential["user_id"], "project_id": credential["project_id"], "roles": credential["roles"],
            "unrestricted": credential["unrestricted"], "access_rules": [],
            "expires_at": utcnow_iso(credential["expires_ts"]) if credential.get("expires_ts") else None,
            "links": {"self": call.url(f"/identity/v3/users/{credential['user_id']}/application_credentials/"
                                       f"{credential['id']}")}}
    if secret is not None:
        view["secret"] = secret
    return view


def _own_credentials(call: Call, user_id: str) -> Context:
    ctx = authenticated(call)
    if user_id != ctx.user_id:  # Keystone: only the user manages their application credentials
        raise ApiError(403, "You are not authorized to perform the requested action.")
    return ctx


@identity.route("/v3/users/<user_id>/application_credentials", methods="POST")
def post_application_credential(call: Call, user_id: str):
    ctx = _own_credentials(call, user_id)
    token = call.state.get("tokens", ctx.token_id)
    if token.get("application_credential"):
        raise ApiError(403, "A restricted application credential cannot create application credentials.")
    if not ctx.project_id:
        raise ApiError(400, "An application credential needs a project-scoped token.")
    spec = call.body_object("application_credential")
    if not spec.get("name"):
        raise ApiError(400, "Invalid input for field 'name': an application credential needs a name.")
    if any(c["user_id"] == user_id and c["name"] == spec["name"]
           for c in call.state.table("application_credentials").values()):
        raise ApiError(409, f"Conflict occurred attempting to store application_credential - Duplicate entry "
                            f"{spec['name']}.")
    held = {role["id"]: role for role in token["roles"]}
    roles = list(held.values())
    if spec.get("roles"):
        by_name = {role["name"]: role for role in held.values()}
        roles = []
        for wanted in spec["roles"]:
            role = held.get(wanted.get("id", "")) or by_name.get(wanted.get("name", ""))
            if role is None:
                raise ApiError(403, f"The user does not hold the role {wanted} on the project.")
            roles.append(role)
    expires_ts = None
    if spec.get("expires_at"):
        try:
            expires_ts = calendar.timegm(time.strptime(spec["expires_at"][:19], "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            raise ApiError(400, f"Invalid input for field 'expires_at': {spec['expires_at']!r}.") from None
    credential, secret = create_application_credential(call.state, user_id, ctx.project_id, spec["name"], roles,
                                                       secret=spec.get("secret"), expires_ts=expires_ts,
                                                       description=spec.get("description") or "")
    return 201, {"application_credential": application_credential_view(call, credential, secret)}


@identity.route("/v3/users/<user_id>/application_credentials")
def list_application_credentials(call: Call, user_id: str):
    _own_credentials(call, user_id)
    credentials = [application_credential_view(call, c) for c in call.state.table("application_credentials").values()
                   if c["user_id"] == user_id and call.args.get("name") in (None, c["name"])]
    return 200, {"application_credentials": credentials,
                 "links": _links(call, f"/users/{user_id}/application_credentials")}


@identity.route("/v3/users/<user_id>/application_credentials/<credential_id>", methods="DELETE")
def delete_application_credential(call: Call, user_id: str, credential_id: str):
    _own_credentials(call, user_id)
    credential = call.state.get("application_credentials", credential_id)
    if credential is None or credential["user_id"] != user_id:
        raise not_found("Application credential", credential_id)
    call.state.delete("application_credentials", credential_id)
    for token_id, token in list(call.state.table("tokens").items()):  # Keystone revokes its tokens with it
        if (token.get("application_credential") or {}).get("id") == credential_id:
            call.state.delete("tokens", token_id)
    return 204, None
