# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The vault worker (``storage-backup vault-worker --config FILE``): runs on the vault's side, pulls copies of
restore points into the air-gapped vault and grants restores time-limited read-only access (``worker``); its config
file alone holds the vault's credentials (``config``)."""
