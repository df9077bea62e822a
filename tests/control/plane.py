"""The control plane under test: one catalog (SQLite, or a real PostgreSQL when
``STORAGE_BACKUP_TEST_DATABASE=postgresql``) shared by this test process and the processes it starts (REST API,
control worker), configured once per pytest process before Django is set up.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile

from backend.launch import ManagedProcess, free_port, wait_for

SETTINGS = "backend.settings"
_state: dict = {}


def pg_bin(name: str) -> str:
    for candidate in [shutil.which(name) or "", *sorted(_glob("/usr/lib/postgresql/*/bin/" + name), reverse=True)]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(f"{name} not found (Debian package postgresql)")


def _glob(pattern: str) -> list[str]:
    import glob

    return glob.glob(pattern)


class PostgresProcess(ManagedProcess):
    """A private PostgreSQL (initdb + postgres) on a free loopback port in a temp dir, never the one on 5432.

    As root it runs as the ``postgres`` user (PostgreSQL refuses root), owning only its temp dir.
    """

    name = "postgresql"

    def __init__(self, work_dir: str, port: int | None = None):
        self.port = port or free_port()
        self.work_dir = work_dir
        self.data_dir = os.path.join(work_dir, "data")
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        argv = [*self.prefix, pg_bin("postgres"), "-D", self.data_dir, "-p", str(self.port), "-k", work_dir,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
                "-c", "synchronous_commit=off", "-c", "max_connections=200"]
        super().__init__(argv, os.path.join(work_dir, "postgresql.log"))

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/catalog"

    def start(self, timeout: float = 60) -> PostgresProcess:
        os.makedirs(self.work_dir, exist_ok=True)
        if self.prefix:
            shutil.chown(self.work_dir, "postgres", "postgres")
        subprocess.run([*self.prefix, pg_bin("initdb"), "-D", self.data_dir, "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        super().start()
        wait_for(self._ready, timeout, f"PostgreSQL on port {self.port}", process=self.process,
                 log_path=self.log_path, interval=0.2)
        subprocess.run([*self.prefix, pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "catalog"], check=True, capture_output=True)
        return self

    def stop(self, timeout: float = 10) -> None:
        # SIGINT is PostgreSQL's fast shutdown: it does not wait for this process's own open connections.
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGINT)
                self.process.wait(timeout=timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        super().stop(timeout)

    def _ready(self) -> bool:
        result = subprocess.run([pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                capture_output=True)
        return result.returncode == 0


def configure() -> dict:
    """Idempotent: environment for Django (``backend.settings``) and for the processes the tests start."""
    if _state:
        return _state
    work = tempfile.mkdtemp(prefix="storage-backup-control-")
    atexit.register(shutil.rmtree, work, True)
    env = {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "STORAGE_BACKUP_DATA_DIR": os.path.join(work, "data"),
        # Short periods so heartbeat and retry behaviour shows within a test.
        "STORAGE_BACKUP_PROXY_DOWN_AFTER": "5",
        "STORAGE_BACKUP_RETRY_BACKOFF": "0.5",
        "STORAGE_BACKUP_TICK_SECONDS": "1",
        "STORAGE_BACKUP_HEARTBEAT_SECONDS": "1",
        "STORAGE_BACKUP_SWEEPER_GRACE": "0",
        "STORAGE_BACKUP_TOKEN_CACHE_SECONDS": "5",
    }
    if os.environ.get("STORAGE_BACKUP_TEST_DATABASE", "").lower() in ("postgresql", "postgres", "pg"):
        # Its own temp dir (not under ``work``, which is private to root): PostgreSQL runs as ``postgres``.
        pg_work = tempfile.mkdtemp(prefix="storage-backup-pg-")
        atexit.register(shutil.rmtree, pg_work, True)
        postgres = PostgresProcess(pg_work).start()
        atexit.register(postgres.stop)
        env["STORAGE_BACKUP_DATABASE_URL"] = postgres.url
        _state["postgres"] = postgres
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    _state.update(env=env, work=work)
    return _state


def other_django_settings() -> str | None:
    """The settings another part of the suite configured this process with, if not ours."""
    current = os.environ.get("DJANGO_SETTINGS_MODULE")
    return current if current and current != SETTINGS else None
