#!/usr/bin/env bash
# Builds, from the Go module proxy, the binaries the e2e suite needs, into a cache
# folder outside the repository:
#
#   ${LEASEHOLD_CACHE:-$HOME/.cache/leasehold}/toolchain/<component>-<version>/bin/
#
# Components: pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes, kubernetes
# (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl), kine, kwok (simulated
# kubelets: Ready nodes that run pods), cyclonus (a NetworkPolicy engine that judges traffic
# against policy files, with no cluster), ipcheck (leasehold's reference reader of CIDRs: Go's
# net/netip and Kubernetes' k8s.io/utils/net, for the e2e suite's address differential).
#
# Usage: scripts/toolchain/build.sh [--print-path] [component ...]
#   no component      build every missing component
#   --print-path      print only the `export PATH=...` line (nothing is built)
#
# A component whose versioned binaries already exist is skipped, so reruns are cheap.
# Binaries already provided are honoured:
#   - `pulumi` on PATH (outside this cache): the pulumi build is skipped; likewise
#     `pulumi-language-nodejs` and `pulumi-resource-kubernetes` on PATH;
#   - KUBEBUILDER_ASSETS (envtest convention: a folder with kube-apiserver, etcd,
#     kubectl): kube-apiserver/kubectl are not built, and kine is not built when the
#     folder has etcd; kube-controller-manager and kube-scheduler are still built unless
#     the folder has them.
# Set LEASEHOLD_FORCE_BUILD=1 to ignore binaries found on PATH / KUBEBUILDER_ASSETS.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$HERE/versions.sh"

CACHE_ROOT="${LEASEHOLD_CACHE:-$HOME/.cache/leasehold}"
TOOLCHAIN="$CACHE_ROOT/toolchain"
SRC="$TOOLCHAIN/src"
LOGS="$TOOLCHAIN/logs"

print_path_only=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --print-path) print_path_only=1 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    pulumi|pulumi-language-nodejs|pulumi-resource-kubernetes|kubernetes|kine|kwok|cyclonus|ipcheck) wanted+=("$arg") ;;
    *) echo "build.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(pulumi pulumi-language-nodejs pulumi-resource-kubernetes kubernetes kine kwok cyclonus ipcheck)

# The language host is this project's own code: its folder is keyed by a hash of its sources
# too, so that a change to them is rebuilt instead of served stale from the cache.
LANGHOST_HASH="$(cat "$HERE/pulumi-language-nodejs/main.go" "$HERE/pulumi-language-nodejs/go.mod" "$HERE/pulumi-language-nodejs/go.sum" | sha256sum | cut -c1-12)"
# ipcheck too (its version is the hash of its sources).
IPCHECK_HASH="$(cat "$HERE/ipcheck/main.go" "$HERE/ipcheck/go.mod" "$HERE/ipcheck/go.sum" | sha256sum | cut -c1-12)"

dir_of() { # component -> versioned folder
  case "$1" in
    pulumi) echo "$TOOLCHAIN/pulumi-v$LEASEHOLD_PULUMI_VERSION" ;;
    pulumi-language-nodejs) echo "$TOOLCHAIN/pulumi-language-nodejs-v$LEASEHOLD_PULUMI_VERSION-$LANGHOST_HASH" ;;
    pulumi-resource-kubernetes) echo "$TOOLCHAIN/pulumi-resource-kubernetes-v$LEASEHOLD_K8S_PROVIDER_VERSION" ;;
    kubernetes) echo "$TOOLCHAIN/kubernetes-v$LEASEHOLD_KUBERNETES_VERSION" ;;
    kine) echo "$TOOLCHAIN/kine-v$LEASEHOLD_KINE_VERSION" ;;
    kwok) echo "$TOOLCHAIN/kwok-v$LEASEHOLD_KWOK_VERSION" ;;
    cyclonus) echo "$TOOLCHAIN/cyclonus-v$LEASEHOLD_CYCLONUS_VERSION" ;;
    ipcheck) echo "$TOOLCHAIN/ipcheck-$IPCHECK_HASH" ;;
  esac
}

# An executable of that name on PATH that is not one of ours, or empty.
foreign_on_path() {
  [ "${LEASEHOLD_FORCE_BUILD:-0}" = 1 ] && return 0
  local p
  p="$(command -v "$1" 2>/dev/null || true)"
  case "$p" in ""|"$TOOLCHAIN"/*) ;; *) echo "$p" ;; esac
}
in_assets() { # name -> path in KUBEBUILDER_ASSETS, or empty
  [ "${LEASEHOLD_FORCE_BUILD:-0}" = 1 ] && return 0
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$1" ]; then echo "$KUBEBUILDER_ASSETS/$1"; fi
}

# Binaries a component must produce (after the KUBEBUILDER_ASSETS rule).
binaries_of() {
  case "$1" in
    kubernetes)
      local b
      for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
        [ -n "$(in_assets "$b")" ] || echo "$b"
      done ;;
    *) echo "$1" ;;
  esac
}

path_dirs=()
# KUBEBUILDER_ASSETS first: its kube-apiserver/kubectl/etcd win over ours, as in up.sh.
[ -n "${KUBEBUILDER_ASSETS:-}" ] && path_dirs+=("$KUBEBUILDER_ASSETS")
add_path_dir() { local d; for d in "${path_dirs[@]+"${path_dirs[@]}"}"; do [ "$d" = "$1" ] && return 0; done; path_dirs+=("$1"); }

# Which components are provided from outside; fills path_dirs for the ones we have.
skip_reason() {
  local c="$1" p
  case "$c" in
    pulumi|pulumi-language-nodejs|pulumi-resource-kubernetes)
      p="$(foreign_on_path "$c")"; [ -n "$p" ] && { echo "using $p from PATH"; return; } ;;
    kine)
      p="$(in_assets etcd)"; [ -n "$p" ] && { echo "KUBEBUILDER_ASSETS has etcd ($p): the control plane uses it"; return; } ;;
    kubernetes)
      [ -z "$(binaries_of kubernetes)" ] && { echo "all of kube-apiserver, kube-controller-manager, kube-scheduler, kubectl are in KUBEBUILDER_ASSETS"; return; } ;;
    kwok|cyclonus)
      p="$(foreign_on_path "$c")"; [ -n "$p" ] && { echo "using $p from PATH"; return; } ;;
  esac
  return 0
}

complete() { # component -> 0 if every binary exists in its versioned folder
  local c="$1" d b
  d="$(dir_of "$c")"
  for b in $(binaries_of "$c"); do [ -x "$d/bin/$b" ] || return 1; done
  [ "$c" != kwok ] || [ -f "$d/bin/kwok-stages.yaml" ] || return 1
  return 0
}

if [ "$print_path_only" = 1 ]; then
  for c in "${wanted[@]}"; do
    [ -n "$(skip_reason "$c")" ] && continue
    complete "$c" && add_path_dir "$(dir_of "$c")/bin"
  done
  ( IFS=:; echo "export PATH=\"${path_dirs[*]+${path_dirs[*]}}:\$PATH\"" )
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is not on PATH (expected Go >= 1.26, e.g. /usr/local/go/bin)" >&2; exit 1; }
mkdir -p "$TOOLCHAIN" "$SRC" "$LOGS"

# One build at a time per cache (a second run waits), so reruns and parallel callers are safe.
exec 9>"$TOOLCHAIN/.build.lock"
if command -v flock >/dev/null; then
  flock -n 9 || { echo "build.sh: another build holds $TOOLCHAIN/.build.lock; waiting..."; flock 9; }
fi

export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

# Copy a wrapper module (go.mod, go.sum, *.go, subfolders) to a fresh folder in the cache,
# so that `go` never writes inside the repository.
stage() { # component version -> staged folder
  local c="$1" v="$2" s="$SRC/$1-v$2"
  rm -rf "$s"; mkdir -p "$s"
  cp -R "$HERE/$c/." "$s/"
  chmod -R u+w "$s"
  echo "$s"
}

check_gomod() { # component module version: the wrapper's go.mod must pin what versions.sh says
  grep -Eq "^[[:space:]]*(require[[:space:]]+)?$2 $3([[:space:]]|$)" "$HERE/$1/go.mod" || {
    echo "build.sh: $HERE/$1/go.mod does not require $2 $3 (versions.sh and go.mod disagree)" >&2; exit 1; }
}

build_pulumi() { # stage out
  local s="$1" out="$2" v="v$LEASEHOLD_PULUMI_VERSION"
  check_gomod pulumi github.com/pulumi/pulumi/pkg/v3 "$v"
  (cd "$s" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
    -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_pulumi_language_nodejs() {
  local s="$1" out="$2" v="v$LEASEHOLD_PULUMI_VERSION"
  check_gomod pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3 "$v"
  # leasehold's own language host (see its main.go); its version says so.
  (cd "$s" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X main.version=${v#v}+leasehold -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
    -o "$out/pulumi-language-nodejs" .)
}

build_pulumi_resource_kubernetes() {
  local s="$1" out="$2" v="$LEASEHOLD_K8S_PROVIDER_VERSION" m=github.com/pulumi/pulumi-kubernetes/provider/v4 dir
  check_gomod pulumi-resource-kubernetes "$m" "$LEASEHOLD_K8S_PROVIDER_MODULE_VERSION"
  # The schema and the terraform mapping are committed in the module
  # (cmd/pulumi-resource-kubernetes/{schema,terraform-mapping}.json); upstream's
  # generate.go writes the *-embed.json files that main.go embeds. Do the same here.
  (cd "$s" && go mod download "$m")
  dir="$(cd "$s" && go list -m -f '{{.Dir}}' "$m")"
  [ -f "$dir/cmd/pulumi-resource-kubernetes/schema.json" ] || { echo "no schema.json in $dir/cmd/pulumi-resource-kubernetes" >&2; return 1; }
  (cd "$s" && go run ./internal/genembed -in "$dir/cmd/pulumi-resource-kubernetes" -out "$s" -version "$v")
  (cd "$s" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X main.version=$v" -o "$out/pulumi-resource-kubernetes" .)
}

build_kubernetes() {
  local s="$1" out="$2" v="v$LEASEHOLD_KUBERNETES_VERSION" minor ld p pkgs=() b
  check_gomod kubernetes k8s.io/kubernetes "$v"
  minor="${LEASEHOLD_KUBERNETES_VERSION#*.}"; minor="${minor%%.*}"
  # Without these the binaries report v0.0.0 and clients (the Pulumi provider) refuse them.
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for b in $(binaries_of kubernetes); do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  (cd "$s" && CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/" "${pkgs[@]}")
}

build_kine() {
  local s="$1" out="$2" v="v$LEASEHOLD_KINE_VERSION"
  check_gomod kine github.com/k3s-io/kine "$v"
  # cgo SQLite (mattn/go-sqlite3), as kine's own release build; without the nats driver.
  command -v gcc >/dev/null || { echo "kine needs gcc for its cgo SQLite driver (apt-get install gcc)" >&2; return 1; }
  (cd "$s" && CGO_ENABLED=1 go build -trimpath \
    -tags "sqlite_unlock_notify,sqlite_vtable,sqlite_stat4,sqlite_preupdate_hook,sqlite_math_functions,sqlite_dbstat,sqlite_column_metadata" \
    -ldflags "-s -w -X github.com/k3s-io/kine/pkg/version.Version=$v -X github.com/k3s-io/kine/pkg/version.GitCommit=module-proxy" \
    -o "$out/kine" github.com/k3s-io/kine)
}

build_kwok() {
  local s="$1" out="$2" v="v$LEASEHOLD_KWOK_VERSION"
  check_gomod kwok sigs.k8s.io/kwok "$v"
  # The module carries its own version (pkg/consts.Version); nothing to stamp.
  (cd "$s" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok)
  # kwok simulates nothing without Stages; kwokctl embeds these defaults from the same module
  # (nodes turn Ready and renew their Lease; pods turn Running, Jobs' pods complete, deleted
  # pods go). Keep them beside the binary, from this exact version.
  dir="$(cd "$s" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    cat "$dir/kustomize/stage/$f.yaml"; echo "---"
  done >"$out/kwok-stages.yaml"
}

build_ipcheck() {
  local s="$1" out="$2"
  (cd "$s" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/ipcheck" .)
}

build_cyclonus() {
  local s="$1" out="$2" v="v$LEASEHOLD_CYCLONUS_VERSION"
  check_gomod cyclonus github.com/mattfenwick/cyclonus "$v"
  # `cyclonus version` prints "development" unless stamped, as its release build does.
  (cd "$s" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/mattfenwick/cyclonus/pkg/cli.version=$v" \
    -o "$out/cyclonus" github.com/mattfenwick/cyclonus/cmd/cyclonus)
}

version_of() {
  case "$1" in
    pulumi|pulumi-language-nodejs) echo "$LEASEHOLD_PULUMI_VERSION" ;;
    pulumi-resource-kubernetes) echo "$LEASEHOLD_K8S_PROVIDER_VERSION" ;;
    kubernetes) echo "$LEASEHOLD_KUBERNETES_VERSION" ;;
    kine) echo "$LEASEHOLD_KINE_VERSION" ;;
    kwok) echo "$LEASEHOLD_KWOK_VERSION" ;;
    cyclonus) echo "$LEASEHOLD_CYCLONUS_VERSION" ;;
    ipcheck) echo "$IPCHECK_HASH" ;;
  esac
}

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

failed=()
summary=()
total_start=$(date +%s)
for c in "${wanted[@]}"; do
  reason="$(skip_reason "$c")"
  if [ -n "$reason" ]; then
    summary+=("$(printf '%-28s skipped: %s' "$c" "$reason")")
    continue
  fi
  d="$(dir_of "$c")"
  if complete "$c"; then
    summary+=("$(printf '%-28s cached: %s/bin' "$c" "$d")")
    add_path_dir "$d/bin"
    continue
  fi
  v="$(version_of "$c")"
  log="$LOGS/$c-v$v.log"
  echo "==> building $c $v (log: $log)"
  start=$(date +%s)
  tmp="$d.partial.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/bin"
  s="$(stage "$c" "$v")"
  if "build_${c//-/_}" "$s" "$tmp/bin" >"$log" 2>&1; then
    # Keep binaries already built in $d (e.g. kube-apiserver when only kube-controller-manager was missing).
    mkdir -p "$d/bin"
    for f in "$tmp/bin"/*; do mv -f "$f" "$d/bin/"; done
    rm -rf "$tmp"
    secs=$(( $(date +%s) - start ))
    echo "    done in $(fmt_secs "$secs"): $(cd "$d/bin" && ls | tr '\n' ' ')"
    summary+=("$(printf '%-28s built in %s: %s/bin' "$c" "$(fmt_secs "$secs")" "$d")")
    add_path_dir "$d/bin"
  else
    rm -rf "$tmp"
    secs=$(( $(date +%s) - start ))
    echo "!!! $c $v failed after $(fmt_secs "$secs"); last lines of $log:" >&2
    tail -n 25 "$log" | sed 's/^/    /' >&2
    summary+=("$(printf '%-28s FAILED after %s (see %s)' "$c" "$(fmt_secs "$secs")" "$log")")
    failed+=("$c")
  fi
done

# The CLI looks for its language hosts next to its own executable first ("bundled"
# plugins); a host found only elsewhere on PATH works as well, but every run then warns
# "using pulumi-language-nodejs from $PATH". Link ours next to our pulumi.
pl="$(dir_of pulumi)/bin"
if [ -x "$pl/pulumi" ] && [ -x "$(dir_of pulumi-language-nodejs)/bin/pulumi-language-nodejs" ]; then
  ln -sfn "../../$(basename "$(dir_of pulumi-language-nodejs)")/bin/pulumi-language-nodejs" "$pl/pulumi-language-nodejs"
fi
# Dynamic resources (leasehold's NodeTaint) run in the `pulumi-nodejs` provider plugin, which
# Pulumi's releases ship next to the CLI as a small script; the CLI built from Go source has none.
# This is that script: the engine starts plugins in the project's folder, so it runs the
# dynamic-provider host of the program's own @pulumi/pulumi.
if [ -x "$pl/pulumi" ]; then
  cat >"$pl/pulumi-resource-pulumi-nodejs" <<'PLUGIN'
#!/bin/sh
# Pulumi's dynamic-provider plugin, as the CLI's releases bundle it (written by leasehold's build.sh).
script=$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
exec node "$script" "$@"
PLUGIN
  chmod +x "$pl/pulumi-resource-pulumi-nodejs"
fi

echo
echo "Toolchain summary (total $(fmt_secs $(( $(date +%s) - total_start )))):"
printf '  %s\n' "${summary[@]}"
echo "Cache: $TOOLCHAIN ($(du -sh "$TOOLCHAIN" 2>/dev/null | cut -f1))"
echo
echo "Put on PATH:"
printf '  %s\n' "${path_dirs[@]+"${path_dirs[@]}"}"
( IFS=:; echo "export PATH=\"${path_dirs[*]+${path_dirs[*]}}:\$PATH\"" )
if [ ${#failed[@]} -gt 0 ]; then
  echo >&2
  echo "build.sh: FAILED: ${failed[*]} (logs in $LOGS)" >&2
  exit 1
fi
