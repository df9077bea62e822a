# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""oslo.policy's own tools find the service through its entry points, as an operator runs them."""
from __future__ import annotations

import os
import subprocess
import sys

import yaml
from storage_backup.policies import list_rules

BIN = os.path.dirname(sys.executable)


def _run(tool: str, *args: str, env: dict | None = None) -> str:
    result = subprocess.run([os.path.join(BIN, tool), *args], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, **(env or {})))
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_sample_generator_lists_every_rule():
    sample = _run("oslopolicy-sample-generator", "--namespace", "storage_backup")
    names = [rule.name for rule in list_rules()]
    for name in names:
        assert f'#"{name}": ' in sample, name
    assert "# POST  /v1/backups" in sample and "# Intended scope(s): project" in sample
    assert not yaml.safe_load(sample)  # every rule commented out: a sample changes nothing until edited


def test_the_policy_generator_shows_the_operators_overrides(tmp_path):
    """``oslopolicy-policy-generator`` asks the service's enforcer (the ``oslo.policy.enforcer`` entry point), which
    reads STORAGE_BACKUP_POLICY_FILE."""
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"storage_backup:backup:create": "rule:project_reader_or_admin"\n')
    effective = yaml.safe_load(_run("oslopolicy-policy-generator", "--namespace", "storage_backup",
                                    env={"STORAGE_BACKUP_POLICY_FILE": str(policy_file)}))
    assert effective["storage_backup:backup:create"] == "rule:project_reader_or_admin"
    assert effective["storage_backup:restore_point:delete"] == "rule:project_member_or_admin"
    assert set(effective) == {rule.name for rule in list_rules()}


def test_the_checker_answers_for_a_token(tmp_path):
    """The effective rules (``oslopolicy-policy-generator``) checked against a token's access data with
    ``oslopolicy-checker``, as an operator finds out what a user may do."""
    effective = tmp_path / "effective.yaml"
    _run("oslopolicy-policy-generator", "--namespace", "storage_backup", "--output-file", str(effective))
    access = tmp_path / "access.json"
    access.write_text('{"token": {"roles": [{"name": "reader"}], "project": {"id": "p1"}, "user": {"id": "u1"}}}')
    answers = _run("oslopolicy-checker", "--policy", str(effective), "--access", str(access),
                   "--target", str(_target(tmp_path, "p1")))
    assert "passed: storage_backup:job:list\n" in answers, answers
    assert "failed: storage_backup:job:cancel\n" in answers, answers
    elsewhere = _run("oslopolicy-checker", "--policy", str(effective), "--access", str(access),
                     "--target", str(_target(tmp_path, "p2")))
    assert "failed: storage_backup:job:list\n" in elsewhere, elsewhere


def _target(tmp_path, project_id: str):
    path = tmp_path / f"target-{project_id}.json"
    path.write_text(f'{{"project_id": "{project_id}"}}')
    return path
