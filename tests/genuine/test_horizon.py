# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Stock Horizon with the plugin, logging in to the genuine Keystone: the plugin finds the product's
``data-protection`` endpoint in the genuine catalog and lists, with the logged-in user's token, the policies of that
user's project only.
"""
from __future__ import annotations

import os
import re

import pytest
import requests
from storage_backup_sandbox.launch import HorizonProcess
from storage_backup_sandbox.seed import user as sandbox_user

pytestmark = pytest.mark.timeout(600)


def _login(horizon: HorizonProcess, user: str) -> requests.Session:
    session = requests.Session()
    page = session.get(horizon.url + "/auth/login/", timeout=120)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    region = re.search(r'name="region" value="([^"]*)"', page.text)
    spec = sandbox_user(user)
    form = {"csrfmiddlewaretoken": token, "username": spec.name, "password": spec.password}
    if region:
        form["region"] = region.group(1)
    answer = session.post(horizon.url + "/auth/login/", data=form, timeout=120,
                          headers={"Referer": horizon.url + "/auth/login/"})
    assert answer.status_code == 200 and "/auth/login" not in answer.url, answer.text[-2000:]
    return session


def test_horizon_logs_in_to_keystone_and_the_plugin_lists_the_projects_policies(stack, tmp_path):
    mine = stack.client().policy_create(name="horizon-visible", destination_id=stack.destination()["id"])
    theirs = stack.client("alt-member").policy_create(name="horizon-hidden", destination_id=stack.destination()["id"])
    horizon = HorizonProcess(str(tmp_path / "horizon"), stack.cloud.auth_url,
                             static_cache=os.environ.get("STORAGE_BACKUP_HORIZON_STATIC_CACHE"))
    horizon.start()
    try:
        session = _login(horizon, "demo-member")
        page = session.get(horizon.url + "/project/backup_policies/", timeout=120)
        assert page.status_code == 200, page.text[-2000:]
        assert mine["name"] in page.text and theirs["name"] not in page.text
    finally:
        horizon.stop()
