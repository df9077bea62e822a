# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The catalog: the control plane's database of policies, assignments, jobs, restore points and the rest."""
