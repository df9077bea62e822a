#!/usr/bin/env bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# Build Sunbeam's Horizon image with the storage-backup plugin, from the image horizon-k8s runs today:
#
#   tools/sunbeam/build-horizon-image.sh HORIZON_IMAGE TAG
#   e.g. HORIZON_IMAGE=$(juju status horizon --format json | jq -r '.applications.horizon["charm-resources"]...')
#
# then push TAG to a registry the cluster pulls from and `juju attach-resource horizon horizon-image=TAG`.
# Needs docker (or podman: CONTAINER_TOOL=podman).
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 HORIZON_IMAGE TAG" >&2
    exit 2
fi
repo="$(cd "$(dirname "$0")/../.." && pwd)"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
python3 "$repo/tools/charms/build_wheels.py" --out "$context" storage-backup-dashboard
wheel="$(cd "$context" && ls storage-backup-dashboard/storage_backup_dashboard-*.whl)"
cp "$repo/tools/sunbeam/Dockerfile.horizon" "$context/Dockerfile"
"${CONTAINER_TOOL:-docker}" build --build-arg "HORIZON_IMAGE=$1" --build-arg "PLUGIN_WHEEL=$wheel" -t "$2" "$context"
echo "built $2: push it, then juju attach-resource horizon horizon-image=$2"
