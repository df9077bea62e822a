# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The sweeper against stuck states, through the control worker and the embedded cloud's real admin actions: a dead
job's temporary volume left ``detaching`` (a detach that hangs on the proxy), ``attaching``, ``reserved``,
``error_deleting`` or ``creating``, and a snapshot left ``error_deleting``, are resolved in the documented order
(Nova detach, Cinder attachment delete, ``os-force_detach``, ``os-reset_status``) and removed, or reported; a tenant's
own volume in the same state is never touched."""
from __future__ import annotations

import uuid

import pytest
from storage_backup.catalog.models import AuditEvent

from tests.support.instances import COMPUTE, MICROVERSION, VOLUME, create_instance, create_volume, raise_volume_quota
from tests.support.instances import wait_for_state as wait

ATTACHMENTS = {"OpenStack-API-Version": "volume 3.44"}
IMAGE = {"service_type": "image", "interface": "public"}


@pytest.fixture(scope="module")
def cloud(control_plane, control_worker):
    service = control_plane.sandbox.session("backup-service")
    admin = control_plane.sandbox.session("admin")
    demo = control_plane.sandbox.session("demo-member")
    raise_volume_quota(admin, service.get_project_id())
    raise_volume_quota(admin, control_plane.project_id("demo-member"))
    proxy = create_instance(service, name=f"proxy-stuck-{uuid.uuid4().hex[:6]}")
    yield {"service": service, "admin": admin, "demo": demo, "proxy": proxy["id"], "plane": control_plane}


@pytest.fixture(autouse=True)
def no_faults_left(control_plane):
    yield
    control_plane.sandbox.session("admin").delete(control_plane.sandbox.url + "/_sandbox/faults")


def arm(cloud, operation: str, mode: str, count: int = 1) -> None:
    sandbox = cloud["plane"].sandbox
    sandbox.session("admin").post(sandbox.url + "/_sandbox/faults",
                                  json={"operation": operation, "mode": mode, "count": count})


def taken(cloud, operation: str, armed: int = 1) -> None:
    """Until the cloud's asynchronous step took the armed fault: Nova's API makes a volume ``detaching`` at once, but
    the detach that hangs runs later, and a sweep before it would roll back a detach that had not hung yet."""
    sandbox = cloud["plane"].sandbox

    def remaining() -> int:
        faults = sandbox.session("admin").get(sandbox.url + "/_sandbox/faults").json()["faults"]
        return sum(f["remaining"] for f in faults if f["operation"] == operation)

    wait(remaining, lambda left: left < armed, f"the {operation} fault taken")


def volume_of(session, volume_id: str) -> dict | None:
    response = session.get(f"/volumes/{volume_id}", endpoint_filter=VOLUME, raise_exc=False)
    return response.json()["volume"] if response.status_code == 200 else None


def snapshot_of(session, snapshot_id: str) -> dict | None:
    response = session.get(f"/snapshots/{snapshot_id}", endpoint_filter=VOLUME, raise_exc=False)
    return response.json()["snapshot"] if response.status_code == 200 else None


def temporary_volume(cloud, job_id: str, session=None) -> dict:
    session = session or cloud["service"]
    volume = create_volume(session, f"storage-backup-{job_id}-vol", metadata={"storage_backup_job": job_id})
    wait(lambda: volume_of(session, volume["id"]), lambda v: v["status"] == "available", "volume")
    return volume


def nova_attach(session, server_id: str, volume_id: str) -> None:
    session.post(f"/servers/{server_id}/os-volume_attachments", endpoint_filter=COMPUTE, headers=MICROVERSION,
                 json={"volumeAttachment": {"volumeId": volume_id}})


def nova_detach(session, server_id: str, volume_id: str) -> None:
    session.delete(f"/servers/{server_id}/os-volume_attachments/{volume_id}", endpoint_filter=COMPUTE,
                   headers=MICROVERSION)


def sweep(**kwargs) -> dict:
    from storage_backup.control.worker import app

    kwargs = {"grace_seconds": 0, "stuck_seconds": 0, **kwargs}
    return app.send_task("control.sweep", kwargs=kwargs, queue="control").get(timeout=240)


def gone(session, volume_id: str) -> bool:
    volume = volume_of(session, volume_id)
    return volume is None or volume["status"] in ("deleting", "deleted")


def test_a_volume_whose_detach_hangs_is_released_and_swept(cloud):
    """The defect: a dead job's volume left ``detaching`` on the proxy was skipped by every sweep, for ever."""
    service, proxy = cloud["service"], cloud["proxy"]
    job_id = str(uuid.uuid4())
    volume = temporary_volume(cloud, job_id)
    nova_attach(service, proxy, volume["id"])
    wait(lambda: volume_of(service, volume["id"]), lambda v: v["status"] == "in-use", "attach")
    arm(cloud, "volume.detach", "hang", count=10)  # every detach of it hangs: Nova's retry too
    nova_detach(service, proxy, volume["id"])
    wait(lambda: volume_of(service, volume["id"]), lambda v: v["status"] == "detaching", "detaching")
    taken(cloud, "volume.detach", 10)

    report = sweep()

    assert gone(service, volume["id"]), report
    assert volume["id"] in report["volumes"], report
    forced = " ".join(report["forced"])
    assert f"volume {volume['id']}" in forced and "os-reset_status" in forced, report
    assert not report["unresolved"], report
    server = service.get(f"/servers/{proxy}", endpoint_filter=COMPUTE, headers=MICROVERSION).json()["server"]
    assert volume["id"] not in {v["id"] for v in server["os-extended-volumes:volumes_attached"]}
    steps = [e.detail for e in AuditEvent.objects.filter(action="sweeper.force", target_id=volume["id"]).order_by("id")]
    # The documented order: Nova first (refused or hung), Cinder's attachment delete and force-detach (refused while
    # Nova still maps the volume: 409), the reset last.
    assert [step.split(":")[0] for step in steps][-1] == "os-reset_status", steps


def test_a_volume_whose_detach_hung_once_goes_through_nova(cloud):
    """One hung detach: rolled back (``os-roll_detaching``) and detached through Nova again; nothing forced."""
    service, proxy = cloud["service"], cloud["proxy"]
    job_id = str(uuid.uuid4())
    volume = temporary_volume(cloud, job_id)
    nova_attach(service, proxy, volume["id"])
    wait(lambda: volume_of(service, volume["id"]), lambda v: v["status"] == "in-use", "attach")
    arm(cloud, "volume.detach", "hang", count=1)
    nova_detach(service, proxy, volume["id"])
    wait(lambda: volume_of(service, volume["id"]), lambda v: v["status"] == "detaching", "detaching")
    taken(cloud, "volume.detach", 1)

    report = sweep()

    assert gone(service, volume["id"]) and volume["id"] in report["volumes"], report
    assert f"{volume['id']}@{proxy}" in report["detached"], report
    assert not [f for f in report["forced"] if volume["id"] in f and "os-reset_status" in f], report


def test_an_attached_volume_whose_detach_nova_rolls_back_is_not_forced(cloud):
    """Still ``in-use`` after Nova's detach failed: Cinder is not forced behind a running server's back; the next
    sweep asks Nova again."""
    service, proxy = cloud["service"], cloud["proxy"]
    volume = temporary_volume(cloud, str(uuid.uuid4()))
    nova_attach(service, proxy, volume["id"])
    wait(lambda: volume_of(service, volume["id"]), lambda v: v["status"] == "in-use", "attach")
    arm(cloud, "volume.detach", "error")

    report = sweep()

    assert volume_of(service, volume["id"])["status"] == "in-use", report
    assert not [f for f in report["forced"] if volume["id"] in f], report
    assert [u for u in report["unresolved"] if u["id"] == volume["id"]], report
    report = sweep()
    assert gone(service, volume["id"]) and f"{volume['id']}@{proxy}" in report["detached"], report


def test_an_attach_that_never_completed_is_undone_and_swept(cloud):
    service, proxy = cloud["service"], cloud["proxy"]
    volume = temporary_volume(cloud, str(uuid.uuid4()))
    arm(cloud, "volume.attach", "hang")
    nova_attach(service, proxy, volume["id"])
    wait(lambda: volume_of(service, volume["id"]), lambda v: v["status"] == "attaching", "attaching")
    taken(cloud, "volume.attach")

    report = sweep()

    assert gone(service, volume["id"]) and volume["id"] in report["volumes"], report
    assert not report["unresolved"], report


def test_a_reserved_volume_is_freed_by_deleting_its_attachment(cloud):
    """``reserved``: an attachment record without a connection (Cinder 3.27); deleting it is all it takes."""
    service, proxy = cloud["service"], cloud["proxy"]
    volume = temporary_volume(cloud, str(uuid.uuid4()))
    service.post("/attachments", endpoint_filter=VOLUME, headers=ATTACHMENTS,
                 json={"attachment": {"volume_uuid": volume["id"], "instance_uuid": proxy}})
    assert volume_of(service, volume["id"])["status"] == "reserved"

    report = sweep()

    assert gone(service, volume["id"]) and volume["id"] in report["volumes"], report
    forced = [f for f in report["forced"] if volume["id"] in f]
    assert forced and forced[0].split(":")[1].strip().startswith("attachment delete"), report
    assert not [f for f in forced if "os-reset_status" in f], report


def test_volumes_stuck_deleting_or_creating_are_force_deleted(cloud):
    service = cloud["service"]
    failed_delete = temporary_volume(cloud, str(uuid.uuid4()))
    arm(cloud, "volume.delete", "error")
    service.delete(f"/volumes/{failed_delete['id']}", endpoint_filter=VOLUME)
    wait(lambda: volume_of(service, failed_delete["id"]), lambda v: v["status"] == "error_deleting", "error_deleting")
    arm(cloud, "volume.create", "hang")
    job_id = str(uuid.uuid4())
    creating = service.post("/volumes", endpoint_filter=VOLUME, json={"volume": {
        "size": 1, "name": f"storage-backup-{job_id}-vol",
        "metadata": {"storage_backup_job": job_id}}}).json()["volume"]
    assert volume_of(service, creating["id"])["status"] == "creating"

    report = sweep()

    for volume in (failed_delete, creating):
        wait(lambda v=volume: volume_of(service, v["id"]), lambda v: v is None, "volume gone", timeout=30)
        assert volume["id"] in report["volumes"], report


def test_snapshots_stuck_in_error_deleting_or_creating_are_swept(cloud):
    service = cloud["service"]
    job_id = str(uuid.uuid4())
    source = create_volume(cloud["demo"], f"data-{uuid.uuid4().hex[:6]}")
    wait(lambda: volume_of(cloud["demo"], source["id"]), lambda v: v["status"] == "available", "source")
    snapshot = service.post("/snapshots", endpoint_filter=VOLUME, json={"snapshot": {
        "volume_id": source["id"], "name": f"storage-backup-{job_id}-snap", "force": True,
        "metadata": {"storage_backup_job": job_id}}}).json()["snapshot"]
    wait(lambda: snapshot_of(service, snapshot["id"]), lambda s: s["status"] == "available", "snapshot")
    arm(cloud, "snapshot.delete", "error")
    service.delete(f"/snapshots/{snapshot['id']}", endpoint_filter=VOLUME)
    wait(lambda: snapshot_of(service, snapshot["id"]), lambda s: s["status"] == "error_deleting", "error_deleting")

    arm(cloud, "snapshot.create", "hang")  # and one whose cinder-volume died while making it: 'creating' for good
    creating = service.post("/snapshots", endpoint_filter=VOLUME, json={"snapshot": {
        "volume_id": source["id"], "name": f"storage-backup-{job_id}-snap2", "force": True,
        "metadata": {"storage_backup_job": job_id}}}).json()["snapshot"]
    assert snapshot_of(service, creating["id"])["status"] == "creating"

    report = sweep()

    for stuck in (snapshot, creating):
        assert stuck["id"] in report["snapshots"], report
        wait(lambda s=stuck: snapshot_of(service, s["id"]), lambda s: s is None, "snapshot gone", timeout=30)
    assert any(creating["id"] in entry and "os-force_delete" in entry for entry in report["forced"]), report
    assert volume_of(cloud["demo"], source["id"])["status"] == "available"


def test_a_tenant_volume_stuck_detaching_is_never_touched(cloud):
    """Not tagged as the product's: however stuck, the sweeper leaves it alone."""
    demo = cloud["demo"]
    server = create_instance(demo, name=f"tenant-{uuid.uuid4().hex[:6]}")
    volume = create_volume(demo, f"tenant-data-{uuid.uuid4().hex[:6]}")
    wait(lambda: volume_of(demo, volume["id"]), lambda v: v["status"] == "available", "volume")
    nova_attach(demo, server["id"], volume["id"])
    wait(lambda: volume_of(demo, volume["id"]), lambda v: v["status"] == "in-use", "attach")
    arm(cloud, "volume.detach", "hang", count=10)
    nova_detach(demo, server["id"], volume["id"])
    wait(lambda: volume_of(demo, volume["id"]), lambda v: v["status"] == "detaching", "detaching")
    taken(cloud, "volume.detach", 10)

    report = sweep()

    assert volume_of(demo, volume["id"])["status"] == "detaching"
    assert all(volume["id"] not in entry for entries in report.values() if isinstance(entries, list)
               for entry in map(str, entries)), report


def test_what_cannot_be_resolved_is_reported_and_shown_to_admins(cloud):
    """A snapshot that still has a volume made from it (not the product's) cannot go: reported, on the overview."""
    service, demo = cloud["service"], cloud["demo"]
    job_id = str(uuid.uuid4())
    source = create_volume(demo, f"data-{uuid.uuid4().hex[:6]}")
    wait(lambda: volume_of(demo, source["id"]), lambda v: v["status"] == "available", "source")
    snapshot = service.post("/snapshots", endpoint_filter=VOLUME, json={"snapshot": {
        "volume_id": source["id"], "name": f"storage-backup-{job_id}-snap", "force": True,
        "metadata": {"storage_backup_job": job_id}}}).json()["snapshot"]
    wait(lambda: snapshot_of(service, snapshot["id"]), lambda s: s["status"] == "available", "snapshot")
    clone = service.post("/volumes", endpoint_filter=VOLUME, json={"volume": {
        "snapshot_id": snapshot["id"], "name": "someone-elses-clone"}}).json()["volume"]
    wait(lambda: volume_of(service, clone["id"]), lambda v: v["status"] == "available", "clone")

    report = sweep()

    unresolved = [u for u in report["unresolved"] if u["id"] == snapshot["id"]]
    assert unresolved and unresolved[0]["kind"] == "snapshot" and "dependent" in unresolved[0]["reason"], report
    overview = cloud["plane"].client("admin").session.get(cloud["plane"].url + "/v1/overview").json()
    shown = [row for row in overview["attention"]["unresolved_leftovers"] if row["resource_id"] == snapshot["id"]]
    assert shown and shown[0]["job_id"] == job_id, overview["attention"]
    service.delete(f"/volumes/{clone['id']}", endpoint_filter=VOLUME)
    wait(lambda: volume_of(service, clone["id"]), lambda v: v is None, "clone gone", timeout=30)
    report = sweep()
    assert snapshot["id"] in report["snapshots"], report
    overview = cloud["plane"].client("admin").session.get(cloud["plane"].url + "/v1/overview").json()
    assert not [r for r in overview["attention"]["unresolved_leftovers"] if r["resource_id"] == snapshot["id"]]


def test_an_image_left_saving_by_create_image_is_swept(cloud):
    """The product's createImage path (an image-booted server): nova-compute dies mid-upload, the image stays
    ``saving`` for ever; once stuck, the sweeper deletes it (Glance deletes an image in any status)."""
    service = cloud["service"]
    base = service.post("/v2/images", endpoint_filter=IMAGE, json={
        "name": f"base-{uuid.uuid4().hex[:6]}", "disk_format": "raw", "container_format": "bare"}).json()
    service.put(f"/v2/images/{base['id']}/file", endpoint_filter=IMAGE, data=b"\0" * 1024 * 1024,
                headers={"Content-Type": "application/octet-stream"})
    flavor = service.get("/flavors/detail", endpoint_filter=COMPUTE).json()["flavors"]
    flavor = min((f for f in flavor if f["disk"] >= 1), key=lambda f: (f["ram"], f["disk"]))
    server = service.post("/servers", endpoint_filter=COMPUTE, headers=MICROVERSION, json={"server": {
        "name": f"image-booted-{uuid.uuid4().hex[:6]}", "imageRef": base["id"], "flavorRef": flavor["id"],
        "networks": "none"}}).json()["server"]
    wait(lambda: service.get(f"/servers/{server['id']}", endpoint_filter=COMPUTE,
                             headers=MICROVERSION).json()["server"], lambda s: s["status"] == "ACTIVE", "server")
    job_id = str(uuid.uuid4())
    arm(cloud, "image.create", "hang")
    response = service.post(f"/servers/{server['id']}/action", endpoint_filter=COMPUTE,
                            headers={"OpenStack-API-Version": "compute 2.45"}, json={"createImage": {
                                "name": f"storage-backup-{job_id}-root", "metadata": {"storage_backup_job": job_id}}})
    image_id = response.json()["image_id"]
    assert service.get(f"/v2/images/{image_id}", endpoint_filter=IMAGE).json()["status"] == "saving"

    report = sweep(stuck_seconds=3600)  # not stuck yet: left for the next sweep
    assert image_id not in report["images"] and any(image_id in s for s in report["skipped"]), report
    report = sweep()

    assert image_id in report["images"], report
    assert service.get(f"/v2/images/{image_id}", endpoint_filter=IMAGE, raise_exc=False).status_code == 404
    service.delete(f"/servers/{server['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION)
