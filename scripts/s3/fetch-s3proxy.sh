#!/usr/bin/env bash
# Fetch S3Proxy 4.1.0 (org.gaul:s3proxy:4.1.0, classifier jar-with-dependencies, Apache-2.0) from
# Maven Central into .cache/s3proxy/ and check it against the pinned SHA-256. Skipped when the
# cached jar already matches. curl when there is one, else mvn dependency:copy.
#
# Env: S3_CACHE_DIR (default <repo>/.cache/s3proxy)
# Prints the jar's path on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${S3_CACHE_DIR:-$ROOT/.cache/s3proxy}"
VERSION=4.1.0
NAME="s3proxy-$VERSION-jar-with-dependencies.jar"
URL="https://repo1.maven.org/maven2/org/gaul/s3proxy/$VERSION/$NAME"
# Pinned at the first download (2026-12-07); Maven Central's .sha1 for it matched.
SHA256=a4d025969aaf796616ed4b1e2491d87d455ce84bb28cb9db086b2e6aaa68b48d
JAR="$CACHE/$NAME"

log() { echo "fetch-s3proxy: $*" >&2; }
matches() { [[ -f "$1" && "$(sha256sum "$1" | cut -c1-64)" == "$SHA256" ]]; }

if matches "$JAR"; then
  echo "$JAR"
  exit 0
fi

mkdir -p "$CACHE"
# Serialise concurrent fetches (several test processes may start at once).
exec 9>"$CACHE/.fetch.lock"
flock -w 900 9 || { log "timed out waiting for another fetch"; exit 1; }
if matches "$JAR"; then
  echo "$JAR"
  exit 0
fi

tmp="$(mktemp -d "$CACHE/fetch.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
if command -v curl >/dev/null; then
  log "downloading $URL"
  curl -fsSL --retry 3 --retry-connrefused -o "$tmp/$NAME" "$URL" || { log "download failed: $URL"; exit 1; }
elif command -v mvn >/dev/null; then
  log "resolving org.gaul:s3proxy:$VERSION:jar:jar-with-dependencies with Maven"
  if ! mvn -B -q dependency:copy "-Dartifact=org.gaul:s3proxy:$VERSION:jar:jar-with-dependencies" \
      "-DoutputDirectory=$tmp" >"$tmp/mvn.log" 2>&1; then
    log "mvn failed:"; tail -n 40 "$tmp/mvn.log" >&2; exit 1
  fi
else
  log "need curl or mvn to download S3Proxy"; exit 1
fi
got="$(sha256sum "$tmp/$NAME" | cut -c1-64)"
if [[ "$got" != "$SHA256" ]]; then
  log "SHA-256 mismatch for $NAME: got $got, want $SHA256; not using it"
  exit 1
fi
mv "$tmp/$NAME" "$JAR"
log "$NAME ($(( $(stat -c %s "$JAR") / 1048576 )) MiB) in $(( $(date +%s) - start ))s"
echo "$JAR"
