# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``storage-backup-immutable``: the privileged helper of hardened destinations, serving a unix socket.

    storage-backup-immutable --socket /run/storage-backup/immutable.sock --socket-group storage-backup \\
        --state /var/lib/storage-backup-immutable/locks.json --root /srv/backup

Runs as root (CAP_LINUX_IMMUTABLE is what sets and clears the flag); the workers run as another user in the socket's
group. One JSON request per line, one JSON answer per line (``client.py``). Every request is logged with the
caller's uid and pid (SO_PEERCRED).
"""
from __future__ import annotations

import argparse
import grp
import json
import logging
import os
import signal
import socket
import socketserver
import struct
import sys
import threading

from .flags import ImmutableUnsupported
from .service import ImmutableService, Refused

LOG = logging.getLogger("storage_backup.immutable")
#: A restore point of a few TiB names tens of thousands of packs: a request line is bounded, but generously.
MAX_REQUEST = 64 * 1024 * 1024


def _peer(connection: socket.socket) -> str:
    try:
        pid, uid, _gid = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                   struct.calcsize("3i")))
        return f"uid {uid} pid {pid}"
    except OSError:
        return "unknown peer"


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        service: ImmutableService = self.server.service  # type: ignore[attr-defined]
        peer = _peer(self.request)
        while True:
            line = self.rfile.readline(MAX_REQUEST + 1)
            if not line:
                return
            if len(line) > MAX_REQUEST:
                self._answer({"ok": False, "code": "invalid", "error": "request too long"})
                return
            request = None
            try:
                request = json.loads(line)
                answer = {"ok": True, **service.handle(request)}
            except ValueError:
                answer = {"ok": False, "code": "invalid", "error": "a request is one line of JSON"}
            except Refused as error:
                answer = {"ok": False, "code": error.code, "error": str(error)}
            except ImmutableUnsupported as error:
                answer = {"ok": False, "code": "unsupported", "error": str(error)}
            except OSError as error:
                answer = {"ok": False, "code": "os_error", "error": f"{error.strerror or error}"}
            op = request.get("op") if isinstance(request, dict) else None
            LOG.info("%s: %s %s", peer, op, "ok" if answer["ok"] else f"refused: {answer['error']}")
            self._answer(answer)

    def _answer(self, answer: dict) -> None:
        self.wfile.write(json.dumps(answer).encode() + b"\n")
        self.wfile.flush()


class ImmutableServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, service: ImmutableService, mode: int = 0o660, group: str | None = None) -> None:
        if os.path.exists(path):
            os.unlink(path)  # a socket left by a previous run
        self.service = service
        super().__init__(path, _Handler)
        os.chmod(path, mode)
        if group:
            os.chown(path, -1, grp.getgrnam(group).gr_gid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storage-backup-immutable", description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", required=True, help="the unix socket the workers connect to")
    parser.add_argument("--state", required=True, help="the helper's own record of lock dates (JSON)")
    parser.add_argument("--root", action="append", required=True,
                        help="a directory holding hardened repositories (repeatable); nothing else is touched")
    parser.add_argument("--socket-group", help="the group of the workers' user, given access to the socket")
    parser.add_argument("--socket-mode", default="0660", help="the socket's mode (default 0660)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    service = ImmutableService(args.root, args.state)
    server = ImmutableServer(args.socket, service, int(args.socket_mode, 8), args.socket_group)
    # shutdown() waits for serve_forever to stop, so it runs in a thread of its own, not in the signal handler's.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    LOG.info("serving %s for %s (record %s)", args.socket, ", ".join(service.roots), args.state)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        try:
            os.unlink(args.socket)
        except FileNotFoundError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
