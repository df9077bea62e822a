# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The diff worker: the one part of the product that holds a Ceph key, read-only, and runs beside Ceph.

It answers one question (``ceph.diff``, docs/TASKS.md "Ceph tasks"): which extents of a volume's RBD image changed
between two of its snapshots. The proxies ask it over the task queue and read the data themselves from the volume
attached to them, as for every other backup: Ceph's keys stay off the proxies, which live on tenant networks.
"""
