# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The commands of the service's ``/v1`` API, one module per noun."""
