#!/usr/bin/env bash
# Builds the real GitOps engines from published Go modules into a cache outside the tracked
# tree, one engine per call so the caller can time each:
#   provision-engines.sh flux    -> $CACHE/engines/flux/$FLUX_VERSION/{source-controller,kustomize-controller,crds/}
#   provision-engines.sh argocd  -> $CACHE/engines/argocd/$ARGOCD_VERSION/{argocd,argocd-*,git-verify-wrapper.sh,crds/}
# Progress goes to stderr; the output directory is the last line on stdout.
#
# Why wrapper modules: `go install module@version` refuses modules whose go.mod has replace
# directives. Each wrapper requires the engine, copies its non-local replaces (the local
# `=> ./api`, `=> ./gitops-engine` ones are dropped: the published modules are used) and builds
# the engine's package from inside it. No `go mod tidy`: it pulls test-only modules that the
# filtered module proxy refuses. See ../shared/real-engines.md (outside the repo) for the recipe.
#
# Env: REWIND_CACHE_DIR (default ~/.cache/rewind), REWIND_FLUX_VERSION (default v1.9.6),
#      REWIND_ARGOCD_VERSION (default v3.6.1), REWIND_ARGOCD_GOTOOLCHAIN (default go1.27.4:
#      Argo CD v3.6 needs Go 1.27; `go` fetches that toolchain from the module proxy, ~250 MB).
# Exit: 0 built or cached, 2 usage or no Go, 3 the module proxy refused a module, 1 other failure.
set -euo pipefail

FLUX_VERSION="${REWIND_FLUX_VERSION:-v1.9.6}"
ARGOCD_VERSION="${REWIND_ARGOCD_VERSION:-v3.6.1}"
ARGOCD_GOTOOLCHAIN="${REWIND_ARGOCD_GOTOOLCHAIN:-go1.27.4}"
CACHE="${REWIND_CACHE_DIR:-$HOME/.cache/rewind}"

# Versions the filtered module proxy here refuses (403), each with a served version to pin
# instead. Applied as a replace when an engine's go.mod requires exactly the refused version.
#   module                          refused  served
KNOWN_REFUSED=(
  "github.com/fluxcd/pkg/artifact   v0.18.3  v0.18.1"
)

log() { printf '[provision-engines] %s\n' "$*" >&2; }
die() { local code="$1"; shift; log "$*"; exit "$code"; }

ENGINE="${1:-}"
case "$ENGINE" in
  flux)
    VERSION="$FLUX_VERSION"
    OUT="$CACHE/engines/flux/$VERSION"
    outputs_present() {
      [ -x "$OUT/source-controller" ] && [ -x "$OUT/kustomize-controller" ] &&
        compgen -G "$OUT/crds/*.yaml" >/dev/null
    }
    ;;
  argocd)
    VERSION="$ARGOCD_VERSION"
    OUT="$CACHE/engines/argocd/$VERSION"
    outputs_present() {
      [ -x "$OUT/argocd" ] && [ -x "$OUT/git-verify-wrapper.sh" ] &&
        [ -L "$OUT/argocd-application-controller" ] && [ -L "$OUT/argocd-repo-server" ] &&
        [ -L "$OUT/argocd-git-ask-pass" ] &&
        [ -f "$OUT/crds/application-crd.yaml" ] && [ -f "$OUT/crds/appproject-crd.yaml" ]
    }
    ;;
  *) die 2 "usage: provision-engines.sh flux|argocd (got '${ENGINE}')" ;;
esac
WORK="$CACHE/engines/build-$ENGINE-$VERSION"

if outputs_present; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || die 2 "Go is missing: install Go >= 1.26 (apt-get install golang-go, or https://go.dev/dl); needed to build $ENGINE $VERSION from source"
mkdir -p "$OUT" "$WORK"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off
LOG="$WORK/go-output.log"
: > "$LOG"

# --- helpers -------------------------------------------------------------------------------

# When go failed, say which module the proxy refused (403 "This module version is not
# available"), else show the tail of go's output. Always exits.
explain_go_failure() {
  local what="$1" refused reason name
  # go reports it as "[file:line: | go: ]module@version: reading https://proxy/...: 403 Forbidden",
  # then "\tserver response: This module version is not available." on the next line. Only the
  # 403 line is searched: an enclosing "x@v requires" line names a module that was served.
  local modver='[A-Za-z0-9._~+-]+(/[A-Za-z0-9._~+-]+)*@v[0-9][^:/[:space:]]*'
  refused=$(grep -E '403' "$LOG" | grep -oE "$modver: (reading|verifying)" | sed 's/: [a-z]*$//' | head -n 1 || true)
  if [ -z "$refused" ]; then
    refused=$(grep -B1 'not available' "$LOG" | grep -oE "$modver:" | sed 's/:$//' | tail -n 1 || true)
  fi
  if [ -n "$refused" ] || grep -qE '403 Forbidden|not available' "$LOG"; then
    reason="403 Forbidden" name="${refused%@*}"; name="${name:-<module>}"
    if grep -q 'This module version is not available' "$LOG"; then reason="$reason, This module version is not available"; fi
    log "the Go module proxy refused ${refused:-a module}: $reason"
    log "while $what. Pin a served version of $name (an engine: REWIND_FLUX_VERSION /"
    log "REWIND_ARGOCD_VERSION; a dependency: KNOWN_REFUSED in scripts/provision-engines.sh)."
    log "served versions: go list -m -versions $name   (full go output: $LOG)"
    exit 3
  fi
  log "go failed while $what; last lines of its output ($LOG):"
  tail -n 20 "$LOG" | sed 's/^/    /' >&2
  exit 1
}

# Prints a line every minute while a long build runs, so CI logs show progress.
HEARTBEAT_PID=""
heartbeat_start() {
  local what="$1" start; start=$(date +%s)
  ( while sleep 60 </dev/null >/dev/null 2>&1; do log "still $what ($(( ($(date +%s) - start) / 60 )) min)"; done ) &
  HEARTBEAT_PID=$!
}
heartbeat_stop() {
  if [ -n "$HEARTBEAT_PID" ]; then kill "$HEARTBEAT_PID" 2>/dev/null || true; wait "$HEARTBEAT_PID" 2>/dev/null || true; HEARTBEAT_PID=""; fi
}
# An interrupted run leaves no half output: binaries and CRD dirs are written under *.tmp names,
# renamed when complete, and removed here otherwise.
trap 'heartbeat_stop; rm -rf -- "$OUT"/*.tmp' EXIT
trap 'exit 130' INT TERM

# fetch_module <module@version>: downloads it into the module cache; sets MOD_DIR (the
# unpacked module) and MOD_GOMOD (its go.mod). Runs in $WORK, which holds no go.mod.
fetch_module() {
  local json
  log "fetching $1"
  if ! json=$(cd "$WORK" && go mod download -json "$1" 2>>"$LOG"); then
    printf '%s\n' "$json" | sed -n 's/.*"Error": "\(.*\)".*/\1/p' | sed 's/\\n/\n/g; s/\\t/\t/g' >> "$LOG"
    explain_go_failure "downloading $1"
  fi
  MOD_DIR=$(printf '%s\n' "$json" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  MOD_GOMOD=$(printf '%s\n' "$json" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -d "$MOD_DIR" ] && [ -f "$MOD_GOMOD" ] || die 1 "go mod download $1 gave no module dir or go.mod"
}

# gomod_replaces <go.mod>: the non-local replace directives, one `replace a => b v` per line.
gomod_replaces() {
  awk '
    function emit(l,   rhs) {
      gsub(/^[ \t]+|[ \t]+$/, "", l)
      if (l == "") return
      rhs = l; sub(/^.*=>[ \t]*/, "", rhs)
      if (rhs ~ /^(\.\.?\/|\/)/) return      # local directory: not in the module zip
      print "replace " l
    }
    { sub(/\/\/.*/, "") }
    /^replace[ \t]*\(/ { inblock = 1; next }
    inblock && /^[ \t]*\)/ { inblock = 0; next }
    inblock { emit($0); next }
    /^replace[ \t]/ { l = $0; sub(/^replace[ \t]+/, "", l); emit(l) }
  ' "$1"
}

# known_refused_replaces <go.mod>: replaces for required versions the proxy refuses.
known_refused_replaces() {
  local entry mod bad good
  for entry in "${KNOWN_REFUSED[@]}"; do
    read -r mod bad good <<<"$entry"
    if grep -qE "^[[:space:]]*(require[[:space:]]+)?${mod//./\\.}[[:space:]]+${bad//./\\.}([[:space:]]|$)" "$1" &&
       ! grep -qE "^[[:space:]]*(replace[[:space:]]+)?${mod//./\\.}[[:space:]]+(v[^[:space:]]+[[:space:]]+)?=>" "$1"; then
      echo "replace $mod => $mod $good // $mod@$bad: 403 from the module proxy here"
    fi
  done
}

# gomod_go <go.mod>: the go directive.
gomod_go() { sed -n 's/^go[[:space:]]\+\([0-9.]*\).*/\1/p' "$1" | head -n 1; }

# gomod_require_version <go.mod> <module>: the version the engine requires.
gomod_require_version() {
  awk -v m="$2" '{ sub(/\/\/.*/, "") } $1 == "require" && $2 == m { print $3; exit } $1 == m && $2 ~ /^v/ { print $2; exit }' "$1"
}

# build <what> <dir> <package> <output> [ldflags]: go build into <output>.tmp, then mv.
build() {
  local what="$1" dir="$2" pkg="$3" out="$4" ldflags="-s -w ${5:-}" start
  start=$(date +%s)
  heartbeat_start "building $what"
  if ! (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg") 2>&1 | tee -a "$LOG" >&2; then
    heartbeat_stop
    rm -f "$out.tmp"
    explain_go_failure "building $what"
  fi
  heartbeat_stop
  mv -f "$out.tmp" "$out"
  log "built $what in $(( $(date +%s) - start ))s"
}

# copy_files <dest dir> <files...>: copies into <dest>.tmp, then renames, so a dir that exists is complete.
copy_files() {
  local dest="$1"; shift
  rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
  cp "$@" "$dest.tmp/"
  chmod 0644 "$dest.tmp"/*
  rm -rf "$dest"; mv "$dest.tmp" "$dest"
}

# write_wrapper <dir> <module name> <engine go.mod> <go version> <requires...>: a wrapper go.mod.
write_wrapper() {
  local dir="$1" name="$2" engine_gomod="$3" gover="$4" r; shift 4
  mkdir -p "$dir"
  {
    echo "// Generated by scripts/provision-engines.sh: builds a published engine module whose"
    echo "// own go.mod has local replaces (so \`go install\` refuses it)."
    echo "module $name"
    echo
    echo "go $gover"
    echo
    for r in "$@"; do echo "require $r"; done
    echo
    gomod_replaces "$engine_gomod"
    known_refused_replaces "$engine_gomod"
  } > "$dir/go.mod"
}

need_go() { # need_go <version>: with GOTOOLCHAIN=local the installed Go must be new enough.
  local have; have=$(go env GOVERSION); have="${have#go}"
  if [ "$(printf '%s\n%s\n' "$1" "$have" | sort -V | head -n 1)" != "$1" ]; then
    die 2 "$ENGINE $VERSION needs Go >= $1, found go$have: install a newer Go (https://go.dev/dl)"
  fi
}

# --- Flux: source-controller + kustomize-controller ----------------------------------------

provision_flux() {
  export GOTOOLCHAIN=local
  local c gomod dir gover crd_files=()
  for c in source-controller kustomize-controller; do
    fetch_module "github.com/fluxcd/$c@$VERSION"
    gomod="$MOD_GOMOD" dir="$MOD_DIR"
    compgen -G "$dir/config/crd/bases/*.yaml" >/dev/null || die 1 "no CRDs in $dir/config/crd/bases"
    crd_files+=("$dir"/config/crd/bases/*.yaml)
    gover=$(gomod_go "$gomod")
    need_go "$gover"
    if [ ! -x "$OUT/$c" ]; then
      write_wrapper "$WORK/$c" "rewind.local/flux-$c-build" "$gomod" "$gover" "github.com/fluxcd/$c $VERSION"
      printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/fluxcd/%s"\n' "$c" > "$WORK/$c/tools.go"
      log "building $c $VERSION (cold: 3-15 min on 2 cores; cached afterwards)"
      build "$c $VERSION" "$WORK/$c" "github.com/fluxcd/$c" "$OUT/$c"
    fi
  done
  if ! compgen -G "$OUT/crds/*.yaml" >/dev/null; then
    copy_files "$OUT/crds" "${crd_files[@]}"
    log "copied ${#crd_files[@]} CRDs to $OUT/crds"
  fi
}

# --- Argo CD: one slim multi-call binary ---------------------------------------------------

provision_argocd() {
  export GOTOOLCHAIN="$ARGOCD_GOTOOLCHAIN"
  local major mod gomod dir gover
  major="${VERSION#v}"; major="${major%%.*}"
  mod="github.com/argoproj/argo-cd/v$major"
  log "Argo CD $VERSION builds with $GOTOOLCHAIN; its first use downloads that Go toolchain (~250 MB)"
  fetch_module "$mod@$VERSION"
  gomod="$MOD_GOMOD" dir="$MOD_DIR"
  gover=$(gomod_go "$gomod")

  if [ ! -x "$OUT/argocd" ]; then
    local cobra_v klog_v
    cobra_v=$(gomod_require_version "$gomod" github.com/spf13/cobra)
    klog_v=$(gomod_require_version "$gomod" k8s.io/klog/v2)
    [ -n "$cobra_v" ] && [ -n "$klog_v" ] || die 1 "$mod@$VERSION: cannot find the cobra/klog versions in its go.mod"
    write_wrapper "$WORK/argocd" "rewind.local/argocd-build" "$gomod" "$gover" \
      "$mod $VERSION" "github.com/spf13/cobra $cobra_v" "k8s.io/klog/v2 $klog_v"
    sed "s#@ARGOCD@#$mod#g" > "$WORK/argocd/main.go" <<'GO'
// Command argocd is a slim Argo CD multi-call binary: only the components rewind runs.
// It picks the component by the name it was called as (a symlink), or by ARGOCD_BINARY_NAME,
// which the repo-server sets when it runs GIT_ASKPASS=argocd for git credentials.
// Generated by scripts/provision-engines.sh.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "@ARGOCD@/cmd/argocd-application-controller/commands"
	gitaskpass "@ARGOCD@/cmd/argocd-git-ask-pass/commands"
	reposerver "@ARGOCD@/cmd/argocd-repo-server/commands"
	"@ARGOCD@/util/log"
)

func init() {
	// As upstream cmd/main.go: klog logs through the configured logrus level and format.
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func main() {
	// Unlike upstream, no grpc.DisableSRVLookups(): without grpclb linked it panics,
	// and SRV lookups are already off.
	name := filepath.Base(os.Args[0])
	if v := os.Getenv("ARGOCD_BINARY_NAME"); v != "" {
		name = v
	}
	var command *cobra.Command
	switch name {
	case "argocd-application-controller":
		command = appcontroller.NewCommand()
	case "argocd-repo-server":
		command = reposerver.NewCommand()
	case "argocd-git-ask-pass":
		command = gitaskpass.NewCommand()
		command.SilenceErrors = true
		command.SilenceUsage = true
	default:
		fmt.Fprintf(os.Stderr, "%s: slim Argo CD build; run it as argocd-application-controller, argocd-repo-server or argocd-git-ask-pass (symlink or ARGOCD_BINARY_NAME)\n", name)
		os.Exit(2)
	}
	if err := command.Execute(); err != nil {
		if command.SilenceErrors {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
}
GO
    log "building argocd $VERSION with $GOTOOLCHAIN (cold: 6-25 min on 2 cores; cached afterwards)"
    build "argocd $VERSION" "$WORK/argocd" "rewind.local/argocd-build" "$OUT/argocd" \
      "-X $mod/common.version=${VERSION#v}"
  fi

  local link
  for link in argocd-application-controller argocd-repo-server argocd-git-ask-pass; do
    ln -sfn argocd "$OUT/$link"
  done
  if [ ! -x "$OUT/git-verify-wrapper.sh" ]; then
    cp "$dir/hack/git-verify-wrapper.sh" "$OUT/git-verify-wrapper.sh.tmp"
    chmod 0755 "$OUT/git-verify-wrapper.sh.tmp"
    mv -f "$OUT/git-verify-wrapper.sh.tmp" "$OUT/git-verify-wrapper.sh"
  fi
  if [ ! -f "$OUT/crds/application-crd.yaml" ] || [ ! -f "$OUT/crds/appproject-crd.yaml" ]; then
    copy_files "$OUT/crds" "$dir/manifests/crds/application-crd.yaml" "$dir/manifests/crds/appproject-crd.yaml"
    log "copied the Application and AppProject CRDs to $OUT/crds"
  fi
}

"provision_$ENGINE"
outputs_present || die 1 "build finished but outputs are missing in $OUT"
echo "$OUT"
