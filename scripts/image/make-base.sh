#!/usr/bin/env bash
# Makes node:24.21.0-slim locally when it is missing: Debian bookworm (debootstrap minbase, trimmed
# as Debian's slim images are), Node 24.21.0's binary from the npm package the project installs
# (the `node` devDependency) and npm from its npm package, laid out as the official image lays them
# out (/usr/local/bin/node, /usr/local/lib/node_modules/npm, user `node` uid 1000). For machines that
# reach package registries but no container registry; elsewhere the real base is pulled as usual.
# Idempotent: does nothing when the image exists. Prints its id.
set -euo pipefail
source "$(dirname "$0")/buildah-env.sh"
sf_need_root "make-base.sh" buildah debootstrap

MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NPM_VERSION="${BASE_NPM_VERSION:-11.19.1}"
NODE_BIN="$IMAGE_REPO_ROOT/node_modules/node/bin/node"

if sf_has_image "$BASE_IMAGE"; then
  sf_buildah images --noheading --no-trunc --format '{{.ID}}' "$BASE_IMAGE"
  exit 0
fi
if [ ! -x "$NODE_BIN" ]; then
  echo "make-base.sh: $NODE_BIN is missing: run npm ci first" >&2
  exit 1
fi
want="v${BASE_IMAGE#node:}"; want="${want%-slim}"
have="$("$NODE_BIN" --version)"
if [ "$have" != "$want" ]; then
  echo "make-base.sh: node_modules has Node $have, the base is $want: run npm ci" >&2
  exit 1
fi

work="$(mktemp -d)"
ctr=""
cleanup() {
  if [ -n "$ctr" ]; then sf_buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

ctr="$(sf_buildah from --name "streamforge-base-$$" scratch)"
root="$(sf_buildah mount "$ctr")"
echo "== debootstrap --variant=minbase bookworm ($MIRROR)" >&2
mkdir -p "$IMAGE_STORE/debs"  # the downloaded packages, kept for the next base
debootstrap --variant=minbase --cache-dir="$IMAGE_STORE/debs" bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}
# What Debian's slim images leave out (their dpkg path-excludes), and no package cache or lists.
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* "$root/var/log/"*.log
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

echo "== Node $have and npm $NPM_VERSION" >&2
install -D -m 0755 "$NODE_BIN" "$root/usr/local/bin/node"
(cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
chroot "$root" /usr/local/bin/node --version >/dev/null
chroot "$root" /usr/local/bin/npm --version >/dev/null

sf_buildah unmount "$ctr" >/dev/null
sf_buildah config --env NODE_VERSION="${have#v}" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --cmd node --label org.opencontainers.image.description="local stand-in for $BASE_IMAGE (debootstrap bookworm minbase)" "$ctr"
sf_buildah commit --quiet --rm "$ctr" "$BASE_IMAGE"
ctr=""
