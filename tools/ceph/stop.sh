#!/bin/bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# Stop the daemons started by start.sh (by the PIDs in their pid files) and
# (default dir ${TMPDIR:-/tmp}/storage-backup-ceph, also stops radosgw via $DIR/rgw.pid)
# optionally wipe the cluster dir (CEPHX_WIPE=1). CEPHX_FAST=1 sends SIGKILL right away
# (clean shutdown takes ~1 s for the OSD; fine to skip for throw-away clusters).
DIR=${CEPHX_DIR:-${TMPDIR:-/tmp}/storage-backup-ceph}
alive() {  # running and not a zombie (daemons are reparented to PID 1, which may reap late)
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
for t in rgw mgr osd mon; do      # reverse start order (rgw = radosgw, see start-rgw.sh)
    f=$DIR/$t.pid
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    if alive "$pid"; then
        if [ "${CEPHX_FAST:-0}" = 1 ]; then kill -KILL "$pid"; else kill -TERM "$pid"; fi
        for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then
            echo "$t ($pid) did not exit after 10s, sending KILL" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -f "$f"
done
if [ "${CEPHX_WIPE:-0}" = 1 ]; then rm -rf "$DIR"; fi
echo "stopped ceph in $DIR"
