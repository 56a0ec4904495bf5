#!/usr/bin/env bash
# Fetch the Kafka 4.3.1 runtime jars (broker, storage tool, kafka-tools, log4j2) from
# Maven Central into .cache/kafka/libs. Skipped when the cache matches scripts/kafka/pom.xml.
#
# Env: KAFKA_CACHE_DIR (default <repo>/.cache/kafka)
#      MAVEN_OPTS / KAFKA_MVN_ARGS are passed to mvn (e.g. -Dmaven.repo.local=...).
# Prints the libs directory on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
POM="$ROOT/scripts/kafka/pom.xml"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
LIBS="$CACHE/libs"
STAMP="$LIBS/.pom-sha256"

want="$(sha256sum "$POM" | cut -c1-64)"
cached() { [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; }

if cached; then
  echo "$LIBS"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch-jars: mvn not found (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch-jars: java not found (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }

mkdir -p "$CACHE"
# Serialise concurrent fetches (several test processes may start at once).
exec 9>"$CACHE/.fetch.lock"
flock -w 900 9 || { echo "fetch-jars: timed out waiting for another fetch" >&2; exit 1; }
if cached; then
  echo "$LIBS"
  exit 0
fi

echo "fetch-jars: resolving Kafka jars with Maven (pom sha256 ${want:0:12}) ..." >&2
start=$(date +%s)
tmp="$(mktemp -d "$CACHE/libs.tmp.XXXXXX")"
log="$CACHE/fetch.log"
# shellcheck disable=SC2086
if ! mvn -B -q -f "$POM" ${KAFKA_MVN_ARGS:-} \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$log" 2>&1; then
  echo "fetch-jars: mvn failed; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  rm -rf "$tmp"
  exit 1
fi
n=$(find "$tmp" -name '*.jar' | wc -l)
if [[ ! -f "$tmp/kafka_2.13-4.3.1.jar" ]]; then
  echo "fetch-jars: kafka_2.13 jar missing after fetch" >&2
  rm -rf "$tmp"
  exit 1
fi
echo "$want" >"$tmp/.pom-sha256"
rm -rf "$LIBS"
mv "$tmp" "$LIBS"
echo "fetch-jars: $n jars in $LIBS ($(( $(date +%s) - start ))s)" >&2
echo "$LIBS"
