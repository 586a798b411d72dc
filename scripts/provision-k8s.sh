#!/usr/bin/env bash
# Builds kube-apiserver and etcd from published Go modules into a cache outside the
# tracked tree, the way envtest expects them (one directory holding both binaries).
# Why a wrapper module: k8s.io/kubernetes pins its staging modules at v0.0.0 and
# resolves them with relative replaces, so `go install` refuses it.
set -euo pipefail

K8S_VERSION="${REWIND_K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${REWIND_ETCD_VERSION:-v3.6.16}"
CACHE="${REWIND_CACHE_DIR:-$HOME/.cache/rewind}"
OUT="$CACHE/k8s/$K8S_VERSION"
WORK="$CACHE/k8s/build-$K8S_VERSION"

log() { printf '[provision-k8s] %s\n' "$*" >&2; }

if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/etcd" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { log "Go is missing: install Go >= 1.24 (apt-get install golang-go, or https://go.dev/dl), or set KUBEBUILDER_ASSETS to a directory holding kube-apiserver and etcd"; exit 2; }
mkdir -p "$OUT" "$WORK/apiserver" "$WORK/etcd"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
stage_v="v0.${K8S_VERSION#v1.}"

if [ ! -x "$OUT/kube-apiserver" ]; then
  start=$(date +%s)
  log "building kube-apiserver $K8S_VERSION (cold: 10-25 min on 2 cores; cached afterwards)"
  gomod_path=$(cd "$WORK/apiserver" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging=$(grep -oE '=> \./staging/src/k8s.io/[a-z0-9-]+' "$gomod_path" | sed 's#=> ./staging/src/##' | sort -u)
  {
    echo "module rewind.local/kube-apiserver-build"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    for m in $staging; do echo "replace $m => $m $stage_v"; done
  } > "$WORK/apiserver/go.mod"
  cat > "$WORK/apiserver/tools.go" <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  (cd "$WORK/apiserver" && go mod tidy >/dev/null 2>&1 || true)
  (cd "$WORK/apiserver" && go build -trimpath -tags=notest,grpcnotrace \
     -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
     -o "$OUT/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$OUT/kube-apiserver.tmp" "$OUT/kube-apiserver"
  log "built kube-apiserver in $(( $(date +%s) - start ))s"
fi

if [ ! -x "$OUT/etcd" ]; then
  start=$(date +%s)
  log "building etcd $ETCD_VERSION"
  cat > "$WORK/etcd/go.mod" <<GOMOD
module rewind.local/etcd-build

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat > "$WORK/etcd/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  (cd "$WORK/etcd" && go mod tidy >/dev/null 2>&1 || true)
  (cd "$WORK/etcd" && go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$OUT/etcd.tmp" "$OUT/etcd"
  log "built etcd in $(( $(date +%s) - start ))s"
fi
echo "$OUT"
