# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Auto-assignment: instances carrying a policy's tag or metadata key join it on the control worker's tick, in
their own project (or through a shared policy), and leave when the tag goes; manual assignments stay."""
from __future__ import annotations

import uuid

from storage_backup.catalog.models import ProtectedInstance

from tests.support.control_fixtures import wait_until
from tests.support.instances import COMPUTE, MICROVERSION, create_instance, raise_volume_quota


def test_tag_and_metadata_assign_on_tick(control_plane, control_worker):
    admin_session = control_plane.sandbox.session("admin")
    for user in ("demo-member", "alt-member"):
        raise_volume_quota(admin_session, control_plane.project_id(user))
    demo, alt = control_plane.sandbox.session("demo-member"), control_plane.sandbox.session("alt-member")
    tag = f"gold-{uuid.uuid4().hex[:6]}"
    key = f"backup-{uuid.uuid4().hex[:6]}"
    tagged_policy = control_plane.client("demo-member").policy_create(
        name="by-tag", destination_id=control_plane.destination_id, auto_assign_tag=tag)
    shared_policy = control_plane.client("admin").policy_create(
        name="by-metadata", destination_id=control_plane.destination_id, shared=True,
        auto_assign_metadata_key=key, auto_assign_metadata_value="yes")
    tagged = create_instance(demo, tags=[tag])
    by_metadata = create_instance(alt, metadata={key: "yes"})
    wrong_value = create_instance(alt, metadata={key: "no"})
    other_project_tag = create_instance(alt, tags=[tag])  # a demo policy never takes alt's instances
    assignment = wait_until(lambda: ProtectedInstance.objects.filter(pk=tagged["id"]).first(), timeout=30,
                            what="the tagged instance to be assigned")
    assert assignment.policy_id == tagged_policy["id"] and assignment.source == "auto"
    assert wait_until(lambda: ProtectedInstance.objects.filter(pk=by_metadata["id"]).first(), timeout=30,
                      what="metadata assignment").policy_id == shared_policy["id"]
    assert not ProtectedInstance.objects.filter(pk__in=[wrong_value["id"], other_project_tag["id"]]).exists()
    visible = {item["instance_id"] for item in control_plane.client("alt-member").protected_instance_list()}
    assert by_metadata["id"] in visible and tagged["id"] not in visible

    # The tag goes: the automatic assignment goes with it.
    demo.delete(f"/servers/{tagged['id']}/tags/{tag}", endpoint_filter=COMPUTE, headers=MICROVERSION)
    wait_until(lambda: not ProtectedInstance.objects.filter(pk=tagged["id"]).exists(), timeout=30,
               what="the untagged instance to be released")
    control_plane.client("admin").policy_update(shared_policy["id"], enabled=False)
    control_plane.client("demo-member").policy_update(tagged_policy["id"], enabled=False)
