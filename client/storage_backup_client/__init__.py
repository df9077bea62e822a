# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The storage backup service's REST client (``client``) and its ``openstack`` CLI plugin (``osc``)."""
