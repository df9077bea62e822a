#!/bin/bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# Stop radosgw (pid from $CEPHX_DIR/rgw.pid) and then mon/osd[/mgr] via stop.sh.
#   RGWX_KEEP_CEPH=1  only stop radosgw
#   CEPHX_WIPE=1      also delete the cluster dir;  CEPHX_FAST=1  SIGKILL right away
HERE=$(cd "$(dirname "$0")" && pwd)
export CEPHX_DIR=${CEPHX_DIR:-${TMPDIR:-/tmp}/storage-backup-ceph}
DIR=$CEPHX_DIR
alive() {
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
f=$DIR/rgw.pid
if [ -s "$f" ]; then
    pid=$(cat "$f")
    if alive "$pid"; then
        if [ "${CEPHX_FAST:-0}" = 1 ]; then kill -KILL "$pid"; else kill -TERM "$pid"; fi
        for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then
            echo "radosgw ($pid) did not exit after 10s, sending KILL" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -f "$f"
    echo "stopped radosgw ($pid)"
fi
if [ "${RGWX_KEEP_CEPH:-0}" != 1 ]; then
    "$HERE/stop.sh"
fi
