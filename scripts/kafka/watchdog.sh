#!/usr/bin/env bash
# watchdog.sh OWNER_PID BROKER_PID PORT — started detached by kafka-up.sh when KAFKA_OWNER_PID is
# set: once OWNER_PID is gone (even after SIGKILL) it runs kafka-down.sh for PORT. Exits quietly
# when the broker stops first.
set -uo pipefail
owner="$1" broker="$2" port="$3"
while kill -0 "$broker" 2>/dev/null; do
  if ! kill -0 "$owner" 2>/dev/null; then
    KAFKA_PORT="$port" exec "$(dirname "${BASH_SOURCE[0]}")/kafka-down.sh"
  fi
  sleep 1
done
