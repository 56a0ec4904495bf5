#!/usr/bin/env bash
# Stop the Toxiproxy server toxiproxy-up.sh started for TOXIPROXY_PORT (default 8474) and remove its
# run dir (TOXIPROXY_KEEP_LOGS=1 keeps it). SIGTERM, SIGKILL after 10 s. Exits 0 when none runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${TOXIPROXY_PORT:-8474}"
CACHE="${TOXIPROXY_CACHE_DIR:-$ROOT/.cache/toxiproxy}"
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "toxiproxy-down: TOXIPROXY_PORT must be a port number, got '$PORT'" >&2; exit 2; }
RUN="$CACHE/run-$PORT"
PIDFILE="$RUN/toxiproxy.pid"

log() { echo "toxiproxy-down: $*" >&2; }
is_server() { kill -0 "$1" 2>/dev/null && grep -qa 'toxiproxy-server' "/proc/$1/cmdline" 2>/dev/null; }

if [[ -f "$PIDFILE" ]]; then
  pid="$(cat "$PIDFILE")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && is_server "$pid"; then
    log "stopping toxiproxy on 127.0.0.1:$PORT (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + 10 ))
    while is_server "$pid" && (( $(date +%s) < deadline )); do sleep 0.05; done
    if is_server "$pid"; then
      log "still running after 10s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    fi
  else
    log "no toxiproxy running for port $PORT (stale pid file)"
  fi
  rm -f "$PIDFILE"
else
  log "no toxiproxy running for port $PORT"
fi
if [[ "${TOXIPROXY_KEEP_LOGS:-0}" != 1 ]]; then rm -rf "$RUN"; fi
exit 0
