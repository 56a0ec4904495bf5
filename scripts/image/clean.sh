#!/usr/bin/env bash
# `npm run image:clean`: removes every container and image of the repository's buildah store
# (.cache/containers), the local base included; the downloaded Debian packages stay for the next base.
set -euo pipefail
source "$(dirname "$0")/buildah-env.sh"
if [ -d "$IMAGE_STORE/storage" ] && command -v buildah >/dev/null 2>&1; then
  sf_buildah rm --all >/dev/null || true
  sf_buildah rmi --all --force >/dev/null 2>&1 || true
fi
rm -rf "$IMAGE_STORE/storage" "$IMAGE_STORE/run"
echo "removed $IMAGE_STORE/storage and $IMAGE_STORE/run"
