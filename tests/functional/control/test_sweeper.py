# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The sweeper, through the control worker and the cloud's APIs: leftovers of a dead job (an attachment to the
proxy, a temporary volume, a snapshot, an image) are removed in order; a running job's are left alone."""
from __future__ import annotations

import uuid

from storage_backup.catalog.models import AuditEvent, Job

from tests.support.instances import COMPUTE, MICROVERSION, VOLUME, create_instance, create_volume, raise_volume_quota
from tests.support.instances import wait_for_state as wait

IMAGE = {"service_type": "image", "interface": "public"}


def leak(session, job_id: str, original_volume_id: str, proxy_server_id: str | None) -> dict:
    """What a proxy killed mid-backup leaves: snapshot → volume from it → attached to the proxy; plus an image."""
    tag = {"storage_backup_job": job_id}
    snapshot = session.post("/snapshots", endpoint_filter=VOLUME, json={"snapshot": {
        "volume_id": original_volume_id, "name": f"storage-backup-{job_id}-snap", "force": True,
        "metadata": tag}}).json()["snapshot"]
    wait(lambda: session.get(f"/snapshots/{snapshot['id']}", endpoint_filter=VOLUME).json()["snapshot"],
          lambda s: s["status"] == "available", "snapshot")
    volume = session.post("/volumes", endpoint_filter=VOLUME, json={"volume": {
        "snapshot_id": snapshot["id"], "name": f"storage-backup-{job_id}-vol", "metadata": tag}}).json()["volume"]
    wait(lambda: session.get(f"/volumes/{volume['id']}", endpoint_filter=VOLUME).json()["volume"],
          lambda v: v["status"] == "available", "volume")
    if proxy_server_id:
        session.post(f"/servers/{proxy_server_id}/os-volume_attachments", endpoint_filter=COMPUTE,
                     headers=MICROVERSION, json={"volumeAttachment": {"volumeId": volume["id"]}})
        wait(lambda: session.get(f"/volumes/{volume['id']}", endpoint_filter=VOLUME).json()["volume"],
              lambda v: v["status"] == "in-use", "attachment")
    image = session.post("/v2/images", endpoint_filter=IMAGE, json={
        "name": f"storage-backup-{job_id}-root", "disk_format": "raw", "container_format": "bare",
        "storage_backup_job": job_id}).json()
    return {"snapshot": snapshot["id"], "volume": volume["id"], "image": image["id"]}


def exists(session, kind: str, ident: str) -> bool:
    path = {"volume": f"/volumes/{ident}", "snapshot": f"/snapshots/{ident}", "image": f"/v2/images/{ident}"}[kind]
    response = session.get(path, endpoint_filter=IMAGE if kind == "image" else VOLUME, raise_exc=False)
    return response.status_code == 200 and (kind == "image" or
                                            response.json()[kind]["status"] not in ("deleting", "deleted"))


def test_sweeper_removes_leftovers_of_dead_jobs_in_order(control_plane, control_worker):
    service = control_plane.sandbox.session("backup-service")
    admin = control_plane.sandbox.session("admin")
    demo = control_plane.sandbox.session("demo-member")
    for user in ("demo-member", "backup-service"):
        raise_volume_quota(admin, control_plane.project_id(user) if user != "backup-service"
                           else service.get_project_id())
    original = create_volume(demo, f"data-{uuid.uuid4().hex[:6]}")
    proxy = create_instance(service, name="proxy-nova")
    dead_job = str(uuid.uuid4())  # no such job in the catalog: its worker died and the job record is gone
    failed_job = Job.objects.create(type="backup", project_id="p", instance_id=str(uuid.uuid4()), state="failed")
    live_job = Job.objects.create(type="backup", project_id="p", instance_id=str(uuid.uuid4()), state="running")
    dead = leak(service, dead_job, original["id"], proxy["id"])
    failed = leak(service, failed_job.id, original["id"], None)
    live = leak(service, live_job.id, original["id"], None)

    from storage_backup.control.worker import app

    report = app.send_task("control.sweep", kwargs={"grace_seconds": 0}, queue="control").get(timeout=180)
    assert not report["errors"], report
    assert f"{dead['volume']}@{proxy['id']}" in report["detached"]
    for leftovers in (dead, failed):
        assert leftovers["volume"] in report["volumes"] and leftovers["snapshot"] in report["snapshots"]
        assert leftovers["image"] in report["images"]
        for kind, ident in leftovers.items():
            assert not exists(service, kind, ident), f"{kind} {ident} still there"
    for kind, ident in live.items():
        assert exists(service, kind, ident), f"the running job's {kind} was swept"
    server = service.get(f"/servers/{proxy['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION).json()["server"]
    assert dead["volume"] not in {v["id"] for v in server["os-extended-volumes:volumes_attached"]}
    # Order for the dead job's chain: detach, then the volume, then its snapshot.
    events = list(AuditEvent.objects.filter(action__startswith="sweeper.", detail__contains=dead_job).order_by("id"))
    order = [(e.action, e.target_id) for e in events]
    assert order.index(("sweeper.detach", dead["volume"])) < order.index(("sweeper.delete", dead["volume"])) \
        < order.index(("sweeper.delete", dead["snapshot"]))
    assert exists(demo, "volume", original["id"])  # the instance's own volume is never touched


def test_sweeper_removes_a_half_restored_server_before_its_volumes(control_plane, control_worker):
    """A restore whose worker died leaves its server tagged (the tag goes only once the restore is complete)."""
    demo = control_plane.sandbox.session("demo-member")
    service = control_plane.sandbox.session("backup-service")
    raise_volume_quota(control_plane.sandbox.session("admin"), control_plane.project_id("demo-member"))
    dead_job = str(uuid.uuid4())
    server = create_instance(demo, name=f"restored-{dead_job[:8]}", metadata={"storage_backup_job": dead_job})
    kept = create_instance(demo, name="not-a-restore")

    from storage_backup.control.worker import app

    report = app.send_task("control.sweep", kwargs={"grace_seconds": 0}, queue="control").get(timeout=180)
    assert not report["errors"], report
    assert report["servers"] == [server["id"]]
    gone = service.get(f"/servers/{server['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION, raise_exc=False)
    assert gone.status_code == 404
    still = service.get(f"/servers/{kept['id']}", endpoint_filter=COMPUTE, headers=MICROVERSION)
    assert still.json()["server"]["status"] == "ACTIVE"
    events = AuditEvent.objects.filter(action="sweeper.delete", target_id=server["id"])
    assert events.exists() and dead_job in events.first().detail
