#!/usr/bin/env bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# Install what the genuine-OpenStack tier needs, without asking anything (Debian 12, root or password-less sudo):
#
#   1. Debian packages: Ceph (tools/ceph/install.sh: mon, osd, mgr, rbd-fuse, python3-rbd/rados), RabbitMQ, MariaDB, fuse3, qemu-utils (Cinder
#      converts Glance images into volumes with qemu-img) -- only the missing
#      ones, with policy-rc.d keeping their system services from starting (the tier starts private ones);
#   2. a virtualenv of the genuine OpenStack 2024.1 (Caracal) services, pinned by 2024.1's upper-constraints
#      (uc-2024.1.txt beside this script), CACHED in ~/.cache/storage-backup/genuine-<hash>/venv, the hash covering the
#      constraints file, the service pins below and the interpreter; only a fresh machine (or a changed pin) pays pip.
#
# Prints the venv's path on its last line. GENUINE_CACHE overrides the cache folder; GENUINE_FORCE=1 reinstalls.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3: its rbd/rados modules (python3-rbd, python3-rados) are built for exactly this interpreter.
PYTHON=${GENUINE_PYTHON:-/usr/bin/python3}
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
log() { printf '[genuine-install] %s\n' "$*" >&2; }

# Ceph's packages are tools/ceph/install.sh's; these go in the same apt-get run.
PACKAGES=(rabbitmq-server mariadb-server-core mariadb-client-core python3-venv curl qemu-utils)
# The services and their 2024.1 releases; neutron is installed apart (the tier runs without it if it fails).
SERVICES=('keystone==25.0.0' 'glance==28.2.0' 'cinder==24.5.0' 'nova==29.4.0' 'openstack-placement==11.0.1'
          gunicorn PyMySQL python-memcached)
NEUTRON=('neutron==24.*')

started=$(date +%s)
bash "$HERE/../ceph/install.sh" "${PACKAGES[@]}"

HASH=$( { cat "$HERE/uc-2024.1.txt"; printf '%s\n' "${SERVICES[@]}" "${NEUTRON[@]}"; "$PYTHON" -c 'import sys; print(sys.version)'; } \
        | sha256sum | cut -c1-16)
CACHE=${GENUINE_CACHE:-$HOME/.cache/storage-backup/genuine-$HASH}
V=$CACHE/venv
if [ "${GENUINE_FORCE:-0}" != 1 ] && [ -f "$V/.installed" ]; then echo "$V"; exit 0; fi
pip_started=$(date +%s)
log "installing the OpenStack 2024.1 services into $V (first run on this machine: a few minutes)"
rm -rf "$V"; mkdir -p "$CACHE"
"$PYTHON" -m venv "$V"
LOG=$CACHE/pip.log
if ! { "$V/bin/pip" install -q -U pip 'setuptools<70' wheel &&
       "$V/bin/pip" install -c "$HERE/uc-2024.1.txt" "${SERVICES[@]}"; } >"$LOG" 2>&1; then
    tail -n 30 "$LOG" >&2; log "pip failed; full output in $LOG"; exit 1
fi
# neutron-server is tried (see README, genuine tier): a failed install leaves the tier on the stand-in Neutron.
if "$V/bin/pip" install -c "$HERE/uc-2024.1.txt" "${NEUTRON[@]}" >"$CACHE/pip-neutron.log" 2>&1; then
    touch "$V/.neutron"
else
    log "neutron did not install (see $CACHE/pip-neutron.log); the tier uses the stand-in Neutron"
fi
date -u +%FT%TZ > "$V/.installed"
log "venv ready in $(( $(date +%s) - pip_started )) s (total $(( $(date +%s) - started )) s)"
echo "$V"
