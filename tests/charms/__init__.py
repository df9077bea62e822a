# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
