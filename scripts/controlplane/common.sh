# Shared settings for up.sh / down.sh / env.sh. Sourced, not run.
# shellcheck shell=bash

CP_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../toolchain/versions.sh
. "$CP_HERE/../toolchain/versions.sh"

LEASEHOLD_CACHE_ROOT="${LEASEHOLD_CACHE:-$HOME/.cache/leasehold}"
TOOLCHAIN="$LEASEHOLD_CACHE_ROOT/toolchain"
# Everything the control plane writes (certs, SQLite file, logs, pid files, kubeconfig).
STATE="${LEASEHOLD_CONTROLPLANE_DIR:-$LEASEHOLD_CACHE_ROOT/controlplane}"
# shellcheck disable=SC2034 # used by the scripts that source this file
KUBECONFIG_OUT="$STATE/kubeconfig"

# Where a binary comes from: KUBEBUILDER_ASSETS, then this toolchain's cache, then PATH
# (PATH last, so that an old distro kubectl is never preferred to ours).
find_bin() {
  local name="$1" d
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$name" ]; then echo "$KUBEBUILDER_ASSETS/$name"; return 0; fi
  for d in "$TOOLCHAIN/kubernetes-v$LEASEHOLD_KUBERNETES_VERSION/bin" "$TOOLCHAIN/kine-v$LEASEHOLD_KINE_VERSION/bin" "$TOOLCHAIN/kwok-v$LEASEHOLD_KWOK_VERSION/bin"; do
    if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
  done
  command -v "$name" 2>/dev/null || true
}

# pid file -> pid if that process is alive and is the binary we started, else empty.
live_pid() {
  local f="$1" pid exe want
  [ -f "$f" ] || return 0
  read -r pid want <"$f" || true
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  # "(deleted)" appears when the binary was rebuilt while running; still ours.
  case "$exe" in "$want"|"$want (deleted)") echo "$pid" ;; esac
}
