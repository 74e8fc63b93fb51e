#!/usr/bin/env bash
# Prints shell exports for the running control plane and the toolchain, for `eval`:
#   eval "$(scripts/controlplane/env.sh)"
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
"$CP_HERE/../toolchain/build.sh" --print-path
if [ -f "$STATE/env" ]; then cat "$STATE/env"; else echo "echo 'control plane not running (scripts/controlplane/up.sh)' >&2"; fi
