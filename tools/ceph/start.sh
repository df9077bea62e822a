#!/bin/bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# The project's one-node Ceph for tests (used by the genuine-OpenStack tier, tools/genuine/; reusable by any tier).
# Start a throw-away single-node Ceph (pacific 16.2.x, Debian packages) by hand:
# 1 mon + 1 osd (memstore or bluestore-on-a-file) [+ optional mgr], no systemd, auth none (or cephx).
# (adds a [client.rgw.x] section
#  for radosgw; radosgw itself is started by start-rgw.sh)
#
# Env knobs:
#   CEPHX_DIR      base dir                       (default ${TMPDIR:-/tmp}/storage-backup-ceph)
#   CEPHX_STORE    memstore | bluestore           (default memstore)
#   CEPHX_SIZE     OSD capacity in bytes          (default 4 GiB)
#   CEPHX_MON_PORT / CEPHX_MON_PORT_V1   mon msgr2 / msgr1 ports (default 3310 / 6790)
#   CEPHX_OSD_PORT_MIN / _MAX            OSD/mgr bind range (default 7310-7399; OSD takes 8)
#   CEPHX_RGW_PORT beast (S3) port written to [client.rgw.x] (default 7480, 127.0.0.1 only)
#   CEPHX_MGR      1 to also start ceph-mgr       (default 0; rbd does not need it)
#   CEPHX_POOL     pools to create + rbd-init, comma-separated (default none; rgw makes its own)
#   CEPHX_AUTH     none | cephx                   (default none; cephx: required by every daemon and client, the
#                  mon./client.admin keys in $DIR/keyring (named by ceph.conf), osd/mgr keys in their data dirs.
#                  radosgw (start-rgw.sh) is only known to work with none)
#   CEPHX_KEEP     1: keep a cluster this script made in $DIR before (its data, keys and ports): start its
#                  daemons again, or leave them be when they run (default 0: a new, empty cluster every time;
#                  memstore keeps nothing across a stop: use bluestore)
#   CEPHX_READONLY_USER  NAME: also create client.NAME with caps mon 'profile rbd' osd 'profile rbd-read-only'
#                  (reads images and snapshots, `rbd diff`; every write refused with EPERM under cephx), its keyring
#                  in $DIR/ceph.client.NAME.keyring; env.sh then sets CEPH_READONLY_ID / CEPH_READONLY_KEYRING
#
# After it returns:  source $CEPHX_DIR/env.sh   (sets CEPH_CONF and PYTHONPATH for rbd/rados; with cephx also
# CEPH_ADMIN_KEYRING, the admin keyring, and CEPH_AUTH=cephx; not CEPH_KEYRING, which every Ceph program reads as
# its keyring: a daemon started with it would offer the admin's key as its own)
# Works as root or as any user that can write CEPHX_DIR. Stop with stop.sh.
set -euo pipefail

DIR=${CEPHX_DIR:-${TMPDIR:-/tmp}/storage-backup-ceph}
STORE=${CEPHX_STORE:-memstore}
SIZE=${CEPHX_SIZE:-$((4*1024*1024*1024))}
MON_PORT=${CEPHX_MON_PORT:-3310}
MON_PORT_V1=${CEPHX_MON_PORT_V1:-6790}
OSD_PORT_MIN=${CEPHX_OSD_PORT_MIN:-7310}
OSD_PORT_MAX=${CEPHX_OSD_PORT_MAX:-7399}
RGW_PORT=${CEPHX_RGW_PORT:-7480}
START_MGR=${CEPHX_MGR:-0}
POOL=${CEPHX_POOL-}
AUTH=${CEPHX_AUTH:-none}
READONLY_USER=${CEPHX_READONLY_USER-}
case "$AUTH" in none|cephx) ;; *) echo "CEPHX_AUTH must be none or cephx, not '$AUTH'" >&2; exit 2;; esac

t0=$(date +%s.%N)
wait_mon() {
    for i in $(seq 1 100); do
        ceph --connect-timeout 5 mon stat >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}
wait_osd_up() {
    for i in $(seq 1 300); do
        [ "$(ceph osd stat -f json 2>/dev/null | python3 -c 'import sys,json;print(json.load(sys.stdin)["num_up_osds"])' 2>/dev/null)" = 1 ] && return 0
        sleep 0.2
    done
    return 1
}
if [ -e "$DIR/mon.pid" ] && kill -0 "$(cat "$DIR/mon.pid")" 2>/dev/null; then
    if [ "${CEPHX_KEEP:-0}" = 1 ]; then echo "ceph in $DIR already running; source $DIR/env.sh"; exit 0; fi
    echo "cluster in $DIR already running (mon pid $(cat "$DIR/mon.pid"))" >&2; exit 1
fi
if [ "${CEPHX_KEEP:-0}" = 1 ] && [ -s "$DIR/env.sh" ] && [ -d "$DIR/mon.a" ] && [ -s "$DIR/osd.0/whoami" ]; then
    # the same cluster again: its ceph.conf names its ports, data dirs and keyrings
    export CEPH_CONF=$DIR/ceph.conf
    ceph-mon -i a
    wait_mon || { echo "the mon of $DIR did not answer again" >&2; exit 1; }
    ceph-osd -i 0 2>>"$DIR/log/osd-stderr.log"
    if [ -d "$DIR/mgr.x" ] && [ -s "$DIR/mgr.x/keyring" ]; then ceph-mgr -i x; fi
    wait_osd_up || { echo "the OSD of $DIR did not come up again" >&2; exit 1; }
    echo "ceph in $DIR started again in $(python3 -c "print(round($(date +%s.%N)-$t0,1))")s; source $DIR/env.sh"
    exit 0
fi
rm -rf "$DIR"
mkdir -p "$DIR"/{mon.a,osd.0,mgr.x,rgw.x,run,log}
FSID=$(uuidgen 2>/dev/null || python3 -c 'import uuid;print(uuid.uuid4())')
CONF=$DIR/ceph.conf
export CEPH_CONF=$CONF

cat > "$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_PORT_V1]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = $OSD_PORT_MIN
ms bind port max = $OSD_PORT_MAX
auth cluster required = $AUTH
auth service required = $AUTH
auth client required = $AUTH
$([ "$AUTH" = none ] && echo "auth supported = none" || true)
run dir = $DIR/run
admin socket = $DIR/run/\$cluster-\$name.asok
log file = $DIR/log/\$cluster-\$name.log
pid file = $DIR/\$type.pid
crash dir = $DIR/crash
keyring = $DIR/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
auth allow insecure global id reclaim = true
rbd default features = layering, exclusive-lock, object-map, fast-diff, deep-flatten
debug ms = 0
mgr initial modules = iostat
debug osd = 0
debug mon = 0

[mon]
mon data = $DIR/mon.\$id
mon cluster log file = $DIR/log/cluster.log
mon data avail warn = 1
mon data avail crit = 0
# propose mon changes (pool create, app enable) after 50 ms instead of 1 s;
# radosgw creates 7 pools (+ app enable etc., ~20 mon commands) on first start: 8.6 s -> 0.6 s
paxos propose interval = 0.05

[osd]
osd data = $DIR/osd.\$id
keyring = $DIR/osd.\$id/keyring
osd objectstore = $STORE
osd max object name len = 460
osd max object namespace len = 64
osd class load list = *
osd class default list = *
osd memory target = 939524096
memstore device bytes = $SIZE
bluestore block path = $DIR/osd.\$id.block
bluestore block create = true
bluestore block size = $SIZE
bluestore block db path =
bluestore block db create = false
bluestore block wal path =
bluestore block wal create = false
bluestore fsck on mkfs = false
bluestore fsck on mount = false
bluestore fsck on umount = false
bluestore cache size = 134217728
osd op num shards = 1
osd op num threads per shard = 2

[client]
# no per-client admin sockets (avoids "File exists" warnings with concurrent clients)
admin socket =
log file = $DIR/log/client.log

[mgr]
mgr data = $DIR/mgr.\$id
keyring = $DIR/mgr.\$id/keyring

[client.rgw.x]
# tcp_nodelay: else beast holds a small response body until the client's delayed ACK, ~40 ms per range GET
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $DIR/rgw.x
admin socket = $DIR/run/ceph-client.rgw.x.asok
log file = $DIR/log/rgw.x.log
pid file = $DIR/rgw.pid
rgw thread pool size = 64
# radosgw is a "daemon" client: it defaults to ms_mon_client_mode=secure, which auth=none
# cannot provide (-> get_initial_auth_request returned -13, hangs 300 s). Allow crc.
ms mon client mode = crc secure
debug rgw = 1
EOF

# --- mon -------------------------------------------------------------------
ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$DIR/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --clobber --fsid "$FSID" \
    --addv a "[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_PORT_V1]" "$DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring"
ceph-mon -i a          # daemonizes, writes $DIR/mon.pid
wait_mon || true

# --- osd -------------------------------------------------------------------
OSD_UUID=$(uuidgen 2>/dev/null || python3 -c 'import uuid;print(uuid.uuid4())')
OSD_ID=$(ceph osd new "$OSD_UUID")
# the OSD's own key (what ceph-volume does): in its data dir, named by [osd] keyring; unused with auth none
ceph auth get-or-create "osd.$OSD_ID" mon 'allow profile osd' mgr 'allow profile osd' osd 'allow *' \
    -o "$DIR/osd.$OSD_ID/keyring" >/dev/null
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd-mkfs.log" 2>&1
ceph-osd -i "$OSD_ID" 2>>"$DIR/log/osd-stderr.log"  # daemonizes, writes $DIR/osd.pid

# --- mgr (optional: only needed for `ceph -s` pg stats, dashboards, rbd perf/task) ---
if [ "$START_MGR" = 1 ]; then
    ceph auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
        -o "$DIR/mgr.x/keyring" >/dev/null
    ceph-mgr -i x
fi

wait_osd_up || true

for pool in ${POOL//,/ }; do
    ceph osd pool create "$pool" 8 8 >/dev/null 2>&1
    rbd pool init "$pool"
done
# Cinder's RBD driver reads its capacity from `ceph df`, which lists pools only once ceph-mgr has reported them.
if [ "$START_MGR" = 1 ] && [ -n "$POOL" ]; then
    first=${POOL%%,*}
    for i in $(seq 1 600); do
        ceph df -f json 2>/dev/null | grep -q "\"name\":\"$first\"" && break
        sleep 0.2
    done
fi
# A user that can read every image and snapshot (and so ask for `rbd diff`) and write nothing: what a component
# computing changed blocks holds. Its keyring is a separate file, so the admin key need not travel with it.
READONLY_KEYRING=
if [ -n "$READONLY_USER" ]; then
    READONLY_KEYRING=$DIR/ceph.client.$READONLY_USER.keyring
    ceph auth get-or-create "client.$READONLY_USER" mon 'profile rbd' osd 'profile rbd-read-only' \
        -o "$READONLY_KEYRING" >/dev/null
fi
# Debian's rbd/rados python modules are built for CPython 3.11; expose only them
# (not all of /usr/lib/python3/dist-packages) to another 3.11 interpreter, e.g. pyenv.
mkdir -p "$DIR/pylib"
for m in rbd rados; do
    ln -sf /usr/lib/python3/dist-packages/$m.cpython-311-x86_64-linux-gnu.so "$DIR/pylib/"
done
cat > "$DIR/env.sh" <<EOF2
export CEPH_CONF=$CONF
export PYTHONPATH=$DIR/pylib\${PYTHONPATH:+:\$PYTHONPATH}
export CEPH_AUTH=$AUTH
EOF2
if [ "$AUTH" = cephx ]; then
    echo "export CEPH_ADMIN_KEYRING=$DIR/keyring" >> "$DIR/env.sh"
fi
if [ -n "$READONLY_USER" ]; then
    cat >> "$DIR/env.sh" <<EOF3
export CEPH_READONLY_ID=$READONLY_USER
export CEPH_READONLY_KEYRING=$READONLY_KEYRING
EOF3
fi
t1=$(date +%s.%N)
echo "ceph up in $(python3 -c "print(round($t1-$t0,1))")s; source $DIR/env.sh"
