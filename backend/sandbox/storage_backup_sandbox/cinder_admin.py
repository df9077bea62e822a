# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder's supporting resources: volume types (+ extra specs, access, default), availability zones, limits,
quota sets, services, extensions, backups (none), messages, scheduler pools, QoS specs."""
from __future__ import annotations

import time

from storage_backup_sandbox import cinder
from storage_backup_sandbox import cinder_views as views
from storage_backup_sandbox.cinder_api import (
    body_of,
    page,
    parse_bool,
    parse_int,
    record_for,
    require_admin,
    require_project,
    scoped_page,
    v3,
)
from storage_backup_sandbox.http import ApiError, Call, bad_request, forbidden, json_response
from storage_backup_sandbox.state import new_id

# ---------------------------------------------------------------------------------------------------------------
# volume types


def _type_for(call: Call, type_id: str) -> dict:
    require_project(call)
    if type_id == "default":
        record = call.state.get("volume_types", cinder.default_type_id(call.state))
        if record is None:
            raise ApiError(404, "Default volume type can not be found.")
        return record
    record = call.state.get("volume_types", type_id)
    if record is None or not (record["is_public"] or call.ctx.is_admin
                              or call.ctx.project_id in record.get("projects", [])):
        raise ApiError(404, f"Volume type {type_id} could not be found.")
    return record


@v3("/types")
def list_types(call: Call, project_id: str | None = None):
    require_project(call)
    records = list(call.state.table("volume_types").values())
    if call.ctx.is_admin:
        wanted = call.args.get("is_public")
        if wanted is not None and wanted.lower() != "none":
            records = [t for t in records if t["is_public"] == parse_bool(wanted, "is_public")]
        elif wanted is None:
            records = [t for t in records if t["is_public"]]
    else:
        records = [t for t in records if t["is_public"] or call.ctx.project_id in t.get("projects", [])]
    if call.args.get("extra_specs") and call.mv_at_least(3, 52):
        from storage_backup_sandbox.cinder_api import parse_dict_filter

        wanted_specs = parse_dict_filter(call.args["extra_specs"], "extra_specs")
        records = [t for t in records if all(t["extra_specs"].get(k) == str(v) for k, v in wanted_specs.items())]
    records, links = page(call, records, "types", default_keys=("created_at", "id"))
    body: dict = {"volume_types": [views.volume_type(call, t) for t in records]}
    if links:
        body["volume_type_links"] = links
    return 200, body


@v3("/types/<type_id>")
def show_type(call: Call, type_id: str, project_id: str | None = None):
    return 200, {"volume_type": views.volume_type(call, _type_for(call, type_id))}


@v3("/types", methods="POST")
def create_type(call: Call, project_id: str | None = None):
    require_admin(call, "volume_extension:types_manage")
    spec = body_of(call, "volume_type")
    name = (spec.get("name") or "").strip()
    if not name or len(name) > 255:
        raise bad_request("Invalid input for field/attribute name.")
    if any(t["name"] == name for t in call.state.table("volume_types").values()):
        raise ApiError(409, f"Volume Type {name} already exists.")
    record = call.state.put("volume_types", {
        "id": new_id(), "name": name, "description": spec.get("description"),
        "is_public": parse_bool(spec.get("os-volume-type-access:is_public", spec.get("is_public", True)),
                                "is_public"),
        "extra_specs": {str(k): str(v) for k, v in (spec.get("extra_specs") or {}).items()},
        "qos_specs_id": None, "created_at": cinder.now(), "projects": []})
    view = views.volume_type(call, record)
    view.pop("qos_specs_id", None)
    return 200, {"volume_type": view}


@v3("/types/<type_id>", methods="PUT")
def update_type(call: Call, type_id: str, project_id: str | None = None):
    require_admin(call, "volume_extension:types_manage")
    record = _type_for(call, type_id)
    spec = body_of(call, "volume_type")
    if "name" in spec and spec["name"]:
        record["name"] = spec["name"]
    if "description" in spec:
        record["description"] = spec["description"]
    if "is_public" in spec:
        record["is_public"] = parse_bool(spec["is_public"], "is_public")
    call.state.touch()
    view = views.volume_type(call, record)
    for key in ("qos_specs_id", "os-volume-type-access:is_public"):
        view.pop(key, None)
    return 200, {"volume_type": view}


@v3("/types/<type_id>", methods="DELETE")
def delete_type(call: Call, type_id: str, project_id: str | None = None):
    require_admin(call, "volume_extension:types_manage")
    record = _type_for(call, type_id)
    if record["id"] == cinder.default_type_id(call.state):
        raise bad_request("Invalid volume type: Default volume type can not be deleted.")
    if any(v["volume_type_id"] == record["id"] for v in call.state.table("volumes").values()):
        raise bad_request("Target volume type is still in use.")
    call.state.delete("volume_types", record["id"])
    return json_response(202, None)


@v3("/types/<type_id>/extra_specs")
def list_extra_specs(call: Call, type_id: str, project_id: str | None = None):
    record = _type_for(call, type_id)
    return 200, {"extra_specs": views.volume_type(call, record)["extra_specs"]}


@v3("/types/<type_id>/extra_specs", methods="POST")
def set_extra_specs(call: Call, type_id: str, project_id: str | None = None):
    require_admin(call, "volume_extension:types_extra_specs:create")
    record = _type_for(call, type_id)
    specs = body_of(call, "extra_specs")
    record["extra_specs"].update({str(k): str(v) for k, v in specs.items()})
    call.state.touch()
    return 200, {"extra_specs": {str(k): str(v) for k, v in specs.items()}}


@v3("/types/<type_id>/extra_specs/<key>")
def show_extra_spec(call: Call, type_id: str, key: str, project_id: str | None = None):
    specs = views.volume_type(call, _type_for(call, type_id))["extra_specs"]
    if key not in specs:
        raise ApiError(404, f"Volume Type {type_id} has no extra specs with key {key}.")
    return 200, {key: specs[key]}


@v3("/types/<type_id>/extra_specs/<key>", methods="PUT")
def put_extra_spec(call: Call, type_id: str, key: str, project_id: str | None = None):
    require_admin(call, "volume_extension:types_extra_specs:update")
    record = _type_for(call, type_id)
    body = call.json()
    if not isinstance(body, dict) or key not in body or len(body) != 1:
        raise bad_request("Request body and URI mismatch")
    record["extra_specs"][key] = str(body[key])
    call.state.touch()
    return 200, {key: str(body[key])}


@v3("/types/<type_id>/extra_specs/<key>", methods="DELETE")
def delete_extra_spec(call: Call, type_id: str, key: str, project_id: str | None = None):
    require_admin(call, "volume_extension:types_extra_specs:delete")
    record = _type_for(call, type_id)
    if key not in record["extra_specs"]:
        raise ApiError(404, f"Volume Type {type_id} has no extra specs with key {key}.")
    del record["extra_specs"][key]
    call.state.touch()
    return json_response(202, None)


@v3("/types/<type_id>/os-volume-type-access")
def list_type_access(call: Call, type_id: str, project_id: str | None = None):
    require_admin(call, "volume_extension:volume_type_access:get_all_for_type")
    record = _type_for(call, type_id)
    if record["is_public"]:
        raise ApiError(404, "Access list not available for public volume types.")
    return 200, {"volume_type_access": [{"volume_type_id": record["id"], "project_id": p}
                                        for p in record.get("projects", [])]}


@v3("/types/<type_id>/action", methods="POST")
def type_action(call: Call, type_id: str, project_id: str | None = None):
    require_admin(call, "volume_extension:volume_type_access")
    record = _type_for(call, type_id)
    body = call.json()
    if isinstance(body, dict) and "addProjectAccess" in body:
        if record["is_public"]:
            raise bad_request("Invalid volume type: Type access modification is not applicable to public volume "
                              "type.")
        project = (body["addProjectAccess"] or {}).get("project")
        if project in record.setdefault("projects", []):
            raise ApiError(409, f"Volume type access for {type_id} / {project} combination already exists.")
        record["projects"].append(project)
    elif isinstance(body, dict) and "removeProjectAccess" in body:
        project = (body["removeProjectAccess"] or {}).get("project")
        if project not in record.get("projects", []):
            raise ApiError(404, f"Volume type access not found for {type_id} / {project} combination.")
        record["projects"].remove(project)
    else:
        raise ApiError(404, "There is no such action")
    call.state.touch()
    return json_response(202, None)


# Volume type encryption (Cinder's ``types/{id}/encryption``): a type with a spec makes every volume of it encrypted
# (``encrypted: true`` and an ``encryption_key_id``, the Barbican secret a real Cinder would create). The spec can
# change only while no volume uses the type, as in Cinder.
ENCRYPTION_KEYS = ("provider", "control_location", "cipher", "key_size")
CONTROL_LOCATIONS = ("front-end", "back-end")


def _encryption_view(record: dict) -> dict:
    spec = record["encryption"]
    return {"volume_type_id": record["id"], "encryption_id": spec["encryption_id"], "provider": spec["provider"],
            "control_location": spec["control_location"], "cipher": spec["cipher"], "key_size": spec["key_size"],
            "created_at": spec["created_at"], "updated_at": spec.get("updated_at"), "deleted": False,
            "deleted_at": None}


def _encryption_fields(spec: dict, creating: bool) -> dict:
    unknown = set(spec) - set(ENCRYPTION_KEYS)
    if unknown:
        raise bad_request(f"Invalid input for field/attribute encryption. Additional properties are not allowed "
                          f"({', '.join(sorted(repr(k) for k in unknown))} were unexpected)")
    if creating and not spec.get("provider"):
        raise bad_request("Invalid input for field/attribute encryption. 'provider' is a required property")
    if "control_location" in spec and spec["control_location"] not in CONTROL_LOCATIONS:
        raise bad_request(f"Invalid input for field/attribute control_location. Value: {spec['control_location']}. "
                          f"{spec['control_location']!r} is not one of {list(CONTROL_LOCATIONS)}")
    if spec.get("key_size") is not None:
        spec = dict(spec, key_size=parse_int(spec["key_size"], "key_size"))
    return spec


def _refuse_in_use(call: Call, record: dict, what: str) -> None:
    if any(v["volume_type_id"] == record["id"] and v["status"] != "deleting"
           for v in call.state.table("volumes").values()):
        raise bad_request(f"Invalid volume type: Cannot {what} encryption specs. Volume type in use.")


@v3("/types/<type_id>/encryption")
def show_type_encryption(call: Call, type_id: str, project_id: str | None = None):
    record = _type_for(call, type_id)
    if not record.get("encryption"):
        return 200, {}  # Cinder answers an empty object for a type without encryption
    return 200, _encryption_view(record)


@v3("/types/<type_id>/encryption/<spec_key>")
def show_type_encryption_spec(call: Call, type_id: str, spec_key: str, project_id: str | None = None):
    record = _type_for(call, type_id)
    view = _encryption_view(record) if record.get("encryption") else {}
    if spec_key not in view:
        raise ApiError(404, f"Volume type encryption for type {type_id} does not exist.")
    return 200, {spec_key: view[spec_key]}


@v3("/types/<type_id>/encryption", methods="POST")
def create_type_encryption(call: Call, type_id: str, project_id: str | None = None):
    require_admin(call, "volume_extension:volume_type_encryption:create")
    record = _type_for(call, type_id)
    if record.get("encryption"):
        raise ApiError(409, f"Volume type encryption for type {type_id} already exists.")
    _refuse_in_use(call, record, "create")
    spec = _encryption_fields(body_of(call, "encryption"), creating=True)
    record["encryption"] = {"encryption_id": new_id(), "provider": spec["provider"],
                            "control_location": spec.get("control_location") or "front-end",
                            "cipher": spec.get("cipher"), "key_size": spec.get("key_size"),
                            "created_at": cinder.now(), "updated_at": None}
    call.state.touch()
    view = _encryption_view(record)
    return 200, {"encryption": {k: view[k] for k in ("volume_type_id", "encryption_id", *ENCRYPTION_KEYS)}}


@v3("/types/<type_id>/encryption/<encryption_id>", methods="PUT")
def update_type_encryption(call: Call, type_id: str, encryption_id: str, project_id: str | None = None):
    require_admin(call, "volume_extension:volume_type_encryption:update")
    record = _type_for(call, type_id)
    if not record.get("encryption") or record["encryption"]["encryption_id"] != encryption_id:
        raise ApiError(404, f"Volume type encryption for type {type_id} does not exist.")
    _refuse_in_use(call, record, "update")
    spec = _encryption_fields(body_of(call, "encryption"), creating=False)
    record["encryption"].update(spec, updated_at=cinder.now())
    call.state.touch()
    return 200, {"encryption": spec}


@v3("/types/<type_id>/encryption/<encryption_id>", methods="DELETE")
def delete_type_encryption(call: Call, type_id: str, encryption_id: str, project_id: str | None = None):
    require_admin(call, "volume_extension:volume_type_encryption:delete")
    record = _type_for(call, type_id)
    if not record.get("encryption") or record["encryption"]["encryption_id"] != encryption_id:
        raise ApiError(404, f"Volume type encryption for type {type_id} does not exist.")
    _refuse_in_use(call, record, "delete")
    record["encryption"] = None
    call.state.touch()
    return json_response(202, None)


# ---------------------------------------------------------------------------------------------------------------
# availability zones, limits, quotas


@v3("/os-availability-zone")
def availability_zones(call: Call, project_id: str | None = None):
    require_project(call)
    return 200, {"availabilityZoneInfo": [{"zoneName": zone, "zoneState": {"available": True}}
                                          for zone in cinder.AVAILABILITY_ZONES]}


@v3("/limits")
def limits(call: Call, project_id: str | None = None):
    target = require_project(call)
    if call.ctx.is_admin and call.mv_at_least(3, 39):
        target = call.args.get("project_id") or call.args.get("tenant_id") or target
    quota = cinder.quota_limits(call.state, target)
    usage = cinder.quota_usage(call.state, target)
    absolute = {
        "maxTotalVolumes": quota["volumes"], "maxTotalSnapshots": quota["snapshots"],
        "maxTotalVolumeGigabytes": quota["gigabytes"], "maxTotalBackups": quota["backups"],
        "maxTotalBackupGigabytes": quota["backup_gigabytes"],
        "totalVolumesUsed": usage["volumes"], "totalGigabytesUsed": usage["gigabytes"],
        "totalSnapshotsUsed": usage["snapshots"], "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0,
    }
    return 200, {"limits": {"rate": [], "absolute": absolute}}


def _quota_target(call: Call, target: str) -> str:
    require_project(call)
    if not call.ctx.is_admin and target != call.ctx.project_id:
        raise forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")
    return target


@v3("/os-quota-sets/<target>")
def show_quota_set(call: Call, target: str, project_id: str | None = None):
    target = _quota_target(call, target)
    quota = cinder.quota_limits(call.state, target)
    if call.args.get("usage") and parse_bool(call.args["usage"], "usage"):
        usage = cinder.quota_usage(call.state, target)
        body = {key: {"limit": value, "in_use": usage.get(key, 0), "reserved": 0} for key, value in quota.items()}
    else:
        body = dict(quota)
    body["id"] = target
    return 200, {"quota_set": body}


@v3("/os-quota-sets/<target>/defaults")
def show_quota_defaults(call: Call, target: str, project_id: str | None = None):
    target = _quota_target(call, target)
    defaults = cinder.quota_limits(call.state, "__no_project__")
    defaults["id"] = target
    return 200, {"quota_set": defaults}


@v3("/os-quota-sets/<target>", methods="PUT")
def update_quota_set(call: Call, target: str, project_id: str | None = None):
    require_admin(call, "volume_extension:quotas:update")
    spec = body_of(call, "quota_set")
    known = cinder.quota_limits(call.state, target)
    usage = cinder.quota_usage(call.state, target)
    changes = {}
    for key, value in spec.items():
        if key in ("tenant_id", "id"):
            continue
        if key not in known:
            raise bad_request(f"Invalid input received: Bad key(s) in quota set: {key}")
        value = parse_int(value, key, -1)
        if key != "per_volume_gigabytes" and value != -1 and value < usage.get(key, 0):
            raise bad_request(f"Quota {key} limit must be equal or greater than existing resources. Current usage "
                              f"is {usage.get(key, 0)} and the requested limit is {value}.")
        changes[key] = value
    record = call.state.get("quota_sets", target) or {"id": target}
    record.update(changes)
    call.state.put("quota_sets", record)
    return 200, {"quota_set": cinder.quota_limits(call.state, target)}


@v3("/os-quota-sets/<target>", methods="DELETE")
def delete_quota_set(call: Call, target: str, project_id: str | None = None):
    require_admin(call, "volume_extension:quotas:delete")
    call.state.delete("quota_sets", target)
    return json_response(200, None)


@v3("/os-quota-class-sets/<class_name>")
def show_quota_class(call: Call, class_name: str, project_id: str | None = None):
    require_admin(call, "volume_extension:quota_classes")
    quota = cinder.quota_limits(call.state, "__no_project__")
    quota["id"] = class_name
    return 200, {"quota_class_set": quota}


@v3("/os-quota-class-sets/<class_name>", methods="PUT")
def update_quota_class(call: Call, class_name: str, project_id: str | None = None):
    require_admin(call, "volume_extension:quota_classes")
    spec = body_of(call, "quota_class_set")
    record = call.state.get("quota_sets", cinder.QUOTA_DEFAULTS_KEY) or {"id": cinder.QUOTA_DEFAULTS_KEY}
    for key, value in spec.items():
        record[key] = parse_int(value, key, -1)
    call.state.put("quota_sets", record)
    return 200, {"quota_class_set": cinder.quota_limits(call.state, "__no_project__")}


# ---------------------------------------------------------------------------------------------------------------
# services, extensions, pools, backups, messages, QoS


def _services() -> list[dict]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000", time.gmtime())
    services = [{"binary": "cinder-scheduler", "host": "cinder-scheduler", "zone": "nova"}]
    for zone in cinder.AVAILABILITY_ZONES:
        services.append({"binary": "cinder-volume", "host": f"cinder-volume-{zone}@{cinder.BACKEND_NAME}",
                         "zone": zone})
    for service in services:
        service.update(status="enabled", state="up", updated_at=stamp)
    return services


@v3("/os-services")
def list_services(call: Call, project_id: str | None = None):
    require_admin(call, "volume_extension:services:index")
    result = []
    for service in _services():
        if call.args.get("host") and service["host"] != call.args["host"]:
            continue
        if call.args.get("binary") and service["binary"] != call.args["binary"]:
            continue
        if call.mv_at_least(3, 49) and service["binary"] == "cinder-volume":
            service["backend_state"] = "up"
        if call.mv_at_least(3, 7):
            service["cluster"] = None
        service["disabled_reason"] = None
        if service["binary"] == "cinder-volume":
            service.update(replication_status="disabled", active_backend_id=None, frozen=False)
        result.append(service)
    return 200, {"services": result}


EXTENSIONS = (
    ("os-admin-actions", "AdminActions", "Enable admin actions.", "2012-08-25T00:00:00+00:00"),
    ("os-availability-zone", "AvailabilityZones", "Describe Availability Zones.", "2013-06-27T00:00:00+00:00"),
    ("backups", "Backups", "Backups support.", "2012-12-12T00:00:00+00:00"),
    ("capabilities", "Capabilities", "Capabilities support.", "2015-08-31T00:00:00+00:00"),
    ("cgsnapshots", "Cgsnapshots", "cgsnapshots support.", "2014-08-18T00:00:00+00:00"),
    ("consistencygroups", "Consistencygroups", "consistency groups support.", "2014-08-18T00:00:00+00:00"),
    ("os-extended-services", "ExtendedServices", "Extended services support.", "2014-01-10T00:00:00-00:00"),
    ("os-extended-snapshot-attributes", "ExtendedSnapshotAttributes", "Extended SnapshotAttributes support.",
     "2012-06-19T00:00:00+00:00"),
    ("os-hosts", "Hosts", "Admin-only host administration.", "2011-06-29T00:00:00+00:00"),
    ("qos-specs", "Qos_specs_manage", "QoS specs support.", "2013-08-02T00:00:00+00:00"),
    ("os-quota-class-sets", "QuotaClasses", "Quota classes management support.", "2012-03-12T00:00:00+00:00"),
    ("os-quota-sets", "Quotas", "Quota management support.", "2011-08-08T00:00:00+00:00"),
    ("OS-SCH-HNT", "SchedulerHints", "Pass arbitrary key/value pairs to the scheduler.",
     "2013-04-18T00:00:00+00:00"),
    ("scheduler-stats", "Scheduler_stats", "Scheduler stats support.", "2014-09-07T00:00:00+00:00"),
    ("os-services", "Services", "Services support.", "2012-10-28T00:00:00-00:00"),
    ("os-snapshot-actions", "SnapshotActions", "Enable snapshot manager actions.", "2013-07-16T00:00:00+00:00"),
    ("os-snapshot-manage", "SnapshotManage", "Allows existing backend storage to be 'managed' by Cinder.",
     "2014-12-31T00:00:00+00:00"),
    ("os-snapshot-unmanage", "SnapshotUnmanage", "Enable volume unmanage operation.", "2014-12-31T00:00:00+00:00"),
    ("os-types-extra-specs", "TypesExtraSpecs", "Type extra specs support.", "2011-08-24T00:00:00+00:00"),
    ("os-types-manage", "TypesManage", "Types manage support.", "2011-08-24T00:00:00+00:00"),
    ("os-used-limits", "UsedLimits", "Provide data on limited resources that are being used.",
     "2013-10-03T00:00:00+00:00"),
    ("os-volume-actions", "VolumeActions", "Enable volume actions.", "2012-05-31T00:00:00+00:00"),
    ("os-volume-encryption-metadata", "VolumeEncryptionMetadata", "Volume encryption metadata retrieval support.",
     "2013-07-10T00:00:00+00:00"),
    ("os-vol-host-attr", "VolumeHostAttribute", "Expose host as an attribute of a volume.",
     "2011-11-03T00:00:00+00:00"),
    ("os-vol-image-meta", "VolumeImageMetadata", "Show image metadata associated with the volume.",
     "2012-12-07T00:00:00+00:00"),
    ("os-volume-manage", "VolumeManage", "Allows existing backend storage to be 'managed' by Cinder.",
     "2014-02-10T00:00:00+00:00"),
    ("os-vol-mig-status-attr", "VolumeMigStatusAttribute", "Expose migration_status as an attribute of a volume.",
     "2013-08-08T00:00:00+00:00"),
    ("os-vol-tenant-attr", "VolumeTenantAttribute", "Expose the internal project_id as an attribute of a volume.",
     "2011-11-03T00:00:00+00:00"),
    ("os-volume-transfer", "VolumeTransfer", "Volume transfer management support.", "2013-05-29T00:00:00+00:00"),
    ("os-volume-type-access", "VolumeTypeAccess", "Volume type access support.", "2014-06-26T00:00:00Z"),
    ("encryption", "VolumeTypeEncryption", "Encryption support for volume types.", "2013-07-01T00:00:00+00:00"),
    ("os-volume-unmanage", "VolumeUnmanage", "Enable volume unmanage operation.", "2012-05-31T00:00:00+00:00"),
)


@v3("/extensions")
def list_extensions(call: Call, project_id: str | None = None):
    return 200, {"extensions": [{"alias": alias, "name": name, "description": description, "updated": updated,
                                 "links": []} for alias, name, description, updated in EXTENSIONS]}


def _pools(detail: bool) -> list[dict]:
    pools = []
    for zone in cinder.AVAILABILITY_ZONES:
        pool = {"name": cinder.host_for(zone)}
        if detail:
            pool["capabilities"] = {
                "pool_name": cinder.BACKEND_NAME, "volume_backend_name": cinder.BACKEND_NAME,
                "vendor_name": "Open Source", "driver_version": "1.3.0", "storage_protocol": "ceph",
                "total_capacity_gb": 10240.0, "free_capacity_gb": 9216.0, "reserved_percentage": 0,
                "multiattach": True, "thin_provisioning_support": True, "max_over_subscription_ratio": "20.0",
                "QoS_support": False, "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000000", time.gmtime()),
                "allocated_capacity_gb": 0, "backend_state": "up", "location_info": "ceph:/etc/ceph/ceph.conf",
            }
        pools.append(pool)
    return pools


@v3("/scheduler-stats/get_pools")
def get_pools(call: Call, project_id: str | None = None):
    require_admin(call, "scheduler_extension:scheduler_stats:get_pools")
    detail = call.args.get("detail", "false").lower() in ("true", "1", "yes", "on")
    return 200, {"pools": _pools(detail)}


@v3("/capabilities/<host>")
def capabilities(call: Call, host: str, project_id: str | None = None):
    require_admin(call, "volume_extension:capabilities")
    return 200, {"namespace": f"OS::Storage::Capabilities::{host}", "vendor_name": "Open Source",
                 "volume_backend_name": cinder.BACKEND_NAME, "pool_name": None, "driver_version": "1.3.0",
                 "storage_protocol": "ceph", "display_name": None, "description": None, "visibility": None,
                 "replication_targets": [], "properties": {}}


@v3("/backups")
def list_backups(call: Call, project_id: str | None = None):
    require_project(call)
    return 200, {"backups": []}


@v3("/backups/detail")
def list_backups_detail(call: Call, project_id: str | None = None):
    require_project(call)
    return 200, {"backups": []}


@v3("/backups/<backup_id>")
def show_backup(call: Call, backup_id: str, project_id: str | None = None):
    require_project(call)
    raise ApiError(404, f"Backup {backup_id} could not be found.")


def _message_view(call: Call, record: dict) -> dict:
    return {"id": record["id"], "event_id": record["event_id"], "user_message": record["user_message"],
            "message_level": record["message_level"], "created_at": record["created_at"],
            "guaranteed_until": record["guaranteed_until"], "request_id": record["request_id"],
            "resource_type": record["resource_type"], "resource_uuid": record["resource_uuid"],
            "links": views.links(call, "messages", record["id"])}


@v3("/messages")
def list_messages(call: Call, project_id: str | None = None):
    if not call.mv_at_least(3, 3):
        raise ApiError(404, "The resource could not be found.")
    records = scoped_page(call, call.state.table("messages").values(), "messages",
                          ("resource_uuid", "resource_type", "event_id", "message_level"))
    return 200, {"messages": [_message_view(call, m) for m in records]}


@v3("/messages/<message_id>")
def show_message(call: Call, message_id: str, project_id: str | None = None):
    if not call.mv_at_least(3, 3):
        raise ApiError(404, "The resource could not be found.")
    return 200, {"message": _message_view(call, record_for(call, "messages", "Message", message_id))}


@v3("/messages/<message_id>", methods="DELETE")
def delete_message(call: Call, message_id: str, project_id: str | None = None):
    if not call.mv_at_least(3, 3):
        raise ApiError(404, "The resource could not be found.")
    record_for(call, "messages", "Message", message_id)
    call.state.delete("messages", message_id)
    return json_response(204, None)


@v3("/qos-specs")
def list_qos_specs(call: Call, project_id: str | None = None):
    require_admin(call, "volume_extension:qos_specs_manage:get_all")
    return 200, {"qos_specs": [dict(q) for q in call.state.table("qos_specs").values()]}


@v3("/default-types")
def list_default_types(call: Call, project_id: str | None = None):
    if not call.mv_at_least(3, 62):
        raise ApiError(404, "The resource could not be found.")
    require_admin(call, "volume_extension:default_get_all")
    return 200, {"default_types": []}

