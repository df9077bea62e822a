# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m storage_backup.rest --port P``: serve the REST API on 127.0.0.1 (threaded WSGI server).

Reads the same environment as ``storage_backup.settings``; writes ``--endpoint-file`` (JSON with the URL) once it
listens, so launchers know it is up.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage_backup.rest", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--endpoint-file", default="")
    parser.add_argument("--migrate", action="store_true", help="apply catalog migrations before serving")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storage_backup.settings")
    import django

    django.setup()
    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    from werkzeug.serving import make_server

    from storage_backup.rest.wsgi import application

    server = make_server(args.host, args.port, application, threaded=True)
    url = f"http://{args.host}:{server.server_port}"
    if args.endpoint_file:
        with open(args.endpoint_file + ".tmp", "w") as handle:
            json.dump({"url": url, "pid": os.getpid()}, handle)
        os.replace(args.endpoint_file + ".tmp", args.endpoint_file)
    logging.getLogger("storage_backup.rest").info("storage backup API listening on %s", url)
    print(f"storage backup API listening on {url}", flush=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
