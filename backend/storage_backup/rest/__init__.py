# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The REST API (``/v1``): Django REST framework views over ``storage_backup.services``, Keystone tokens, OpenAPI."""
