# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The control plane under test: one catalog (SQLite, or a real PostgreSQL or MariaDB when
``STORAGE_BACKUP_TEST_DATABASE=postgresql`` / ``mariadb``) shared by this test process and the processes it starts
(REST API, control worker), configured once per pytest process before Django is set up.

The PostgreSQL and MariaDB servers are private ones the tests start on a free loopback port in a temp dir and
remove at the end; a server already running on the machine (5432, 3306, /run/mysqld) is never used nor touched.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile

from storage_backup_sandbox.launch import ManagedProcess, free_port, wait_for

SETTINGS = "storage_backup.settings"
_state: dict = {}
DATABASE_ALIASES = {"postgresql": "postgresql", "postgres": "postgresql", "pg": "postgresql",
                    "mariadb": "mariadb", "mysql": "mariadb"}


def selected_database() -> str:
    """``STORAGE_BACKUP_TEST_DATABASE`` as ``postgresql``, ``mariadb`` or ``""`` (SQLite, the default)."""
    wanted = os.environ.get("STORAGE_BACKUP_TEST_DATABASE", "").strip().lower()
    if wanted in ("", "sqlite", "sqlite3"):
        return ""
    if wanted not in DATABASE_ALIASES:
        raise ValueError(f"STORAGE_BACKUP_TEST_DATABASE={wanted!r}: use postgresql, mariadb or nothing (SQLite)")
    return DATABASE_ALIASES[wanted]


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


def mariadb_bin(*names: str) -> str:
    for name in names:
        for candidate in [shutil.which(name) or "", f"/usr/sbin/{name}", f"/usr/bin/{name}"]:
            if candidate and os.access(candidate, os.X_OK):
                return candidate
    raise FileNotFoundError(f"{names[0]} not found (Debian package mariadb-server-core)")


class MariaDBProcess(ManagedProcess):
    """A private MariaDB (mariadb-install-db + mariadbd) on a free loopback port in a temp dir, never the one on
    3306: ``--no-defaults`` keeps the machine's /etc/mysql/my.cnf (its socket and pid file in /run/mysqld, its
    data dir) out of it, and its socket lives in the temp dir.

    The catalog connects as ``catalog`` with a password and rights on its own database only, as in production.
    As root, mariadbd runs as root (``--user=root``, which it accepts): no system user is needed, and the temp dir
    stays root's alone. The server's character set is what Debian's configuration sets (utf8mb4, general_ci).
    """

    name = "mariadb"
    USER = PASSWORD = DATABASE = "catalog"

    def __init__(self, work_dir: str, port: int | None = None):
        self.port = port or free_port()
        self.work_dir = work_dir
        self.data_dir = os.path.join(work_dir, "data")
        self.socket = os.path.join(work_dir, "mariadb.sock")
        self.user = ["--user=root"] if os.geteuid() == 0 else []
        # Small and unsynced: a throwaway catalog (mariadb-install-db takes the InnoDB options too).
        self.innodb = ["--innodb-log-file-size=16M", "--innodb-buffer-pool-size=64M",
                       "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0"]
        argv = [mariadb_bin("mariadbd", "mysqld"), "--no-defaults", *self.user, f"--datadir={self.data_dir}",
                f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.socket}",
                f"--pid-file={os.path.join(work_dir, 'mariadb.pid')}", "--skip-name-resolve",
                "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci", "--max-connections=300",
                *self.innodb]
        super().__init__(argv, os.path.join(work_dir, "mariadb.log"))

    @property
    def url(self) -> str:
        return f"mysql://{self.USER}:{self.PASSWORD}@127.0.0.1:{self.port}/{self.DATABASE}"

    def start(self, timeout: float = 60) -> MariaDBProcess:
        os.makedirs(self.work_dir, exist_ok=True)
        install = subprocess.run([mariadb_bin("mariadb-install-db", "mysql_install_db"), "--no-defaults",
                                  *self.user, f"--datadir={self.data_dir}", "--auth-root-authentication-method=normal",
                                  "--skip-test-db", "--skip-name-resolve", *self.innodb],
                                 capture_output=True, text=True)
        if install.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed ({install.returncode}):\n{install.stdout[-3000:]}"
                               f"{install.stderr[-3000:]}")
        super().start()
        try:
            wait_for(self._ready, timeout, f"MariaDB on port {self.port}", process=self.process,
                     log_path=self.log_path, interval=0.2)
            with self._connect("root", "") as connection:
                cursor = connection.cursor()
                cursor.execute(f"CREATE DATABASE {self.DATABASE}")
                for host in ("127.0.0.1", "localhost"):
                    cursor.execute(f"CREATE USER '{self.USER}'@'{host}' IDENTIFIED BY '{self.PASSWORD}'")
                    cursor.execute(f"GRANT ALL PRIVILEGES ON {self.DATABASE}.* TO '{self.USER}'@'{host}'")
        except BaseException:
            self.stop()
            raise
        return self

    def _connect(self, user: str, password: str):
        import MySQLdb

        return MySQLdb.connect(host="127.0.0.1", port=self.port, user=user, password=password, connect_timeout=5)

    def _ready(self) -> bool:
        import MySQLdb

        try:
            self._connect("root", "").close()
        except MySQLdb.OperationalError:  # not accepting connections yet
            return False
        return True


def configure() -> dict:
    """Idempotent: environment for Django (``storage_backup.settings``) and for the processes the tests start."""
    if _state:
        return _state
    if other_django_settings():
        # One process holds one Django: the plugin's tests (Horizon's settings) run in a pytest of their own.
        raise RuntimeError(f"Django is configured with {other_django_settings()} in this process; the control "
                           "plane's tests need storage_backup.settings: run tests/dashboard in a pytest of its own")
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
        # Long enough for a detach that goes through under the functional tier's load (two sessions on two cores:
        # at 5 s one was forced by os-reset_status), short enough for the drills that hang on purpose.
        "STORAGE_BACKUP_SWEEPER_WAIT": "10",
        "STORAGE_BACKUP_TOKEN_CACHE_SECONDS": "5",
    }
    database = selected_database()
    if database == "postgresql":
        # Its own temp dir (not under ``work``, which is private to root): PostgreSQL runs as ``postgres``.
        pg_work = tempfile.mkdtemp(prefix="storage-backup-pg-")
        atexit.register(shutil.rmtree, pg_work, True)
        postgres = PostgresProcess(pg_work).start()
        atexit.register(postgres.stop)
        env["STORAGE_BACKUP_DATABASE_URL"] = postgres.url
        _state["postgres"] = postgres
    elif database == "mariadb":
        mariadb_work = tempfile.mkdtemp(prefix="storage-backup-mariadb-")
        atexit.register(shutil.rmtree, mariadb_work, True)
        mariadb = MariaDBProcess(mariadb_work).start()
        atexit.register(mariadb.stop)
        env["STORAGE_BACKUP_DATABASE_URL"] = mariadb.url
        _state["mariadb"] = mariadb
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
