#!/usr/bin/env bash
# watchdog.sh OWNER_PID SERVER_PID PORT — started detached by toxiproxy-up.sh when
# TOXIPROXY_OWNER_PID is set: once OWNER_PID is gone (even after SIGKILL) it runs toxiproxy-down.sh
# for PORT. Exits quietly when the server stops first.
set -uo pipefail
owner="$1" server="$2" port="$3"
while kill -0 "$server" 2>/dev/null; do
  if ! kill -0 "$owner" 2>/dev/null; then
    TOXIPROXY_PORT="$port" exec "$(dirname "${BASH_SOURCE[0]}")/toxiproxy-down.sh"
  fi
  sleep 1
done
