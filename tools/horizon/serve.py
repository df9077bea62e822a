# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Serve stock Horizon with the storage backup plugin: ``python tools/horizon/serve.py --port P``.

``storage_backup_sandbox.launch.HorizonProcess`` runs this for the demo and the browser tests. Horizon's own settings
module
(``openstack_dashboard.settings``) is used unchanged; ``tools/horizon/local/local_settings.py`` configures it the
way an operator's ``local_settings.py`` would (Keystone URL, sessions, the plugin's enabled files and policy).

Static files are collected and compressed offline once per Horizon version and plugin content (a cache under the
Python environment, keyed by their hash), so the first start takes a minute or two and every later one a second.
They are served by the same WSGI server (werkzeug's), from that folder, with long cache lifetimes: compressed file
names carry their content hash.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.metadata
import logging
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
LOG = logging.getLogger("storage_backup.horizon")

# What the collected and compressed output depends on, besides the installed packages' versions.
_STATIC_INPUTS = ("tools/horizon/local", "enabled", "storage_backup_dashboard")
_STATIC_INPUT_SUFFIXES = (".py", ".html", ".js", ".scss", ".css", ".svg", ".png")


def _setup_path() -> None:
    # ``local`` (our local_settings) must win over Horizon's own ``openstack_dashboard/local``.
    for path in (REPO_ROOT, HERE):
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
    os.environ["DJANGO_SETTINGS_MODULE"] = "openstack_dashboard.settings"


def static_cache_key() -> str:
    digest = hashlib.sha256()
    for package in ("horizon", "django", "django-compressor", "xstatic"):
        try:
            digest.update(f"{package}={importlib.metadata.version(package)}\n".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{package}=none\n".encode())
    for top in _STATIC_INPUTS:
        for folder, dirs, files in sorted(os.walk(os.path.join(REPO_ROOT, top))):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(_STATIC_INPUT_SUFFIXES):
                    path = os.path.join(folder, name)
                    digest.update(os.path.relpath(path, REPO_ROOT).encode() + b"\0")
                    with open(path, "rb") as handle:
                        digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()[:16]


def default_static_cache() -> str:
    return os.path.join(sys.prefix, "var", "cache", "storage-backup-horizon-static")


def prepare_static(static_root: str) -> None:
    """``collectstatic`` + ``compress`` into ``static_root`` unless a previous run completed it (one at a time)."""
    from django.core.management import call_command

    os.makedirs(os.path.dirname(static_root), exist_ok=True)
    marker = os.path.join(static_root, ".complete")
    with open(static_root + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a parallel start (demo and tests) waits for the first one's output
        if os.path.exists(marker):
            return
        started = time.time()
        shutil.rmtree(static_root, ignore_errors=True)
        print(f"Collecting and compressing Horizon's static files into {static_root} (once per Horizon version "
              "and plugin content; takes a minute or two)", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("compress", force=True, verbosity=0)
        with open(marker, "w") as handle:
            handle.write(f"{time.time() - started:.1f} s\n")
        print(f"Static files ready in {time.time() - started:.0f} s", flush=True)


def make_application(static_root: str):
    from django.core.wsgi import get_wsgi_application
    from werkzeug.middleware.shared_data import SharedDataMiddleware

    return SharedDataMiddleware(get_wsgi_application(), {"/static": static_root}, cache_timeout=30 * 24 * 3600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="serve.py", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--keystone-url", help="Keystone v3 URL (default: $STORAGE_BACKUP_HORIZON_KEYSTONE_URL)")
    parser.add_argument("--state-dir", help="sessions and secret key (default: $STORAGE_BACKUP_HORIZON_STATE_DIR)")
    parser.add_argument("--static-cache", default=os.environ.get("STORAGE_BACKUP_HORIZON_STATIC_CACHE"),
                        help="where compressed static files are kept between runs")
    parser.add_argument("--prepare-only", action="store_true", help="collect and compress static files, then exit")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.keystone_url:
        os.environ["STORAGE_BACKUP_HORIZON_KEYSTONE_URL"] = args.keystone_url
    if args.state_dir:
        os.environ["STORAGE_BACKUP_HORIZON_STATE_DIR"] = os.path.abspath(args.state_dir)
    static_root = os.path.join(os.path.abspath(args.static_cache or default_static_cache()), static_cache_key())
    os.environ["STORAGE_BACKUP_HORIZON_STATIC_ROOT"] = static_root
    _setup_path()

    import django

    django.setup()
    prepare_static(static_root)
    if args.prepare_only:
        return 0

    from werkzeug.serving import WSGIRequestHandler, make_server

    class PlainLogHandler(WSGIRequestHandler):
        """One uncoloured line per request, for the log file (werkzeug colours them for a terminal)."""

        def log_request(self, code="-", size="-"):
            LOG.info("%s %s -> %s", self.command, self.path, code)

    server = make_server(args.host, args.port, make_application(static_root), threaded=True,
                         request_handler=PlainLogHandler)
    print(f"Horizon listening on http://{args.host}:{server.server_port}/ (Keystone "
          f"{os.environ.get('STORAGE_BACKUP_HORIZON_KEYSTONE_URL')})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
