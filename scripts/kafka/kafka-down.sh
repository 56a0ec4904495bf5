#!/usr/bin/env bash
# Stop the broker that kafka-up.sh started for KAFKA_PORT (default 9092) and remove its data dir.
# SIGTERM (controlled shutdown), SIGKILL after KAFKA_STOP_TIMEOUT seconds (default 20).
# Also removes .cache/kafka/run-<port> (config, log) unless KAFKA_KEEP_LOGS=1.
# Exits 0 when no broker is running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${KAFKA_PORT:-9092}"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
RUN="$CACHE/run-$PORT"
PIDFILE="$RUN/kafka.pid"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"

log() { echo "kafka-down: $*" >&2; }

is_broker() { kill -0 "$1" 2>/dev/null && grep -qa 'kafka\.Kafka' "/proc/$1/cmdline" 2>/dev/null; }

if [[ -f "$PIDFILE" ]]; then
  pid="$(cat "$PIDFILE")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && is_broker "$pid"; then
    log "stopping broker on 127.0.0.1:$PORT (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + STOP_TIMEOUT ))
    while is_broker "$pid" && (( $(date +%s) < deadline )); do sleep 0.2; done
    if is_broker "$pid"; then
      log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    log "stopped"
  else
    log "no broker running for port $PORT (stale pid file)"
  fi
  rm -f "$PIDFILE"
else
  log "no broker running for port $PORT"
fi

# Remove the data dir recorded by kafka-up.sh (only if it is a Kafka log dir or our default).
DATA="$CACHE/data-$PORT"
[[ -f "$RUN/data-dir" ]] && DATA="$(cat "$RUN/data-dir")"
if [[ -d "$DATA" ]]; then
  if [[ -f "$DATA/meta.properties" || "$DATA" == "$CACHE"/data-* || -z "$(ls -A "$DATA")" ]]; then
    rm -rf "$DATA"
  else
    log "not removing $DATA: not a Kafka log dir"
  fi
fi
rm -f "$RUN/data-dir"
# The run dir holds server.properties and broker.log; keep it with KAFKA_KEEP_LOGS=1.
if [[ "${KAFKA_KEEP_LOGS:-0}" != 1 ]]; then
  rm -rf "$RUN"
fi
exit 0
