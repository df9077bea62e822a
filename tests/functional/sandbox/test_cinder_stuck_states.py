# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Cinder's admin actions on stuck volumes, as Cinder 2024.1 answers them, through python-cinderclient and Nova's
API: a detach that hangs leaves the volume ``detaching``; ``os-roll_detaching`` brings it back; while Nova still
maps an attachment, Cinder refuses to drop it (409, bug #2004555) by attachment delete, ``os-detach`` or
``os-force_detach``, whoever asks; ``os-reset_status`` is admin-only, refuses ``deleting``, and with
``attach_status: detached`` drops every attachment record; a volume stuck ``creating`` or ``deleting`` is
force-deleted, an attached one is not."""
from __future__ import annotations

import time
import uuid

import pytest
from cinderclient import exceptions

from tests.functional.sandbox.volume_helpers import arm_fault, cinder, new_volume, private_sandbox, wait_for, wait_gone
from tests.support.instances import COMPUTE, MICROVERSION, VOLUME, create_instance

pytest.importorskip("cinderclient")


@pytest.fixture(scope="module")
def cloud():
    with private_sandbox() as handle:
        yield handle


@pytest.fixture(autouse=True)
def no_faults_left(cloud):
    yield
    cloud.session("admin").delete(cloud.url + "/_sandbox/faults")


@pytest.fixture(scope="module")
def member(cloud):
    return cinder(cloud, "demo-member")


@pytest.fixture(scope="module")
def admin(cloud):
    return cinder(cloud, "admin", version="3.71")


@pytest.fixture(scope="module")
def server(cloud):
    return create_instance(cloud.session("demo-member"), name=f"stuck-{uuid.uuid4().hex[:6]}")


def force_detach(cloud, user: str, volume_id: str, attachment_id: str):
    """``os-force_detach`` as the ``cinder`` CLI sends it (cinderclient 9 has no Python call for it)."""
    return cloud.session(user).post(f"/volumes/{volume_id}/action", endpoint_filter=VOLUME, raise_exc=False,
                                    json={"os-force_detach": {"attachment_id": attachment_id}})


def detaching_volume(cloud, member, server) -> tuple[object, str]:
    """A volume attached through Nova whose detach hangs: ``detaching``, Nova's mapping still there."""
    session = cloud.session("demo-member")
    volume = new_volume(member, name=f"stuck-{uuid.uuid4().hex[:6]}")
    session.post(f"/servers/{server['id']}/os-volume_attachments", endpoint_filter=COMPUTE, headers=MICROVERSION,
                 json={"volumeAttachment": {"volumeId": volume.id}})
    wait_for(lambda: member.volumes.get(volume.id), "in-use")
    attachment_id = member.volumes.get(volume.id).attachments[0]["attachment_id"]
    arm_fault(cloud, "volume.detach", "hang", count=5)
    session.delete(f"/servers/{server['id']}/os-volume_attachments/{volume.id}", endpoint_filter=COMPUTE,
                   headers=MICROVERSION)
    wait_for(lambda: member.volumes.get(volume.id), "detaching")
    # Nova marks the volume detaching at once and reaches Cinder's detach a transition later: wait for that too,
    # or a test that rolls the detach back could see Nova's late detach mark it detaching again.
    deadline = time.monotonic() + 30
    while not _detach_reached_cinder(cloud, armed=5):
        assert time.monotonic() < deadline, "Nova's detach never reached Cinder"
        time.sleep(0.05)
    return volume, attachment_id


def _detach_reached_cinder(cloud, armed: int) -> bool:
    faults = cloud.session("admin").get(cloud.url + "/_sandbox/faults").json()["faults"]
    return any(fault["operation"] == "volume.detach" and fault["remaining"] < armed for fault in faults)


def test_cinder_refuses_to_drop_an_attachment_nova_still_uses(cloud, member, admin, server):
    volume, attachment_id = detaching_volume(cloud, member, server)
    with pytest.raises(exceptions.ClientException) as refused:
        admin.attachments.delete(attachment_id)
    assert refused.value.code == 409 and f"instance {server['id']} using the Compute API" in str(refused.value)
    assert force_detach(cloud, "admin", volume.id, attachment_id).status_code == 409
    assert force_detach(cloud, "demo-member", volume.id, attachment_id).status_code == 403
    with pytest.raises(exceptions.BadRequest):  # still attached (Cinder's attach_status)
        admin.volumes.force_delete(volume.id)
    member.volumes.roll_detaching(volume.id)
    assert member.volumes.get(volume.id).status == "in-use"


def test_reset_status_is_the_last_resort_and_admin_only(cloud, member, admin, server):
    volume, _ = detaching_volume(cloud, member, server)
    with pytest.raises(exceptions.Forbidden):
        member.volumes.reset_state(volume.id, "available", attach_status="detached")
    with pytest.raises(exceptions.BadRequest):
        admin.volumes.reset_state(volume.id, "deleting")
    admin.volumes.reset_state(volume.id, "error", attach_status="detached")
    shown = member.volumes.get(volume.id)
    # Cinder's _clean_volume_attachment: the attachments go and the status follows from what is left.
    assert shown.status == "available" and shown.attachments == []
    with pytest.raises(exceptions.BadRequest):
        admin.volumes.reset_state(volume.id, "in-use")  # no attachment to be in use by
    member.volumes.delete(volume.id)
    wait_gone(lambda: member.volumes.get(volume.id))


def test_a_reserved_attachment_is_deleted_and_force_detach_works_without_nova(cloud, member):
    volume = new_volume(member, name=f"reserved-{uuid.uuid4().hex[:6]}")
    attachment = member.attachments.create(volume.id, None, str(uuid.uuid4()), "rw")
    assert member.volumes.get(volume.id).status == "reserved"
    member.attachments.delete(attachment["id"])  # no connection: nothing Nova uses
    assert member.volumes.get(volume.id).status == "available"
    attachment = member.attachments.create(volume.id, {"host": "gone-host", "initiator": "iqn"}, str(uuid.uuid4()),
                                           "rw")
    member.attachments.complete(attachment["id"])
    assert member.volumes.get(volume.id).status == "in-use"
    assert force_detach(cloud, "admin", volume.id, attachment["id"]).status_code == 202  # Nova has no such server
    assert member.volumes.get(volume.id).status == "available"


def test_volumes_stuck_creating_or_deleting_are_force_deleted(cloud, member, admin):
    arm_fault(cloud, "volume.create", "hang")
    creating = member.volumes.create(1, name=f"creating-{uuid.uuid4().hex[:6]}")
    with pytest.raises(exceptions.BadRequest):
        member.volumes.delete(creating.id)
    admin.volumes.force_delete(creating.id)
    wait_gone(lambda: member.volumes.get(creating.id))
    deleting = new_volume(member, name=f"deleting-{uuid.uuid4().hex[:6]}")
    arm_fault(cloud, "volume.delete", "hang")
    member.volumes.delete(deleting.id)
    wait_for(lambda: member.volumes.get(deleting.id), "deleting")
    admin.volumes.force_delete(deleting.id)
    wait_gone(lambda: member.volumes.get(deleting.id))
