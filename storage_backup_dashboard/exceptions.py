"""Errors the plugin's api layer raises, sorted the way Horizon's ``exceptions.handle`` wants them.

The Backup panel group's enabled file adds these to ``HORIZON_CONFIG['exceptions']`` (``ADD_EXCEPTIONS``), so a
failure the user can retry shows a message instead of an error page.
"""


class BackupServiceUnavailable(Exception):
    """The backup service (its broker or its API) did not answer; the user may retry later."""


class RestorePointNotFound(Exception):
    """A restore point the request named is not in the catalog (deleted by retention, or another project's)."""


RECOVERABLE = (BackupServiceUnavailable,)
NOT_FOUND = (RestorePointNotFound,)
