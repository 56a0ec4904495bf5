# Sourced by the image scripts: one buildah storage inside the repository (git-ignored), so every run,
# CI's included, works on the same reproducible, removable store instead of the machine's.
# vfs needs no kernel overlay support and chroot isolation needs no daemon: both work as root anywhere.

IMAGE_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGE_STORE="${STREAMFORGE_IMAGE_STORE:-$IMAGE_REPO_ROOT/.cache/containers}"
# The base the Dockerfile names; made locally when no registry can serve it (see make-base.sh).
BASE_IMAGE="node:24.21.0-slim"
APP_IMAGE="${STREAMFORGE_IMAGE_NAME:-localhost/streamforge:dev}"
export BUILDAH_ISOLATION=chroot

sf_buildah() {
  buildah --root "$IMAGE_STORE/storage" --runroot "$IMAGE_STORE/run" --storage-driver vfs "$@"
}

sf_has_image() {
  sf_buildah inspect --type image "$1" >/dev/null 2>&1
}

sf_need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "$1 needs root (buildah with vfs storage and chroot isolation builds without a daemon, as root)" >&2
    exit 1
  fi
  for tool in "${@:2}"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$1 needs $tool: apt-get install $tool (Debian, Ubuntu)" >&2
      exit 1
    fi
  done
}
