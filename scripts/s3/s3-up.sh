#!/usr/bin/env bash
# Start a real S3-compatible server for development, tests and CI: S3Proxy 4.1.0 (Maven Central,
# Apache-2.0) with the filesystem-nio2 backend, on 127.0.0.1 only, signatures v2 or v4 checked
# against a generated access key and secret. No Docker. Needs java 17+ and curl (or mvn).
#
# On success prints three lines on stdout, ready for `export` (progress goes to stderr):
#   MINIO_ENDPOINT=127.0.0.1:<port>
#   MINIO_ACCESS_KEY=<generated>
#   MINIO_SECRET_KEY=<generated>
# Idempotent: when our server already runs on that port, only prints (the same keys).
#
# Env:
#   S3_PORT            port (default: the one the last s3-up without S3_PORT chose, else a free one)
#   S3_DATA_DIR        where buckets and objects go   (default .cache/s3proxy/data-<port>)
#   S3_CACHE_DIR       jar, run dirs                  (default <repo>/.cache/s3proxy)
#   S3_READY_TIMEOUT   seconds to wait for readiness  (default 60)
#   S3_JVM_OPTS        JVM options                    (default -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1;
#                      class data sharing is added, see below)
#   S3PROXY_LOG_LEVEL  S3Proxy's log level            (default warn)
#   S3_KEEP_DATA=1     keep the objects of a previous run on this port
#   S3_OWNER_PID       stop the server (s3-down.sh) once this process is gone
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/scripts/s3"
CACHE="${S3_CACHE_DIR:-$ROOT/.cache/s3proxy}"
TIMEOUT="${S3_READY_TIMEOUT:-60}"

log() { echo "s3-up: $*" >&2; }
die() { log "$*"; exit 1; }

command -v java >/dev/null || die "java not found (apt-get install openjdk-17-jre-headless)"
mkdir -p "$CACHE"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

# An S3 server answers an anonymous GET / with an XML <Error> (AccessDenied with auth on).
s3_answers() {
  local reply
  # shellcheck disable=SC2016 # $0 is expanded by the inner bash
  reply="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
    cat <&3' "$1" 2>/dev/null || true)"
  [[ "$reply" == HTTP/1.1\ * && "$reply" == *"<Error>"* ]]
}

free_port() {
  local port _
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 12000 ))
    if ! port_open "$port"; then echo "$port"; return 0; fi
  done
  return 1
}

if [[ -n "${S3_PORT:-}" ]]; then
  PORT="$S3_PORT"
else
  # Without S3_PORT: the port of the last such run while its server lives (idempotent), else a free one.
  exec 7>"$CACHE/.default.lock"
  flock -w 300 7 || die "timed out waiting for another s3-up"
  PORT=""
  if [[ -f "$CACHE/default-port" ]]; then
    PORT="$(cat "$CACHE/default-port")"
    pid="$(cat "$CACHE/run-$PORT/s3proxy.pid" 2>/dev/null || true)"
    if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then PORT=""; fi
  fi
  if [[ -z "$PORT" ]]; then
    PORT="$(free_port)" || die "no free port found on 127.0.0.1 (set S3_PORT)"
  fi
  echo "$PORT" >"$CACHE/default-port"
fi
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 1 || PORT > 65535 )); then die "S3_PORT must be a port number, got '$PORT'"; fi

RUN="$CACHE/run-$PORT"
DATA="${S3_DATA_DIR:-$CACHE/data-$PORT}"
PIDFILE="$RUN/s3proxy.pid"
LOG="$RUN/s3proxy.log"
KEYS="$RUN/keys"
mkdir -p "$RUN"
chmod 700 "$RUN"

# One s3-up per port at a time.
exec 8>"$RUN/.up.lock"
flock -w 300 8 || die "timed out waiting for another s3-up on port $PORT"

server_pid() { # the pid of our live server for this port, if any
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && grep -qa 's3proxy' "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

ready() {
  # shellcheck disable=SC1090
  source "$KEYS"
  echo "MINIO_ENDPOINT=127.0.0.1:$PORT"
  echo "MINIO_ACCESS_KEY=$ACCESS_KEY"
  echo "MINIO_SECRET_KEY=$SECRET_KEY"
  exit 0
}

fail_with_log() {
  log "$1"
  if [[ -f "$LOG" ]]; then
    log "last lines of $LOG:"
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

if pid="$(server_pid)" && [[ -f "$KEYS" ]]; then
  s3_answers "$PORT" || fail_with_log "running S3Proxy (pid $pid) on port $PORT is not answering"
  log "S3Proxy already running on 127.0.0.1:$PORT (pid $pid)"
  ready
fi
rm -f "$PIDFILE"
port_open "$PORT" && die "port $PORT is in use by another program (set S3_PORT to a free port)"

JAR="$("$HERE/fetch-s3proxy.sh")"

# Keys: kept with the run dir, so a server restarted on this port (S3_KEEP_DATA=1) takes the same ones.
if [[ ! -f "$KEYS" ]]; then
  # Fixed-size reads: no pipe is cut short (pipefail would take SIGPIPE for a failure).
  access="$(head -c 64 /dev/urandom | base32 -w0 | LC_ALL=C tr -dc 'A-Z0-9')"
  secret="$(head -c 90 /dev/urandom | base64 -w0 | LC_ALL=C tr -dc 'A-Za-z0-9')"
  access="${access:0:20}" secret="${secret:0:40}"
  (umask 077 && printf 'ACCESS_KEY=%s\nSECRET_KEY=%s\n' "$access" "$secret" >"$KEYS")
fi
# shellcheck disable=SC1090
source "$KEYS"

if [[ "${S3_KEEP_DATA:-0}" != 1 && -d "$DATA" ]]; then
  if [[ "$DATA" == "$CACHE"/data-* || -z "$(ls -A "$DATA")" ]]; then
    rm -rf "$DATA"
  else
    die "S3_DATA_DIR $DATA is not empty and not ours; refusing to wipe it (S3_KEEP_DATA=1 to use it as it is)"
  fi
fi
mkdir -p "$DATA"
DATA="$(cd "$DATA" && pwd)"
echo "$DATA" >"$RUN/data-dir"

CONF="$RUN/s3proxy.conf"
(umask 077 && cat >"$CONF" <<EOF
# generated by scripts/s3/s3-up.sh: a loopback S3 server for development and tests
s3proxy.endpoint=http://127.0.0.1:$PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$ACCESS_KEY
s3proxy.credential=$SECRET_KEY
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$DATA
EOF
)

# shellcheck disable=SC2206
JVM=(${S3_JVM_OPTS:--Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1})
# Class data sharing: the first server stopped by s3-down.sh leaves an archive of the classes it
# loaded (.cache/s3proxy/s3proxy.jsa); later starts map it (measured: about 40% faster start,
# 85 instead of 125 MiB RSS). A stale or foreign archive is ignored by the JVM, never fatal.
if [[ -f "$CACHE/s3proxy.jsa" ]]; then
  JVM+=("-XX:SharedArchiveFile=$CACHE/s3proxy.jsa")
else
  rm -f "$RUN/cds.jsa"
  JVM+=("-XX:ArchiveClassesAtExit=$RUN/cds.jsa")
fi
log "starting S3Proxy on 127.0.0.1:$PORT (data $DATA, log $LOG)"
start=$(date +%s%N)
# setsid + closed stdio/lock fds: the server outlives this script and holds no caller pipes or locks.
# S3Proxy's logback reads LOG_LEVEL: set it here, whatever StreamForge's LOG_LEVEL is.
LOG_LEVEL="${S3PROXY_LOG_LEVEL:-warn}" setsid java "${JVM[@]}" -Djava.awt.headless=true \
  -jar "$JAR" --properties "$CONF" </dev/null >"$LOG" 2>&1 7>&- 8>&- &
PID=$!
echo "$PID" >"$PIDFILE"

if [[ -n "${S3_OWNER_PID:-}" ]]; then
  setsid "$HERE/watchdog.sh" "$S3_OWNER_PID" "$PID" "$PORT" </dev/null >/dev/null 2>&1 7>&- 8>&- &
fi

deadline=$(( $(date +%s) + TIMEOUT ))
until s3_answers "$PORT"; do
  if ! kill -0 "$PID" 2>/dev/null; then
    rm -f "$PIDFILE"
    fail_with_log "S3Proxy exited during startup"
  fi
  if (( $(date +%s) >= deadline )); then
    kill -KILL "$PID" 2>/dev/null || true
    rm -f "$PIDFILE"
    fail_with_log "S3Proxy did not answer within ${TIMEOUT}s"
  fi
  sleep 0.1
done
rss_kb="$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null || echo 0)"
log "ready in $(( ($(date +%s%N) - start) / 1000000 )) ms after launch (pid $PID, RSS $(( rss_kb / 1024 )) MiB)"
ready
