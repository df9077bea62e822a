# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m storage_backup.immutable``: the same as ``storage-backup-immutable``."""
import sys

from storage_backup.immutable.daemon import main

sys.exit(main())
