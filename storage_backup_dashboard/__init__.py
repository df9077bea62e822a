# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Horizon plugin of the storage backup service: panels, forms, workflows and the ``api`` door to the backend."""
