#!/usr/bin/env bash
# Starts a local Kubernetes control plane on 127.0.0.1, for the e2e suite and `npm run up:local`:
#   storage (kine over SQLite, or etcd from KUBEBUILDER_ASSETS) -> kube-apiserver
#   -> kube-controller-manager -> kube-scheduler -> kwok
# kwok (sigs.k8s.io/kwok) plays the kubelet of every Node annotated `kwok.x-k8s.io/node: fake`:
# such nodes turn Ready and renew their Lease, pods the scheduler binds to them turn Running,
# deleted pods go. No container runs and there is no pod network: placement, quotas, taints and
# evictions are real, workloads are not. scripts/local/toolchain.ts (registerPoolNodes) registers
# the example fleet's nodes.
#
# Writes an admin kubeconfig (client certificate in group system:masters) and prints
# its path on the last line of stdout. Running it again while the control plane is up
# only prints that path. Stop with scripts/controlplane/down.sh.
#
# Environment:
#   LEASEHOLD_CONTROLPLANE_DIR  state folder (default ${LEASEHOLD_CACHE:-~/.cache/leasehold}/controlplane)
#   LEASEHOLD_APISERVER_PORT    kube-apiserver secure port (default: a free port)
#   LEASEHOLD_STORAGE_PORT      kine/etcd client port (default: a free port)
#   LEASEHOLD_KCM_PORT          kube-controller-manager secure port (default: a free port)
#   LEASEHOLD_SCHEDULER_PORT    kube-scheduler secure port (default: a free port)
#   LEASEHOLD_KWOK_PORT         kwok's server port (default: a free port)
#   LEASEHOLD_STORAGE           kine | etcd (default: kine if built, else etcd from KUBEBUILDER_ASSETS)
#   LEASEHOLD_UP_TIMEOUT        seconds to wait for readiness (default 120)
#   LEASEHOLD_KCM_CONTROLLERS   kube-controller-manager --controllers (default: see below)
#   LEASEHOLD_NODE_LEASE_SECONDS  kwok's node Lease duration, renewed every quarter of it (default 40,
#                               a kubelet's); the node monitor grace period follows (+10 s, default 50 s)
#   LEASEHOLD_KCM_API_QPS       kube-controller-manager --kube-api-qps (default: unset, Kubernetes' 20); each
#                               controller has its own client at this rate: the taint-eviction controller
#                               makes 3 calls per evicted pod (GET, status PATCH, DELETE), so a reclaim
#                               of N running pods takes at least (3N - burst)/QPS seconds
#   LEASEHOLD_KCM_API_BURST     kube-controller-manager --kube-api-burst (default: unset, Kubernetes' 30)
#   KUBEBUILDER_ASSETS          folder with kube-apiserver, etcd, kubectl to use instead of the toolchain's
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

TIMEOUT="${LEASEHOLD_UP_TIMEOUT:-120}"
NODE_LEASE_SECONDS="${LEASEHOLD_NODE_LEASE_SECONDS:-40}"
case "$NODE_LEASE_SECONDS" in ''|*[!0-9]*) echo "[controlplane] ERROR: LEASEHOLD_NODE_LEASE_SECONDS: expected a whole number of seconds, got $NODE_LEASE_SECONDS" >&2; exit 1 ;; esac
KCM_RATE=()
kcm_rate() { # variable flag: adds --flag=value when the variable is set
  local val="${!1:-}"
  [ -z "$val" ] && return 0
  case "$val" in *[!0-9]*|0) echo "[controlplane] ERROR: $1: expected a whole number of requests per second, 1 or more, got $val" >&2; exit 1 ;; esac
  KCM_RATE+=("--$2=$val")
}
kcm_rate LEASEHOLD_KCM_API_QPS kube-api-qps
kcm_rate LEASEHOLD_KCM_API_BURST kube-api-burst
log() { echo "[controlplane] $*" >&2; }
die() { echo "[controlplane] ERROR: $*" >&2; exit 1; }

mkdir -p "$STATE"
exec 9>"$STATE/.lock"
flock 9

# Already running? Then just report.
if [ -f "$STATE/ports" ] && [ -f "$KUBECONFIG_OUT" ] && [ -n "$(live_pid "$STATE/storage.pid")" ] \
  && [ -n "$(live_pid "$STATE/kube-apiserver.pid")" ] && [ -n "$(live_pid "$STATE/kube-controller-manager.pid")" ] \
  && [ -n "$(live_pid "$STATE/kube-scheduler.pid")" ] && [ -n "$(live_pid "$STATE/kwok.pid")" ]; then
  log "already running (state: $STATE)"
  echo "$KUBECONFIG_OUT"
  exit 0
fi
# Leftovers of a crashed run: stop what is still alive, start afresh.
if ls "$STATE"/*.pid >/dev/null 2>&1; then
  log "stale state in $STATE: cleaning up first"
  flock -u 9
  LEASEHOLD_CONTROLPLANE_DIR="$STATE" "$CP_HERE/down.sh" >&2
  mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock 9
fi

APISERVER="$(find_bin kube-apiserver)"
KCM="$(find_bin kube-controller-manager)"
[ -n "$APISERVER" ] || die "kube-apiserver not found: run scripts/toolchain/build.sh (or set KUBEBUILDER_ASSETS)"
[ -n "$KCM" ] || die "kube-controller-manager not found: run scripts/toolchain/build.sh kubernetes"
SCHEDULER="$(find_bin kube-scheduler)"
[ -n "$SCHEDULER" ] || die "kube-scheduler not found: run scripts/toolchain/build.sh kubernetes"
KWOK="$(find_bin kwok)"
[ -n "$KWOK" ] || die "kwok not found: run scripts/toolchain/build.sh kwok"
KWOK_STAGES="$(dirname "$KWOK")/kwok-stages.yaml"
[ -f "$KWOK_STAGES" ] || die "$KWOK_STAGES not found: run scripts/toolchain/build.sh kwok"
STORAGE="${LEASEHOLD_STORAGE:-}"
if [ -z "$STORAGE" ]; then
  if [ -n "$(find_bin kine)" ]; then STORAGE=kine
  elif [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then STORAGE=etcd
  else die "no storage: build kine (scripts/toolchain/build.sh kine) or set KUBEBUILDER_ASSETS to a folder with etcd"; fi
fi
case "$STORAGE" in
  kine) STORAGE_BIN="$(find_bin kine)" ;;
  etcd) STORAGE_BIN="$(find_bin etcd)" ;;
  *) die "LEASEHOLD_STORAGE must be kine or etcd, not '$STORAGE'" ;;
esac
[ -n "$STORAGE_BIN" ] || die "$STORAGE not found"
for t in openssl curl base64; do command -v "$t" >/dev/null || die "$t is required"; done

# Different free ports on 127.0.0.1 (random, probed), unless given. Drawn below the kernel's
# ephemeral range (ip_local_port_range, 32768-60999 by default): a port in it that is free now can
# be taken by any outgoing connection (the API server's own, kine's) before kwok, the last to
# start, binds it: "bind: address already in use".
EPHEMERAL_LOW=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
if [ "${EPHEMERAL_LOW:-0}" -gt 12000 ]; then PORT_LOW=10000; PORT_SPAN=$(( EPHEMERAL_LOW - 10000 )); else PORT_LOW=20000; PORT_SPAN=40000; fi
free_port() {
  local p
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    p=$(( PORT_LOW + (RANDOM * 32768 + RANDOM) % PORT_SPAN ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! grep -qw "$p" "$STATE/ports.tmp" 2>/dev/null; then
      echo "$p" >>"$STATE/ports.tmp"; echo "$p"; return 0
    fi
  done
  die "could not find a free port"
}
rm -f "$STATE/ports.tmp"
API_PORT="${LEASEHOLD_APISERVER_PORT:-$(free_port)}"
STORAGE_PORT="${LEASEHOLD_STORAGE_PORT:-$(free_port)}"
KCM_PORT="${LEASEHOLD_KCM_PORT:-$(free_port)}"
SCHEDULER_PORT="${LEASEHOLD_SCHEDULER_PORT:-$(free_port)}"
KWOK_PORT="${LEASEHOLD_KWOK_PORT:-$(free_port)}"
rm -f "$STATE/ports.tmp"
for p in "$API_PORT" "$STORAGE_PORT" "$KCM_PORT" "$SCHEDULER_PORT" "$KWOK_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p on 127.0.0.1 is already in use"; fi
done
if [ "$STORAGE" = etcd ]; then ETCD_PEER_PORT="$(free_port)"; fi

PKI="$STATE/pki"; LOGS="$STATE/logs"
mkdir -p "$PKI" "$LOGS" "$STATE/data"
chmod 700 "$STATE" "$PKI"

# ---- certificates -----------------------------------------------------------------
gen_cert() { # name subject ext-file-contents
  local name="$1" subj="$2" ext="$3"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}
if [ ! -f "$PKI/ca.crt" ]; then
  log "generating certificates in $PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 30 -sha256 \
    -subj "/CN=leasehold-local-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  gen_cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  gen_cert admin "/O=system:masters/CN=leasehold-admin" "$client_ext"
  gen_cert controller-manager "/CN=system:kube-controller-manager" "$client_ext"
  gen_cert scheduler "/CN=system:kube-scheduler" "$client_ext"
  # Service-account token signing key pair.
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
fi

write_kubeconfig() { # file user cert key
  local b64='base64 -w0'
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: leasehold-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $($b64 <"$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$3")
    client-key-data: $($b64 <"$4")
contexts:
- name: leasehold-local
  context:
    cluster: leasehold-local
    user: $2
current-context: leasehold-local
EOF
  chmod 600 "$1"
}
write_kubeconfig "$KUBECONFIG_OUT" leasehold-admin "$PKI/admin.crt" "$PKI/admin.key"
write_kubeconfig "$STATE/controller-manager.kubeconfig" system:kube-controller-manager "$PKI/controller-manager.crt" "$PKI/controller-manager.key"
write_kubeconfig "$STATE/scheduler.kubeconfig" system:kube-scheduler "$PKI/scheduler.crt" "$PKI/scheduler.key"
printf 'apiserver=%s\nstorage=%s\nkcm=%s\nscheduler=%s\nkwok=%s\n' "$API_PORT" "$STORAGE_PORT" "$KCM_PORT" "$SCHEDULER_PORT" "$KWOK_PORT" >"$STATE/ports"

# ---- processes ----------------------------------------------------------------------
set +m # no job control: a background command keeps our pid ($!) through setsid's exec
# Controllers: all defaults (the node lifecycle and taint-eviction controllers included: kwok
# renews every node's Lease, so nodes stay Ready and NoExecute taints evict as on a real
# cluster), less those that need clouds or a pod network. Override with LEASEHOLD_KCM_CONTROLLERS.
KCM_CONTROLLERS="${LEASEHOLD_KCM_CONTROLLERS:-*,-node-ipam-controller,-cloud-node-lifecycle-controller,-service-lb-controller,-node-route-controller,-persistentvolume-attach-detach-controller}"
start() { # name binary args...
  local name="$1" bin="$2"; shift 2
  # setsid: own session, so the process outlives this script and its terminal.
  # 9>&-: the child must not inherit the state lock, or down.sh would wait for it forever.
  setsid nohup "$bin" "$@" >"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  local pid=$! want
  want="$(readlink -f "$bin")"
  echo "$pid $want" >"$STATE/$name.pid"
  # setsid and nohup exec the binary in the same process: until they have, /proc/<pid>/exe still
  # names them and live_pid would take the process for gone. Wait for the exec (or the exit).
  for _ in $(seq 1 100); do
    case "$(readlink "/proc/$pid/exe" 2>/dev/null || echo gone)" in "$want"|"$want (deleted)"|gone) break ;; esac
    sleep 0.02
  done
  log "started $name (pid $pid, log $LOGS/$name.log)"
}
fail_with_log() { # name message
  log "$2; last lines of $LOGS/$1.log:"
  tail -n 30 "$LOGS/$1.log" >&2 || true
  flock -u 9
  LEASEHOLD_KEEP_STATE=1 LEASEHOLD_CONTROLPLANE_DIR="$STATE" "$CP_HERE/down.sh" >&2 || true
  die "$1 did not become ready (state kept in $STATE for inspection; down.sh removes it)"
}
wait_for() { # name command...
  local name="$1" deadline=$(( $(date +%s) + TIMEOUT )); shift
  until "$@" >/dev/null 2>&1; do
    [ -n "$(live_pid "$STATE/$name.pid")" ] || fail_with_log "$name" "$name exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail_with_log "$name" "timed out after ${TIMEOUT}s"
    sleep 0.5
  done
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ "$STORAGE" = kine ]; then
  # SQLite file in the state folder; listens on loopback only; metrics server off.
  start storage "$STORAGE_BIN" \
    --listen-address="127.0.0.1:$STORAGE_PORT" \
    --endpoint="sqlite://$STATE/data/state.db?_journal=WAL&cache=shared&_busy_timeout=30000&_txlock=immediate" \
    --metrics-bind-address=0
else
  start storage "$STORAGE_BIN" \
    --data-dir="$STATE/data/etcd" \
    --listen-client-urls="http://127.0.0.1:$STORAGE_PORT" --advertise-client-urls="http://127.0.0.1:$STORAGE_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes=4294967296
fi
wait_for storage port_open "$STORAGE_PORT"

# Flags after controller-runtime's envtest defaults, plus real authorization (RBAC),
# service accounts and the admission plugins a lease's namespace relies on.
start kube-apiserver "$APISERVER" \
  --advertise-address=127.0.0.1 \
  --bind-address=127.0.0.1 \
  --secure-port="$API_PORT" \
  --etcd-servers="http://127.0.0.1:$STORAGE_PORT" \
  --storage-media-type=application/vnd.kubernetes.protobuf \
  --cert-dir="$PKI" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --authorization-mode=RBAC \
  --anonymous-auth=true \
  --allow-privileged=true \
  --service-cluster-ip-range=10.0.0.0/24 \
  --service-account-issuer="https://127.0.0.1:$API_PORT" \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --api-audiences="https://127.0.0.1:$API_PORT" \
  --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota,DefaultTolerationSeconds,Priority,ValidatingAdmissionPolicy,ValidatingAdmissionWebhook,MutatingAdmissionWebhook \
  --disable-admission-plugins=DefaultStorageClass,StorageObjectInUseProtection \
  --endpoint-reconciler-type=none \
  --profiling=false \
  --enable-priority-and-fairness=false \
  --v=1

curl_api() { curl -sf --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$API_PORT$1"; }
readyz_ok() { [ "$(curl_api /readyz)" = ok ]; }
wait_for kube-apiserver readyz_ok
log "kube-apiserver ready on https://127.0.0.1:$API_PORT"

start kube-controller-manager "$KCM" \
  --kubeconfig="$STATE/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$KCM_PORT" \
  --cert-dir="$STATE/kcm-certs" \
  --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --controllers="$KCM_CONTROLLERS" \
  --node-monitor-grace-period="$((NODE_LEASE_SECONDS + 10))s" \
  ${KCM_RATE[@]+"${KCM_RATE[@]}"} \
  --profiling=false \
  --v=1
kcm_ok() { [ "$(curl -sk --max-time 5 "https://127.0.0.1:$KCM_PORT/healthz")" = ok ]; }
wait_for kube-controller-manager kcm_ok
# The service-account controller creates "default" in every namespace; pods (even dry-run)
# are refused by the ServiceAccount admission plugin until it exists.
default_sa() { curl_api /api/v1/namespaces/default/serviceaccounts/default; }
wait_for kube-controller-manager default_sa
log "kube-controller-manager ready (controllers running)"

start kube-scheduler "$SCHEDULER" \
  --kubeconfig="$STATE/scheduler.kubeconfig" \
  --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
  --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$SCHEDULER_PORT" \
  --leader-elect=false \
  --profiling=false \
  --v=1
scheduler_ok() { [ "$(curl -sk --max-time 5 "https://127.0.0.1:$SCHEDULER_PORT/healthz")" = ok ]; }
wait_for kube-scheduler scheduler_ok
log "kube-scheduler ready"

# kwok manages only the nodes annotated as its own; the Stages (from the same kwok module,
# see build.sh) make them Ready with a 40 s Lease, as a kubelet's (LEASEHOLD_NODE_LEASE_SECONDS).
start kwok "$KWOK" \
  --kubeconfig="$KUBECONFIG_OUT" \
  --config="$KWOK_STAGES" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds="$NODE_LEASE_SECONDS" \
  --cidr=10.244.0.0/16 \
  --node-ip=10.0.0.10 \
  --server-address="127.0.0.1:$KWOK_PORT"
kwok_ok() { port_open "$KWOK_PORT"; }
wait_for kwok kwok_ok
log "kwok ready (simulated kubelets)"

cat >"$STATE/env" <<EOF
export KUBECONFIG="$KUBECONFIG_OUT"
export LEASEHOLD_APISERVER_URL="https://127.0.0.1:$API_PORT"
EOF
log "up: $("$APISERVER" --version 2>/dev/null || true), storage $STORAGE on 127.0.0.1:$STORAGE_PORT"
log "kubeconfig (admin, group system:masters): $KUBECONFIG_OUT   (. $STATE/env)"
echo "$KUBECONFIG_OUT"
