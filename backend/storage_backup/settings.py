# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Django settings of the control plane (catalog, service layer, REST API, control worker).

Everything comes from the environment so one file serves the demo, the tests and production:

- ``STORAGE_BACKUP_DATA_DIR``: where the SQLite catalog (the default database) and the beat schedule live.
- ``STORAGE_BACKUP_DATABASE_URL``: ``postgresql://user:pass@host:port/name`` or ``mysql://…`` (MariaDB) instead.
- ``STORAGE_BACKUP_CATALOG_KEY`` (base64 of 32 bytes) or the file ``STORAGE_BACKUP_CATALOG_KEY_FILE`` (default
  ``<data dir>/catalog.key``, made on first use): the key the catalog's secrets are encrypted with at rest
  (``storage_backup.catalog.secrets``); every control plane process needs the same one.
- ``STORAGE_BACKUP_BROKER_URL`` / ``STORAGE_BACKUP_RESULT_BACKEND``: Redis for Celery (results default to the broker).
- Keystone and the service account: ``STORAGE_BACKUP_AUTH_URL``, ``STORAGE_BACKUP_USERNAME``,
  ``STORAGE_BACKUP_PASSWORD``, ``STORAGE_BACKUP_PROJECT`` (default ``service``), ``STORAGE_BACKUP_USER_DOMAIN`` /
  ``STORAGE_BACKUP_PROJECT_DOMAIN`` (default ``default``); or ``STORAGE_BACKUP_CLOUD`` naming a clouds.yaml entry
  (``OS_CLIENT_CONFIG_FILE`` points at the file), as the demo's sandbox writes one.
- ``STORAGE_BACKUP_POLICY_FILE``: the operator's oslo.policy file, only the ``storage_backup:*`` rules it changes
  (default ``/etc/storage-backup/policy.yaml`` when it exists, else the rules' defaults;
  ``etc/storage-backup/policy.yaml.sample`` lists them all). Read again when it changes; a file set here that does not
  exist stops every control plane process at start (``storage_backup.policies.enforcer``).
"""
from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from storage_backup.policies import enforcer as policy_enforcer

DATA_DIR = os.path.abspath(os.environ.get("STORAGE_BACKUP_DATA_DIR") or os.path.join(os.getcwd(), ".storage-backup"))
os.makedirs(DATA_DIR, exist_ok=True)

# The control plane is an API service, never a site with sessions; the key only signs nothing of value.
SECRET_KEY = os.environ.get("STORAGE_BACKUP_SECRET_KEY", "storage-backup-control-plane-not-a-session-key")
DEBUG = os.environ.get("STORAGE_BACKUP_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("STORAGE_BACKUP_ALLOWED_HOSTS", "*").split(",")
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "storage_backup.rest.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "rest_framework",
    "drf_spectacular",
    "storage_backup.catalog",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
APPEND_SLASH = False


def database_from_url(url: str) -> dict:
    """``postgresql://u:p@h:port/db`` or ``mysql://…`` → a Django DATABASES entry."""
    parts = urlsplit(url)
    engines = {"postgresql": "django.db.backends.postgresql", "postgres": "django.db.backends.postgresql",
               "mysql": "django.db.backends.mysql", "mariadb": "django.db.backends.mysql",
               "sqlite": "django.db.backends.sqlite3"}
    scheme = parts.scheme.split("+")[0]
    if scheme not in engines:
        raise ValueError(f"STORAGE_BACKUP_DATABASE_URL: unknown scheme {parts.scheme!r}; use postgresql or mysql")
    if scheme == "sqlite":
        return {"ENGINE": engines[scheme], "NAME": parts.path}
    config = {"ENGINE": engines[scheme], "NAME": parts.path.lstrip("/"), "USER": unquote(parts.username or ""),
              "PASSWORD": unquote(parts.password or ""), "HOST": parts.hostname or "", "PORT": str(parts.port or ""),
              "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    if scheme in ("mysql", "mariadb"):
        # mysqlclient (MySQLdb), Django's supported driver. Strict mode whatever the server's default: a value
        # too long for its column fails as on PostgreSQL instead of being cut short (Django's check mysql.W002).
        config["OPTIONS"] = {"charset": "utf8mb4", "isolation_level": "read committed",
                             "init_command": "SET SESSION sql_mode = "
                                             "CONCAT_WS(',', NULLIF(@@sql_mode, ''), 'STRICT_TRANS_TABLES')"}
    return config


if os.environ.get("STORAGE_BACKUP_DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["STORAGE_BACKUP_DATABASE_URL"])}
else:
    # WAL and a busy timeout let the API, the control worker and beat share one SQLite file.
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(DATA_DIR, "catalog.sqlite3"),
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    }}

# MariaDB has no partial unique index for Job's one_active_backup_per_instance: migration 0005 makes it a unique
# index on a generated column there instead, so the warning that Django skips the constraint says nothing true.
SILENCED_SYSTEM_CHECKS = ["models.W036"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["storage_backup.rest.auth.KeystoneAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "storage_backup.rest.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "storage_backup.rest.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["storage_backup.rest.parsers.BoundedJSONParser"],
    "UNAUTHENTICATED_USER": None,
    # No OPTIONS self-description (it would run queries outside the service layer): 405, the document is OpenAPI.
    "DEFAULT_METADATA_CLASS": None,
}
# Request bodies nested deeper than this are refused (400) before any serializer walks them; none needs more than 3.
API_MAX_JSON_DEPTH = int(os.environ.get("STORAGE_BACKUP_API_MAX_JSON_DEPTH", "16"))
# Request bodies larger than this are refused (413) before they are parsed; the largest a client sends (a policy with
# its instances, a file restore's paths) is a few kilobytes.
API_MAX_BODY_BYTES = int(os.environ.get("STORAGE_BACKUP_API_MAX_BODY_BYTES", str(1024 * 1024)))
SPECTACULAR_SETTINGS = {
    "TITLE": "Storage Backup API",
    "DESCRIPTION": "Agentless backup and restore of OpenStack instances. Authenticate with a Keystone token in "
                   "X-Auth-Token.",
    "VERSION": "1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"PolicyStrategyEnum": ["full", "incremental", "auto"],
                            "BackupStrategyEnum": ["full", "incremental"],
                            "WebhookEventTypeEnum": "storage_backup.notifications.events.EVENT_FILTERS"},
}

# Celery, as the control plane uses it: submit proxy tasks by name, read their state, run the control queue.
BROKER_URL = os.environ.get("STORAGE_BACKUP_BROKER_URL") or os.environ.get("CELERY_BROKER_URL") or \
    "redis://127.0.0.1:6379/0"
RESULT_URL = os.environ.get("STORAGE_BACKUP_RESULT_BACKEND") or BROKER_URL

# Authorization: the oslo.policy file over the defaults of storage_backup.policies. The enforcer reads the variable
# itself (the oslo.policy tools load it without Django); reading it here stops a process whose file is missing at
# start, instead of letting it run on the defaults.
POLICY_FILE = policy_enforcer.policy_file()

# Keystone: token validation (keystonemiddleware) and the service account that looks instances up.
KEYSTONE = {
    "auth_url": os.environ.get("STORAGE_BACKUP_AUTH_URL", ""),
    "username": os.environ.get("STORAGE_BACKUP_USERNAME", "backup-service"),
    "password": os.environ.get("STORAGE_BACKUP_PASSWORD", ""),
    "project_name": os.environ.get("STORAGE_BACKUP_PROJECT", "service"),
    "user_domain_id": os.environ.get("STORAGE_BACKUP_USER_DOMAIN", "default"),
    "project_domain_id": os.environ.get("STORAGE_BACKUP_PROJECT_DOMAIN", "default"),
    "cloud": os.environ.get("STORAGE_BACKUP_CLOUD", ""),
    "region_name": os.environ.get("STORAGE_BACKUP_REGION", ""),
    "token_cache_seconds": int(os.environ.get("STORAGE_BACKUP_TOKEN_CACHE_SECONDS", "60")),
    "memcached_servers": os.environ.get("STORAGE_BACKUP_MEMCACHED_SERVERS", ""),
}

# The control plane's own knobs (seconds unless named otherwise).
CONTROL = {
    "tick_seconds": float(os.environ.get("STORAGE_BACKUP_TICK_SECONDS", "30")),
    "heartbeat_seconds": float(os.environ.get("STORAGE_BACKUP_HEARTBEAT_SECONDS", "30")),
    "proxy_down_after": float(os.environ.get("STORAGE_BACKUP_PROXY_DOWN_AFTER", "90")),
    "retention_seconds": float(os.environ.get("STORAGE_BACKUP_RETENTION_SECONDS", "600")),
    # How often the Object Lock retention of an S3 destination with a lock mode is extended (a lock_maintenance job);
    # its lock_days must be at least twice this (services/lock_maintenance.py says why).
    "lock_maintenance_seconds": float(os.environ.get("STORAGE_BACKUP_LOCK_MAINTENANCE_INTERVAL", "43200")),
    "sweeper_seconds": float(os.environ.get("STORAGE_BACKUP_SWEEPER_SECONDS", "600")),
    # How often each destination's locked restore points are looked for in its repository (a vanished_check job on
    # a data worker, names listed only), so that a document removed on the storage is an alert within this, not at
    # the next prune or verify. 0 turns the check off.
    "vanished_check_seconds": float(os.environ.get("STORAGE_BACKUP_VANISHED_CHECK_INTERVAL", "14400")),
    # Leftovers younger than this are not swept: their job may not be in the catalog yet.
    "sweeper_grace": float(os.environ.get("STORAGE_BACKUP_SWEEPER_GRACE", "600")),
    # A dead job's resource whose status (creating, detaching, deleting, saving…) has not changed for this long is
    # stuck: the sweeper resolves it with the admin actions (force-detach, reset-status, force-delete).
    "sweeper_stuck_after": float(os.environ.get("STORAGE_BACKUP_SWEEPER_STUCK_AFTER", "1800")),
    # How long the sweeper waits for one detach or deletion before it escalates or reports.
    "sweeper_wait": float(os.environ.get("STORAGE_BACKUP_SWEEPER_WAIT", "120")),
    "proxy_max_jobs": int(os.environ.get("STORAGE_BACKUP_PROXY_MAX_JOBS", "2")),
    # Data jobs (verify, delete, prune, lock, rebuild) sent at once per data worker that answers its heartbeat.
    "data_max_jobs": int(os.environ.get("STORAGE_BACKUP_DATA_MAX_JOBS", "2")),
    # How long ``rebuild_catalog`` waits for its jobs on the data workers before it gives up (they go on running).
    "rebuild_wait": float(os.environ.get("STORAGE_BACKUP_REBUILD_WAIT", "600")),
    "job_max_attempts": int(os.environ.get("STORAGE_BACKUP_JOB_MAX_ATTEMPTS", "3")),
    "retry_backoff": float(os.environ.get("STORAGE_BACKUP_RETRY_BACKOFF", "30")),
    # A job whose message waits in its queue this long (no worker consumes the queue) fails saying so.
    "job_lost_after": float(os.environ.get("STORAGE_BACKUP_JOB_LOST_AFTER", "86400")),
    # A sent task that is nowhere (not in its queue, not reserved by a worker, not started, no liveness key) for this
    # long was lost with Redis's data: sent again (or failed once its attempts are spent). More than a third of the
    # workers' STORAGE_BACKUP_JOB_ALIVE_SECONDS, so a running task whose state Redis lost can say it is alive first.
    "job_missing_grace": float(os.environ.get("STORAGE_BACKUP_JOB_MISSING_GRACE", "120")),
    # A task a worker took from its queue but has not started after this long: its worker stopped or hangs; sent
    # again (its stale message can no longer run). More than a reserved task may wait for a free worker process.
    "job_unacked_after": float(os.environ.get("STORAGE_BACKUP_JOB_UNACKED_AFTER", "900")),
    # A running job whose proxy stopped refreshing its liveness key (docs/TASKS.md) for this long died with its
    # worker: it fails and the sweeper cleans up after it. More than the proxies' STORAGE_BACKUP_JOB_ALIVE_SECONDS.
    "job_alive_grace": float(os.environ.get("STORAGE_BACKUP_JOB_ALIVE_GRACE", "120")),
    # The croniter steps one schedule computation (a policy's next run, a preview, the scheduler's due fire) may
    # take; the searches need a step or two a day, so this caps a pathological schedule well under a second.
    "schedule_max_steps": int(os.environ.get("STORAGE_BACKUP_SCHEDULE_MAX_STEPS", "1000")),
    # How long a file listing or search (a data.browse_files job) may take before the API answers 503 naming the job.
    "file_browse_wait": float(os.environ.get("STORAGE_BACKUP_FILE_BROWSE_WAIT", "60")),
    "availability_zones": [az for az in os.environ.get("STORAGE_BACKUP_AVAILABILITY_ZONES", "").split(",") if az],
    # Where this host sees the filesystem destinations as the data workers do (their STORAGE_BACKUP_REPOSITORY_ROOT,
    # ``/`` when the shares are mounted here at the same paths, as in the demo): a new destination's path is then
    # refused unless it is an existing directory. Empty: the control plane does not see them, and a data worker
    # refuses a missing path at the destination's first job instead.
    "destination_root": os.environ.get("STORAGE_BACKUP_DESTINATION_ROOT", ""),
}

# The vault copy (storage_backup.services.vault); the vault worker's own settings are in its config file.
VAULT = {
    # A failed copy is listed again until it failed this many times (then an administrator looks at its error).
    "max_attempts": int(os.environ.get("STORAGE_BACKUP_VAULT_MAX_ATTEMPTS", "5")),
    # A copy reported ``copying`` and silent this long: its vault worker died; listed again.
    "copy_stale_after": float(os.environ.get("STORAGE_BACKUP_VAULT_COPY_STALE_AFTER", "21600")),
    # Copies handed out per look for work.
    "work_limit": int(os.environ.get("STORAGE_BACKUP_VAULT_WORK_LIMIT", "50")),
    # A vault whose worker neither asked for work nor reported a copy for this long is silent: its copies have
    # stopped (services/vault_health.py). The worker asks every 300 s by default, but a round that copies asks again
    # only once its copies are done (each copy's report counts as a sign of life): 12 of its intervals. A worker that
    # says it asks less often gets 3 of its own intervals when that is longer.
    "silent_after": float(os.environ.get("STORAGE_BACKUP_VAULT_SILENT_AFTER", "3600")),
    # A restore point waiting this long for its vault copy is an alert: the worker copies only in its window (a
    # night), so a day and a half lets one window be missed by a point made just after the previous one closed.
    "copy_lag_alert": float(os.environ.get("STORAGE_BACKUP_VAULT_COPY_LAG_ALERT", "129600")),
}

# Job notifications (storage_backup.notifications): oslo.messaging events, per-project webhooks, e-mail per policy.
# Delivery runs on the control worker, never inside a job: each channel's failure is logged, and every wait is bounded.
NOTIFICATIONS = {
    # oslo.messaging, as OpenStack services emit (``backup.start`` …): off unless a transport URL is set, e.g.
    # ``rabbit://user:pass@rabbit:5672/``.
    "transport_url": os.environ.get("STORAGE_BACKUP_NOTIFICATION_TRANSPORT_URL", ""),
    "driver": os.environ.get("STORAGE_BACKUP_NOTIFICATION_DRIVER", "messagingv2"),
    "topics": [topic for topic in os.environ.get("STORAGE_BACKUP_NOTIFICATION_TOPICS", "notifications").split(",")
               if topic],
    # publisher_id is ``storage-backup.<host>``; the host defaults to this machine's name.
    "host": os.environ.get("STORAGE_BACKUP_NOTIFICATION_HOST", ""),
    # How many times one event's send reconnects to the transport before it is dropped (logged); never -1 (for ever).
    "send_retries": int(os.environ.get("STORAGE_BACKUP_NOTIFICATION_SEND_RETRIES", "2")),
    # How many times handing a job's events to the control worker (one Celery message) is tried again, half a second
    # apart, before they are dropped (logged): Redis away never holds the job's tracking longer.
    "enqueue_retries": int(os.environ.get("STORAGE_BACKUP_NOTIFICATION_ENQUEUE_RETRIES", "2")),
    # The longest one notification task may run (every channel of one job event) before Celery stops it.
    "task_time_limit": float(os.environ.get("STORAGE_BACKUP_NOTIFICATION_TASK_TIME_LIMIT", "60")),
    # Webhooks: one POST's connect + read timeout, how often a failed delivery is tried, the first retry's delay
    # (doubled each time), how many hooks a project may register.
    "webhook_timeout": float(os.environ.get("STORAGE_BACKUP_WEBHOOK_TIMEOUT", "10")),
    "webhook_max_attempts": int(os.environ.get("STORAGE_BACKUP_WEBHOOK_MAX_ATTEMPTS", "5")),
    "webhook_retry_backoff": float(os.environ.get("STORAGE_BACKUP_WEBHOOK_RETRY_BACKOFF", "30")),
    "webhook_max_per_project": int(os.environ.get("STORAGE_BACKUP_WEBHOOK_MAX_PER_PROJECT", "10")),
    # Hosts webhooks may target: names, addresses or networks (CIDR), comma separated. Empty: any host whose
    # addresses are all public; loopback, private and link-local targets (the cloud's own services) only when
    # listed here.
    "webhook_allowed_hosts": [host.strip() for host in
                              os.environ.get("STORAGE_BACKUP_WEBHOOK_ALLOWED_HOSTS", "").split(",") if host.strip()],
    # E-mail through SMTP: off unless a host is set. STARTTLS and login are optional.
    "smtp_host": os.environ.get("STORAGE_BACKUP_SMTP_HOST", ""),
    "smtp_port": int(os.environ.get("STORAGE_BACKUP_SMTP_PORT", "25")),
    "smtp_from": os.environ.get("STORAGE_BACKUP_SMTP_FROM", "storage-backup@localhost"),
    "smtp_starttls": os.environ.get("STORAGE_BACKUP_SMTP_STARTTLS", "") == "1",
    # The CA bundle the SMTP server's certificate is checked against under STARTTLS (empty: the system's).
    "smtp_ca_file": os.environ.get("STORAGE_BACKUP_SMTP_CA_FILE", ""),
    "smtp_username": os.environ.get("STORAGE_BACKUP_SMTP_USERNAME", ""),
    "smtp_password": os.environ.get("STORAGE_BACKUP_SMTP_PASSWORD", ""),
    "smtp_timeout": float(os.environ.get("STORAGE_BACKUP_SMTP_TIMEOUT", "10")),
    # Recipients one policy may name.
    "max_emails_per_policy": int(os.environ.get("STORAGE_BACKUP_NOTIFY_MAX_EMAILS", "10")),
}

# The operators' endpoints of the REST API (rest/views_operations.py): /metrics, /healthz, /readyz.
METRICS = {
    # The bearer token a Prometheus scraper sends (``authorization: credentials_file``), from a file only root and
    # the API's user read; the variable itself is for tests. Without one, only a Keystone token with the
    # storage_backup:admin:metrics rule (admins) reads /metrics.
    "token": os.environ.get("STORAGE_BACKUP_METRICS_TOKEN", ""),
    "token_file": os.environ.get("STORAGE_BACKUP_METRICS_TOKEN_FILE", ""),
    # Client addresses (CIDRs, comma-separated) the bearer token is accepted from; empty: any.
    "allow_from": [net.strip() for net in os.environ.get("STORAGE_BACKUP_METRICS_ALLOW_FROM", "").split(",")
                   if net.strip()],
    # An instance is past its RPO when its newest restore point is older than its policy's interval × this.
    "rpo_factor": float(os.environ.get("STORAGE_BACKUP_METRICS_RPO_FACTOR", "2")),
    # How long a scrape waits for Redis (the queues' lengths) before it leaves them out: well under Prometheus's
    # scrape timeout (10 s by default), and no retries.
    "redis_timeout": float(os.environ.get("STORAGE_BACKUP_METRICS_REDIS_TIMEOUT", "2")),
}
HEALTH = {
    # How long /readyz waits for the catalog database and for Redis before it calls one down.
    "check_timeout": float(os.environ.get("STORAGE_BACKUP_READY_CHECK_TIMEOUT", "3")),
}

LOGGING = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("STORAGE_BACKUP_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
