#!/usr/bin/env bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# Prepare this checkout on Debian 12 (bookworm) with Python 3.11+, without asking anything:
#
#   1. the Debian packages the demo and the tests run (apt-get, only those missing; `apt-get update` only then);
#   2. .venv/ in the repository root with requirements.txt, test-requirements.txt and the project itself (-e .).
#
# Fast when nothing changed: .venv/.bootstrap-stamp records the hash of the requirement files and of the Python
# interpreter; pip runs again only when that hash changes. `make demo` and `make test` call this first.
#
# Environment: PYTHON (default python3) picks the interpreter; BOOTSTRAP_FORCE=1 reinstalls regardless of the stamp.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
VENV=$ROOT/.venv
STAMP=$VENV/.bootstrap-stamp
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

# Debian packages: what runs the demo and the tests. redis-server is the Celery broker; e2fsprogs makes the demo's
# ext4 volumes (mkfs.ext4 -d); chromium drives the browser tests (Playwright uses it, never a browser download);
# openssh-server is the SSH peer for pre/post-snapshot command tests; postgresql gives initdb/postgres and
# mariadb-server-core gives mariadbd and mariadb-install-db (which needs my_print_defaults from
# mariadb-client-core) for the catalog's PostgreSQL and MariaDB suites (the tests start their own servers on free
# ports; unlike mariadb-server, the -core packages set up no system server); gcc, pkg-config and libmariadb-dev
# build mysqlclient, the catalog's MariaDB driver (PyPI has no Linux wheel of it); fonts so pages render text in
# screenshots; xfsprogs (mkfs.xfs -p protofile) and gdisk (sgdisk) make the filesystem and partition-table images
# of file-level restore's tests. BOOTSTRAP_EXTRA_PACKAGES adds more (`make bench` asks for borgbackup and restic).
PACKAGES=(redis-server e2fsprogs chromium fonts-liberation openssh-server postgresql
          mariadb-server-core mariadb-client-core gcc pkg-config libmariadb-dev xfsprogs gdisk)
read -r -a EXTRA_PACKAGES <<< "${BOOTSTRAP_EXTRA_PACKAGES:-}"
PACKAGES+=("${EXTRA_PACKAGES[@]}")

log() { printf '[bootstrap] %s\n' "$*"; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        log "need root to run: $*  (run it yourself, or give this user password-less sudo)"
        return 1
    fi
}

install_debian_packages() {
    local missing=()
    command -v dpkg-query >/dev/null || { log "not a Debian system: install ${PACKAGES[*]} yourself"; return 0; }
    for package in "${PACKAGES[@]}"; do
        installed "$package" || missing+=("$package")
    done
    # The interpreter must be able to make a virtualenv (Debian splits venv/ensurepip into python3-venv).
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        missing+=("python3-venv")
    fi
    # Its C headers build mysqlclient (Debian's own interpreter keeps them in python3-dev).
    if ! "$PYTHON" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
        missing+=("python3-dev")
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    # Keep the packages' services (redis on 6379, sshd on 22) from starting: the project starts its own on free
    # ports, and must never disturb services already there. policy-rc.d is Debian's switch for that.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [ ! -e "$policy" ]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy" && added_policy=1
    fi
    local status=0
    as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
    [ $added_policy -eq 1 ] && as_root rm -f "$policy"
    return $status
}

python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

requirements_hash() {
    {
        cat requirements.txt test-requirements.txt setup.cfg pyproject.toml \
            client/requirements.txt client/setup.cfg backend/requirements.txt backend/setup.cfg \
            backend/sandbox/requirements.txt backend/sandbox/setup.cfg
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

make_venv() {
    if [ -x "$VENV/bin/python" ] && python_ok "$VENV/bin/python" && "$VENV/bin/python" -m pip --version >/dev/null 2>&1
    then
        return 0
    fi
    python_ok "$PYTHON" || { log "$PYTHON is missing or older than 3.11; set PYTHON=/path/to/python3.11"; exit 1; }
    log "creating $VENV with $("$PYTHON" --version)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
}

install_python_packages() {
    local wanted
    wanted=$(requirements_hash)
    if [ "${BOOTSTRAP_FORCE:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]; then
        return 0
    fi
    log "installing Python packages into .venv (requirement files changed or first run)"
    rm -f "$STAMP"
    local pip_log=$VENV/bootstrap-pip.log
    # pip's own output (and the build backend's warnings) go to a log; its tail is shown when it fails.
    if ! { "$VENV/bin/python" -m pip install --upgrade pip setuptools wheel &&
           "$VENV/bin/python" -m pip install -r test-requirements.txt -e ./client -e . \
               -e "./backend[api,postgresql,mariadb]" \
               -e ./backend/sandbox; } > "$pip_log" 2>&1
    then
        tail -n 40 "$pip_log"
        log "pip failed; full output in $pip_log"
        exit 1
    fi
    echo "$wanted" > "$STAMP"
}

started=$(date +%s)
install_debian_packages
make_venv
install_python_packages
log "ready in $(( $(date +%s) - started )) s: $("$VENV/bin/python" --version), $(redis-server --version | cut -d' ' -f1-3)"
