#!/usr/bin/env bash
# Stops the control plane started by up.sh (only the processes named in its pid files,
# checked against the binary they run) and removes its state folder.
# Environment: LEASEHOLD_CONTROLPLANE_DIR (as up.sh), LEASEHOLD_KEEP_STATE=1 keeps the folder.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
log() { echo "[controlplane] $*" >&2; }

if [ ! -d "$STATE" ]; then
  log "nothing to stop ($STATE does not exist)"
  exit 0
fi
exec 9>"$STATE/.lock"
flock 9

stopped=0
# Reverse start order: kwok, scheduler, controller-manager, apiserver, then storage.
for name in kwok kube-scheduler kube-controller-manager kube-apiserver storage; do
  f="$STATE/$name.pid"
  pid="$(live_pid "$f")"
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    log "stopped $name (pid $pid)"
    stopped=$((stopped + 1))
  fi
  rm -f "$f"
done

if [ "${LEASEHOLD_KEEP_STATE:-0}" = 1 ]; then
  log "state kept in $STATE"
else
  rm -rf "$STATE"
  log "removed $STATE"
fi
[ "$stopped" -gt 0 ] || log "no process was running"
exit 0
