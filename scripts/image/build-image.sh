#!/usr/bin/env bash
# `npm run image`: builds the Dockerfile with buildah, without a Docker daemon, as root. Makes the
# base (node:24.21.0-slim) locally first when the store has none (no container registry needed), and
# installs the production dependencies offline from this machine's npm cache (the build's sandbox
# may not reach the npm registry). Prints the image id, its size, and the layers above the base.
# Elsewhere `docker build .` stays the way to build: the Dockerfile is standard.
set -euo pipefail
source "$(dirname "$0")/buildah-env.sh"
sf_need_root "npm run image" buildah

if ! sf_has_image "$BASE_IMAGE"; then
  echo "== $BASE_IMAGE is not in $IMAGE_STORE: making it (debootstrap, about a minute or two)" >&2
  base_started=$(date +%s)
  bash "$IMAGE_REPO_ROOT/scripts/image/make-base.sh" >/dev/null
  echo "== base made in $(($(date +%s) - base_started)) s" >&2
fi

# The host's npm cache, as `npm ci` on the host filled it. Mounted writable (npm writes its index and
# logs even offline); the Dockerfile's `npm cache clean` cleans the stage's own cache, not this one.
npm_cache="$(npm config get cache)"
npm_flags="${STREAMFORGE_IMAGE_NPM_FLAGS---offline --cache=/npm-cache}"

echo "== buildah bud $APP_IMAGE (storage $IMAGE_STORE)" >&2
started=$(date +%s)
# --format docker: OCI images have no HEALTHCHECK. IMAGE_LAYERS=true commits one layer per
# instruction, as Docker does (to see each layer's size); off by default, since vfs copies the whole
# file system for every layer (about 10 minutes here, against 1 or 2 without).
layers=()
if [ "${IMAGE_LAYERS:-false}" = true ]; then layers=(--layers); fi
sf_buildah bud --quiet "${layers[@]}" --format docker --pull=false \
  --volume "$npm_cache:/npm-cache" \
  --build-arg NPM_CI_FLAGS="$npm_flags" \
  --tag "$APP_IMAGE" --file "$IMAGE_REPO_ROOT/Dockerfile" "$IMAGE_REPO_ROOT" >/dev/null
echo "== built in $(($(date +%s) - started)) s" >&2
# The image this tag named before is now untagged: vfs keeps a full copy of it, so it goes.
sf_buildah rmi --prune >/dev/null 2>&1 || true
"$IMAGE_REPO_ROOT/node_modules/.bin/node" "$IMAGE_REPO_ROOT/scripts/image/image-report.ts" --store "$IMAGE_STORE" --image "$APP_IMAGE" --base "$BASE_IMAGE" --contents
