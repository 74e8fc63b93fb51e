#!/usr/bin/env bash
# Checks the toolchain and a running control plane (scripts/controlplane/up.sh):
# API version, a namespace, a Node with GPU capacity, a server-side dry-run pod, the
# pulumi CLI (version, file backend login) and the Kubernetes provider starting.
# Leaves nothing behind in the cluster. Exit code 0 when every check passed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
eval "$("$HERE/controlplane/env.sh")"
[ -n "${KUBECONFIG:-}" ] && [ -f "$KUBECONFIG" ] || { echo "smoke: control plane not running" >&2; exit 1; }

pass=0; fail=0
check() { # description command...
  local d="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then
    pass=$((pass + 1)); echo "ok   $d"
  else
    fail=$((fail + 1)); echo "FAIL $d"; printf '%s\n' "$out" | sed 's/^/     /'
  fi
}

ns="smoke-$$"
node="smoke-gpu-$$"
tmp="$(mktemp -d)"
trap 'kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true; kubectl delete node "$node" --ignore-not-found >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

check "kubectl is ours ($(command -v kubectl))" bash -c 'kubectl version --client | grep -q "Client Version: v1\.[3-9][0-9]"'
check "GET /version reports a real version" bash -c 'kubectl get --raw /version | grep -q "\"gitVersion\": \"v1\.[0-9]*\.[0-9]*\""'
check "create namespace $ns" kubectl create namespace "$ns"
check "service account default appears in $ns" bash -c "for i in \$(seq 1 60); do kubectl -n $ns get sa default >/dev/null 2>&1 && exit 0; sleep 0.5; done; exit 1"
check "create Node $node" bash -c "printf '{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$node\"}}' | kubectl create -f -"
check "set Node status.capacity nvidia.com/gpu=8" kubectl patch node "$node" --subresource=status --type=merge \
  -p '{"status":{"capacity":{"nvidia.com/gpu":"8","cpu":"64","memory":"512Gi","pods":"110"},"allocatable":{"nvidia.com/gpu":"8","cpu":"64","memory":"512Gi","pods":"110"}}}'
check "Node reports nvidia.com/gpu capacity 8" bash -c "[ \"\$(kubectl get node $node -o jsonpath='{.status.capacity.nvidia\\.com/gpu}')\" = 8 ]"
check "server-side dry-run of a GPU pod" kubectl -n "$ns" run smoke --image=example.invalid/cuda:12 --restart=Never --dry-run=server \
  --overrides='{"spec":{"containers":[{"name":"smoke","image":"example.invalid/cuda:12","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}}'
check "pulumi version" pulumi version
check "pulumi login file://" env PULUMI_HOME="$tmp/home" PULUMI_SKIP_UPDATE_CHECK=1 PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
  PULUMI_CONFIG_PASSPHRASE=x bash -c "mkdir -p '$tmp/state' && pulumi login 'file://$tmp/state'"
# A plugin prints the port of its gRPC server on its first line, then serves until killed.
prints_port() { # command...
  local line pid
  coproc PLUGIN { exec "$@"; }
  pid=$PLUGIN_PID
  read -t 20 -r line <&"${PLUGIN[0]}" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ "$line" =~ ^[0-9]+$ ]] || { echo "first line: '$line'"; return 1; }
}
if command -v pulumi-resource-kubernetes >/dev/null; then
  check "pulumi-resource-kubernetes starts and prints its port" prints_port pulumi-resource-kubernetes
fi
check "pulumi-language-nodejs starts and prints its port" prints_port pulumi-language-nodejs 127.0.0.1:1
check "delete namespace $ns (namespace controller finalizes it)" kubectl delete namespace "$ns" --timeout=60s

echo "smoke: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
