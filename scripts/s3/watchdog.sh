#!/usr/bin/env bash
# watchdog.sh OWNER_PID SERVER_PID PORT — started detached by s3-up.sh when S3_OWNER_PID is set:
# once OWNER_PID is gone (even after SIGKILL) it runs s3-down.sh for PORT. Exits quietly when the
# server stops first.
set -uo pipefail
owner="$1" server="$2" port="$3"
while kill -0 "$server" 2>/dev/null; do
  if ! kill -0 "$owner" 2>/dev/null; then
    S3_PORT="$port" exec "$(dirname "${BASH_SOURCE[0]}")/s3-down.sh"
  fi
  sleep 1
done
