# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The embedded cloud: a stand-in OpenStack (Keystone, Nova, Cinder, Glance, Neutron) over real HTTP.

Run it with ``python -m storage_backup_sandbox --port P --state-dir DIR [--seed demo]``. See ``server.py`` for the URL
layout, ``state.py`` for persistence and status transitions, ``blockdev.py`` for where the bytes live.
"""
