#!/usr/bin/env bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages the project's one-node Ceph needs (start.sh: mon, osd, mgr, the rbd CLI, rbd-fuse for
# device views, Debian's python3-rbd/rados; radosgw for start-rgw.sh, the S3 destination's tests), only the missing
# ones, without asking anything (Debian 12, root or password-less sudo), with policy-rc.d keeping their system
# services from starting (the scripts start private ones).
#
#   bash tools/ceph/install.sh [MORE PACKAGES...]     (tools/genuine/install.sh passes its own in the same apt run)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
log() { printf '[ceph-install] %s\n' "$*" >&2; }

PACKAGES=(ceph-mon ceph-osd ceph-mgr ceph-common python3-rbd python3-rados rbd-fuse fuse3 uuid-runtime radosgw "$@")

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

started=$(date +%s)
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
log "installing Debian packages: ${missing[*]}"
policy=/usr/sbin/policy-rc.d added=0
if [ ! -e $policy ]; then as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"; added=1; fi
status=0
as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || status=$?
[ $added = 1 ] && as_root rm -f $policy
[ $status = 0 ] || { log "apt-get failed"; exit $status; }
log "Debian packages in $(( $(date +%s) - started )) s"
