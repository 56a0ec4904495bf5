#!/usr/bin/env bash
# Build Toxiproxy's server (Shopify/toxiproxy, MIT) from its Go module with the `go` toolchain, once,
# into .cache/toxiproxy/<version>/toxiproxy-server; prints that path on stdout (progress on stderr).
# When `go` is missing it installs Debian's golang-go (apt-get, as root) first.
#
# Env:
#   TOXIPROXY_VERSION     module version to build   (default v2.5.0)
#   TOXIPROXY_CACHE_DIR   where builds are kept     (default <repo>/.cache/toxiproxy)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="${TOXIPROXY_VERSION:-v2.5.0}"
CACHE="${TOXIPROXY_CACHE_DIR:-$ROOT/.cache/toxiproxy}"
DEST="$CACHE/$VERSION"
BIN="$DEST/toxiproxy-server"

log() { echo "fetch-toxiproxy: $*" >&2; }
die() { log "$*"; exit 1; }

[[ "$VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "TOXIPROXY_VERSION must look like v2.5.0, got '$VERSION'"
if [[ -x "$BIN" ]]; then echo "$BIN"; exit 0; fi

mkdir -p "$DEST"
exec 9>"$CACHE/.build.lock"
flock -w 600 9 || die "timed out waiting for another build of toxiproxy"
if [[ -x "$BIN" ]]; then echo "$BIN"; exit 0; fi

if ! command -v go >/dev/null; then
  [[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null; then
  command -v apt-get >/dev/null || die "go not found and no apt-get to install it (install Go 1.19+)"
  log "go not found: installing Debian's golang-go"
  if [[ "$(id -u)" == 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq >&2 || die "apt-get update failed"
  "${SUDO[@]}" apt-get install -y -qq golang-go >&2 || die "apt-get install golang-go failed"
fi

log "building github.com/Shopify/toxiproxy/v2/cmd/server@$VERSION with $(go version)"
BUILD="$(mktemp -d "$CACHE/build.XXXXXX")"
trap 'rm -rf "$BUILD"' EXIT
# Module mode outside any module; the build cache stays the user's (shared with other Go builds).
( cd "$BUILD" && GOBIN="$BUILD/bin" GOFLAGS=-mod=mod GO111MODULE=on CGO_ENABLED=0 \
    go install -ldflags "-X github.com/Shopify/toxiproxy/v2.Version=${VERSION#v}" \
      "github.com/Shopify/toxiproxy/v2/cmd/server@$VERSION" >&2 ) || die "go install failed"
mv -f "$BUILD/bin/server" "$BIN.tmp" && mv -f "$BIN.tmp" "$BIN"
log "built $BIN"
echo "$BIN"
