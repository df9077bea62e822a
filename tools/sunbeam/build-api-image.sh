#!/usr/bin/env bash
# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
# Build the storage-backup control plane image for Kubernetes (tools/sunbeam/manifests/):
#
#   tools/sunbeam/build-api-image.sh TAG
#
# then push TAG and set it as the image in the manifests (kubectl kustomize edit set image, or sed).
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 TAG" >&2
    exit 2
fi
repo="$(cd "$(dirname "$0")/../.." && pwd)"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
python3 "$repo/tools/charms/build_wheels.py" --out "$context" storage-backup-api
wheel="$(cd "$context" && ls storage-backup-api/storage_backup-*.whl)"
cp "$repo/tools/sunbeam/Dockerfile.api" "$context/Dockerfile"
"${CONTAINER_TOOL:-docker}" build --build-arg "SERVICE_WHEEL=$wheel" -t "$1" "$context"
echo "built $1: push it, then set it in tools/sunbeam/manifests/ and kubectl apply -k tools/sunbeam/manifests"
