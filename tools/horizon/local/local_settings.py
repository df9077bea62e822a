# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Horizon's ``local_settings`` for the demo and the browser tests: stock Horizon, our plugin, the embedded cloud.

Horizon's own ``openstack_dashboard.settings`` imports ``local.local_settings``; ``tools/horizon/serve.py`` puts
this folder first on ``sys.path``, so this file plays exactly the part an operator's
``openstack_dashboard/local/local_settings.py`` plays in a real deployment. It also does the two other steps an
operator does by hand (see README, "Install the plugin into an existing Horizon"):

- the plugin's enabled files (``enabled/_9*.py``) are seen as if copied into ``openstack_dashboard/local/enabled/``;
- the plugin's settings snippet (``storage_backup_dashboard/local_settings.d/``) is executed, as Horizon executes
  files dropped into ``openstack_dashboard/local/local_settings.d/``.

Everything that changes per run comes from environment variables set by
``storage_backup_sandbox.launch.HorizonProcess``.
"""
import os

from horizon.utils import secret_key
from openstack_dashboard import defaults
from openstack_dashboard.local import enabled as _local_enabled

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

# Where this Horizon keeps its sessions and secret key, and where its collected, compressed static files are.
STATE_DIR = os.environ.get("STORAGE_BACKUP_HORIZON_STATE_DIR") or os.path.join(REPO_ROOT, ".demo", "horizon")
STATIC_ROOT = os.environ.get("STORAGE_BACKUP_HORIZON_STATIC_ROOT") or os.path.join(STATE_DIR, "static")
os.makedirs(os.path.join(STATE_DIR, "sessions"), exist_ok=True)

DEBUG = os.environ.get("STORAGE_BACKUP_HORIZON_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
WEBROOT = "/"
STATIC_URL = "/static/"

SECRET_KEY = secret_key.generate_or_read_from_file(os.path.join(STATE_DIR, "secret_key"))

# The embedded cloud's Keystone (a real cloud's Keystone in a deployment).
OPENSTACK_KEYSTONE_URL = os.environ.get("STORAGE_BACKUP_HORIZON_KEYSTONE_URL", "http://127.0.0.1:5000/v3")
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = "Default"
OPENSTACK_KEYSTONE_DEFAULT_ROLE = "member"
OPENSTACK_ENDPOINT_TYPE = "publicURL"
OPENSTACK_SSL_NO_VERIFY = False

# No memcached here: a process-local cache, and sessions in files (the Keystone token and catalog in a
# signed cookie would outgrow the browser's 4 KiB cookie limit).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.file"
SESSION_FILE_PATH = os.path.join(STATE_DIR, "sessions")
SESSION_TIMEOUT = 3600

# One theme: offline compression renders every theme, and the second one doubles the first start.
AVAILABLE_THEMES = [("default", "Default", "themes/default")]
DEFAULT_THEME = "default"

# Pages load fast only with offline compression: ``serve.py`` runs ``collectstatic`` and ``compress`` once per
# Horizon version and plugin content, and every later start reuses the output.
COMPRESS_OFFLINE = True
COMPRESS_ENABLED = True

# Neutron, Cinder and Nova features stay at Horizon's defaults (routers, quotas, floating IP topology check on;
# Cinder backups off): the embedded cloud serves what a default Horizon asks for.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "horizon": {"level": "INFO"},
        "openstack_dashboard": {"level": "INFO"},
        "openstack_auth": {"level": "INFO"},
        "storage_backup_dashboard": {"level": "INFO"},
    },
}

# "Copy the enabled files into openstack_dashboard/local/enabled/": Horizon lists that package's folder with
# pkgutil, so adding our folder to its path has the same effect without writing into site-packages.
_ENABLED_DIR = os.path.join(REPO_ROOT, "enabled")
if _ENABLED_DIR not in _local_enabled.__path__:
    _local_enabled.__path__.append(_ENABLED_DIR)

# "Drop the plugin's snippet into local_settings.d/": run it here, over this module's settings.
POLICY_FILES = dict(defaults.POLICY_FILES)
POLICY_DIRS = dict(defaults.POLICY_DIRS)
DEFAULT_POLICY_FILES = dict(defaults.DEFAULT_POLICY_FILES)
_SNIPPET_DIR = os.path.join(REPO_ROOT, "storage_backup_dashboard", "local_settings.d")
for _name in sorted(os.listdir(_SNIPPET_DIR)):
    if _name.endswith(".py"):
        with open(os.path.join(_SNIPPET_DIR, _name), encoding="utf-8") as _snippet:
            exec(compile(_snippet.read(), _snippet.name, "exec"))  # what Horizon does with local_settings.d files
