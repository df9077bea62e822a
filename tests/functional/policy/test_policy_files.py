# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The committed policy files are what ``make policy-files`` writes from the rules: nobody edits them by hand, and
the Horizon plugin's files never disagree with the service's defaults."""
from __future__ import annotations

import os
import runpy

import yaml

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCRIPT = os.path.join(REPO_ROOT, "tools", "generate_policy_files.py")
GENERATED = ("backend/etc/storage-backup/policy.yaml.sample",
             "storage_backup_dashboard/conf/default_policies/storage_backup.yaml",
             "storage_backup_dashboard/conf/storage_backup_policy.yaml")


def test_the_committed_files_are_the_generated_ones(tmp_path):
    generator = runpy.run_path(SCRIPT)  # the script `make policy-files` runs, in this process
    assert generator["main"](["--root", str(tmp_path)]) == 0
    for name in GENERATED:
        with open(tmp_path / name, encoding="utf-8") as fresh, open(os.path.join(REPO_ROOT, name),
                                                                     encoding="utf-8") as committed:
            assert committed.read() == fresh.read(), (f"{name} differs from what the rules generate: run `make "
                                                      "policy-files` (and change rules in "
                                                      "backend/storage_backup/policies/, not this file)")


def test_horizon_gets_every_rule_with_its_default():
    from storage_backup.policies import list_rules

    with open(os.path.join(REPO_ROOT, GENERATED[1]), encoding="utf-8") as handle:
        shipped = {entry["name"]: entry["check_str"] for entry in yaml.safe_load(handle)}
    assert shipped == {rule.name: rule.check_str for rule in list_rules()}


def test_the_plugin_does_not_import_the_service():
    """The files are generated here and committed: the plugin's code never reaches for storage_backup."""
    plugin = os.path.join(REPO_ROOT, "storage_backup_dashboard")
    for folder, _dirs, files in os.walk(plugin):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    text = handle.read()
                assert "import storage_backup\n" not in text and "from storage_backup." not in text and \
                    "from storage_backup import" not in text, os.path.join(folder, name)
