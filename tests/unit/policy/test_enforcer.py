# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The enforcer and the service layer's checks on top of it, with real policy files on disk."""
from __future__ import annotations

import os
import time

import pytest
from storage_backup.policies import enforcer
from storage_backup.services import context
from storage_backup.services.context import SYSTEM, Caller
from storage_backup.services.errors import Forbidden

READER = Caller(user_id="u-reader", project_id="p1", roles=frozenset({"reader"}))
MEMBER = Caller(user_id="u-member", project_id="p1", roles=frozenset({"member"}))
ADMIN = Caller(user_id="u-admin", project_id="ops", roles=frozenset({"admin"}))


@pytest.fixture
def policy_file(tmp_path, monkeypatch):
    """An operator's policy.yaml in STORAGE_BACKUP_POLICY_FILE; the process's enforcer is made again for it."""
    path = tmp_path / "policy.yaml"
    path.write_text("")
    monkeypatch.setenv(enforcer.POLICY_FILE_ENV, str(path))
    enforcer.reset()
    yield path
    monkeypatch.delenv(enforcer.POLICY_FILE_ENV)
    enforcer.reset()


def _rewrite(path, text: str) -> None:
    """A new version of the file, with a later modification time (oslo.policy reloads on a changed mtime)."""
    path.write_text(text)
    later = time.time() + 2
    os.utime(path, (later, later))


def test_the_policy_file_setting(tmp_path, monkeypatch):
    monkeypatch.delenv(enforcer.POLICY_FILE_ENV, raising=False)
    assert enforcer.policy_file() == enforcer.DEFAULT_POLICY_FILE
    missing = tmp_path / "nope.yaml"
    with pytest.raises(enforcer.PolicyFileMissing, match="STORAGE_BACKUP_POLICY_FILE=.*nope.yaml: no such file"):
        enforcer.policy_file({enforcer.POLICY_FILE_ENV: str(missing)})
    missing.write_text("")
    assert enforcer.policy_file({enforcer.POLICY_FILE_ENV: str(missing)}) == str(missing)


def test_an_override_changes_the_answer_and_an_edit_applies_without_restart(policy_file):
    assert not context.allowed(READER, "storage_backup:backup:create")
    _rewrite(policy_file, '"storage_backup:backup:create": "rule:project_reader_or_admin"\n')
    assert context.allowed(READER, "storage_backup:backup:create")
    # Still their own project's only: the ownership check is part of the rule they were given.
    assert not context.allowed(READER, "storage_backup:backup:create", {"project_id": "p2"})
    _rewrite(policy_file, '"storage_backup:restore_point:delete": "rule:admin"\n')
    assert not context.allowed(READER, "storage_backup:backup:create")  # back to the default
    assert not context.allowed(MEMBER, "storage_backup:restore_point:delete")
    assert context.allowed(ADMIN, "storage_backup:restore_point:delete", {"project_id": "p1"})


def test_policy_d_beside_the_file_is_read_too(policy_file):
    (policy_file.parent / "policy.d").mkdir()
    (policy_file.parent / "policy.d" / "50-verify.yaml").write_text('"storage_backup:restore_point:verify": "!"\n')
    enforcer.reset()
    assert not context.allowed(ADMIN, "storage_backup:restore_point:verify")


def test_a_denial_is_a_403_naming_the_rule(policy_file):
    with pytest.raises(Forbidden) as raised:
        context.authorize(READER, "storage_backup:job:cancel", {"project_id": "p1"})
    assert raised.value.status == 403
    assert raised.value.message == ("Cancel a queued or running job of the project: not allowed for your roles "
                                    "(reader) by policy rule storage_backup:job:cancel.")


def test_an_unknown_rule_is_a_programming_error_not_a_denial(policy_file):
    from oslo_policy.policy import PolicyNotRegistered

    with pytest.raises(PolicyNotRegistered):
        context.authorize(ADMIN, "storage_backup:job:explode")


def test_the_control_plane_itself_is_not_subject_to_rules(policy_file):
    _rewrite(policy_file, '"storage_backup:restore_point:delete": "!"\n')
    assert not context.allowed(ADMIN, "storage_backup:restore_point:delete", {"project_id": "p1"})
    context.authorize(SYSTEM, "storage_backup:restore_point:delete", {"project_id": "p1"})  # retention's deletes


def test_all_projects_counts_for_admins_the_list_all_rule_allows(policy_file):
    asking = ADMIN.with_all_projects(True)
    assert context.listing(asking, "storage_backup:job:list", "storage_backup:job:list_all").sees_all()
    # A member's flag means nothing, whatever the rule says: tenancy is not the policy's to open.
    _rewrite(policy_file, '"storage_backup:job:list_all": "@"\n')
    member = context.listing(MEMBER.with_all_projects(True), "storage_backup:job:list", "storage_backup:job:list_all")
    assert not member.sees_all()
    # An operator may narrow administrators to their own project.
    _rewrite(policy_file, '"storage_backup:job:list_all": "!"\n')
    narrowed = context.listing(asking, "storage_backup:job:list", "storage_backup:job:list_all")
    assert not narrowed.sees_all() and not narrowed.all_projects
    with pytest.raises(Forbidden, match="storage_backup:job:list"):
        context.listing(Caller(user_id="x", project_id="p1"), "storage_backup:job:list", "storage_backup:job:list_all")


def test_credentials_are_what_the_caller_says():
    assert MEMBER.to_policy_values() == {"user_id": "u-member", "project_id": "p1", "roles": ["member"],
                                         "is_admin": False, "system_scope": None}
    assert ADMIN.to_policy_values()["is_admin"] is True
