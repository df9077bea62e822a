#!/usr/bin/env bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# The charms tier's Debian packages: cloud-init, whose own `cloud-init schema` checks the proxy VMs' user-data
# (tests/charms/test_cloud_init.py). Installing it starts nothing here: its units run only at a machine's boot
# under systemd, and the package's scripts start no service in a container without systemd.
set -euo pipefail
if ! command -v cloud-init >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends cloud-init || { apt-get update && apt-get install -y --no-install-recommends cloud-init; }
fi
