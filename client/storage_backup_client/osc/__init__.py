# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The ``openstack storage backup …`` commands (python-openstackclient plugin, through osc-lib)."""
