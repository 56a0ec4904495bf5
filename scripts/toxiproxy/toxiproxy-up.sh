#!/usr/bin/env bash
# Start a Toxiproxy server (its HTTP API on 127.0.0.1) for chaos experiments and tests: proxies and
# toxics (latency, bandwidth, reset_peer, timeout…) are then created through that API. No Docker:
# the server is built from its Go module once (fetch-toxiproxy.sh) and kept in .cache/toxiproxy.
#
# On success prints exactly one line on stdout:  TOXIPROXY_URL=http://127.0.0.1:<port>
# Idempotent: if our server already runs on that port, only prints.
#
# Env:
#   TOXIPROXY_PORT           API port                        (default 8474)
#   TOXIPROXY_CACHE_DIR      builds, run dirs                (default <repo>/.cache/toxiproxy)
#   TOXIPROXY_READY_TIMEOUT  seconds to wait for the API     (default 30)
#   TOXIPROXY_OWNER_PID      stop the server (toxiproxy-down.sh) once this process is gone
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/scripts/toxiproxy"
PORT="${TOXIPROXY_PORT:-8474}"
CACHE="${TOXIPROXY_CACHE_DIR:-$ROOT/.cache/toxiproxy}"
TIMEOUT="${TOXIPROXY_READY_TIMEOUT:-30}"

log() { echo "toxiproxy-up: $*" >&2; }
die() { log "$*"; exit 1; }

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 1 || PORT > 65535 )); then die "TOXIPROXY_PORT must be a port number, got '$PORT'"; fi
RUN="$CACHE/run-$PORT"
PIDFILE="$RUN/toxiproxy.pid"
LOG="$RUN/toxiproxy.log"
mkdir -p "$RUN"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

# Toxiproxy answers GET /version with its version and an X-Toxiproxy-Request-Id header.
api_answers() {
  local reply
  # shellcheck disable=SC2016 # $0 is expanded by the inner bash
  reply="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
    cat <&3' "$1" 2>/dev/null || true)"
  [[ "$reply" == HTTP/1.1\ 200* && "${reply,,}" == *x-toxiproxy-* ]]
}

server_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && grep -qa 'toxiproxy-server' "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

ready() {
  echo "TOXIPROXY_URL=http://127.0.0.1:$PORT"
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

exec 8>"$RUN/.up.lock"
flock -w 300 8 || die "timed out waiting for another toxiproxy-up on port $PORT"

if pid="$(server_pid)"; then
  api_answers "$PORT" || fail_with_log "running toxiproxy (pid $pid) on port $PORT is not answering"
  log "toxiproxy already running on 127.0.0.1:$PORT (pid $pid)"
  ready
fi
rm -f "$PIDFILE"
port_open "$PORT" && die "port $PORT is in use by another program (set TOXIPROXY_PORT to a free port)"

BIN="$("$HERE/fetch-toxiproxy.sh")"

log "starting toxiproxy on 127.0.0.1:$PORT (log $LOG)"
start=$(date +%s%N)
# setsid + closed stdio/lock fd: the server outlives this script and holds no caller pipes or locks.
# Toxiproxy's zerolog reads LOG_LEVEL: set it here, whatever StreamForge's LOG_LEVEL is.
LOG_LEVEL="${TOXIPROXY_LOG_LEVEL:-warn}" setsid "$BIN" -host 127.0.0.1 -port "$PORT" </dev/null >"$LOG" 2>&1 8>&- &
PID=$!
echo "$PID" >"$PIDFILE"

if [[ -n "${TOXIPROXY_OWNER_PID:-}" ]]; then
  setsid "$HERE/watchdog.sh" "$TOXIPROXY_OWNER_PID" "$PID" "$PORT" </dev/null >/dev/null 2>&1 8>&- &
fi

deadline=$(( $(date +%s) + TIMEOUT ))
until api_answers "$PORT"; do
  if ! kill -0 "$PID" 2>/dev/null; then
    rm -f "$PIDFILE"
    fail_with_log "toxiproxy exited during startup"
  fi
  if (( $(date +%s) >= deadline )); then
    kill -KILL "$PID" 2>/dev/null || true
    rm -f "$PIDFILE"
    fail_with_log "toxiproxy did not answer within ${TIMEOUT}s"
  fi
  sleep 0.05
done
log "ready in $(( ($(date +%s%N) - start) / 1000000 )) ms after launch (pid $PID)"
ready
