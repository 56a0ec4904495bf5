#!/usr/bin/env bash
# Stop the S3Proxy that s3-up.sh started for S3_PORT (default: the port the last s3-up without
# S3_PORT chose) and remove its objects, keys, config and log (S3_KEEP_LOGS=1 keeps the run dir).
# SIGTERM, SIGKILL after S3_STOP_TIMEOUT seconds (default 20). Exits 0 when none is running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${S3_CACHE_DIR:-$ROOT/.cache/s3proxy}"
STOP_TIMEOUT="${S3_STOP_TIMEOUT:-20}"

log() { echo "s3-down: $*" >&2; }

PORT="${S3_PORT:-}"
if [[ -z "$PORT" ]]; then
  if [[ ! -f "$CACHE/default-port" ]]; then
    log "no S3Proxy started without S3_PORT; nothing to stop"
    exit 0
  fi
  PORT="$(cat "$CACHE/default-port")"
  rm -f "$CACHE/default-port"
fi
[[ "$PORT" =~ ^[0-9]+$ ]] || { log "S3_PORT must be a port number, got '$PORT'"; exit 2; }
RUN="$CACHE/run-$PORT"
PIDFILE="$RUN/s3proxy.pid"

is_server() { kill -0 "$1" 2>/dev/null && grep -qa 's3proxy' "/proc/$1/cmdline" 2>/dev/null; }

if [[ -f "$PIDFILE" ]]; then
  pid="$(cat "$PIDFILE")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && is_server "$pid"; then
    log "stopping S3Proxy on 127.0.0.1:$PORT (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + STOP_TIMEOUT ))
    while is_server "$pid" && (( $(date +%s) < deadline )); do sleep 0.1; done
    if is_server "$pid"; then
      log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    log "stopped"
  else
    log "no S3Proxy running for port $PORT (stale pid file)"
  fi
  rm -f "$PIDFILE"
else
  log "no S3Proxy running for port $PORT"
fi

# The class-data archive the JVM wrote at exit (s3-up.sh asked for one): kept for the next starts.
if [[ -s "$RUN/cds.jsa" && ! -f "$CACHE/s3proxy.jsa" ]]; then
  mv -f "$RUN/cds.jsa" "$CACHE/s3proxy.jsa.tmp.$$" && mv -f "$CACHE/s3proxy.jsa.tmp.$$" "$CACHE/s3proxy.jsa"
fi

# Remove the data dir recorded by s3-up.sh when it is our default or empty.
DATA="$CACHE/data-$PORT"
[[ -f "$RUN/data-dir" ]] && DATA="$(cat "$RUN/data-dir")"
if [[ -d "$DATA" ]]; then
  if [[ "$DATA" == "$CACHE"/data-* || -z "$(ls -A "$DATA")" ]]; then
    rm -rf "$DATA"
  else
    log "not removing $DATA: not ours"
  fi
fi
if [[ "${S3_KEEP_LOGS:-0}" != 1 ]]; then
  rm -rf "$RUN"
else
  rm -f "$RUN/data-dir" "$RUN/keys" "$RUN/s3proxy.conf"
fi
exit 0
