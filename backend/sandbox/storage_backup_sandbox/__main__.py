# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m storage_backup_sandbox --port P --state-dir DIR [--seed demo]``: run the embedded cloud."""
from __future__ import annotations

import argparse
import logging
import signal
import sys

from storage_backup_sandbox import seed
from storage_backup_sandbox.server import SandboxServer


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM stops the server the same clean way as Ctrl-C: state saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage_backup_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: 0, a free one)")
    parser.add_argument("--state-dir", required=True, help="where the cloud keeps its state and block data")
    parser.add_argument("--seed", choices=("base", "demo"), default="base",
                        help="'demo' adds the demo's servers with real data (default: base)")
    parser.add_argument("--transition-delay", type=float, default=0.3,
                        help="seconds a status transition (creating -> available ...) takes (default: 0.3)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    server = SandboxServer(args.state_dir, host=args.host, port=args.port, transition_delay=args.transition_delay)
    seed.seed_base(server.state)
    if args.seed == "demo":
        seed.seed_demo(server.state)
    seed.write_clouds_yaml(server.state, server.auth_url)
    server.state.save(force=True)
    endpoint_file = server.write_endpoint_file()
    print(f"embedded cloud listening on {server.url} (Keystone {server.auth_url}); state in "
          f"{server.state.state_dir}; endpoints in {endpoint_file}", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
