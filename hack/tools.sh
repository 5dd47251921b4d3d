#!/usr/bin/env bash
# tools.sh installs the project's pinned tools into a user-level cache keyed by
# version, and links them into ./bin. A fresh clone (CI clones into a new
# folder) reuses whatever the cache already holds: nothing is rebuilt when the
# binary for that exact version is present.
#
#   hack/tools.sh <tool>...     tools: controller-gen kustomize ginkgo etcd
#                               kube (apiserver, controller-manager, scheduler)
#                               kwok operator-sdk setup-envtest
#                               olm (olm, catalog, opm and OLM's CRDs)
#
# Only the Go module proxy is used.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${NEO4J_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/neo4j-operator}"
BIN="$ROOT/bin"
mkdir -p "$BIN"

CONTROLLER_GEN_VERSION=v0.23.0
KUSTOMIZE_VERSION=v5.8.2
KWOK_VERSION=v0.8.0
OPERATOR_SDK_VERSION=v1.42.2
OLM_VERSION=v0.31.0 # operator-registry (opm) v1.50.0: hack/controlplane/olm/go.mod
KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
BUILD_DATE=2026-01-01T00:00:00Z

log() { echo "tools: $*" >&2; }

# key <files...> prints a short hash of the files that define a build, so a
# change to a wrapper module's go.mod/go.sum gets a fresh cache slot.
key() { cat "$@" | sha256sum | cut -c1-12; }

# link <cache dir> <names...> points bin/<name> at the cached binary.
link() {
  local dir=$1; shift
  for n in "$@"; do ln -sfn "$dir/$n" "$BIN/$n"; done
}

# have <dir> <names...> is true when every named binary is cached.
have() {
  local dir=$1; shift
  for n in "$@"; do [[ -x "$dir/$n" ]] || return 1; done
}

go_install() { # <name> <package@version> <version>
  local name=$1 pkg=$2 ver=$3 dir="$CACHE/$1/$3"
  if ! have "$dir" "$name"; then
    log "building $name $ver (cold)"
    mkdir -p "$dir"
    GOBIN="$dir" GOFLAGS=-buildvcs=false go install "$pkg"
  fi
  link "$dir" "$name"
}

build_etcd() {
  local dir="$CACHE/etcd/$ETCD_VERSION-$(key "$ROOT"/hack/controlplane/etcd/go.{mod,sum})"
  if ! have "$dir" etcd; then
    log "building etcd $ETCD_VERSION (cold, ~1.5 min)"
    mkdir -p "$dir"
    (cd "$ROOT/hack/controlplane/etcd" && CGO_ENABLED=0 go build -trimpath -o "$dir/etcd.tmp" . && mv "$dir/etcd.tmp" "$dir/etcd")
  fi
  link "$dir" etcd
}

build_kube() {
  local names=(kube-apiserver kube-controller-manager kube-scheduler)
  local dir="$CACHE/kube/$KUBE_VERSION-$(key "$ROOT"/hack/controlplane/kube/go.{mod,sum} "$ROOT"/hack/controlplane/kube/cmd/*/main.go)"
  if ! have "$dir" "${names[@]}"; then
    log "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION (cold, ~10 min)"
    mkdir -p "$dir/.tmp"
    local ld="" minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
    for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
      ld+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
      ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$BUILD_DATE"
    done
    (cd "$ROOT/hack/controlplane/kube" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ld" -o "$dir/.tmp/" ./cmd/...)
    for n in "${names[@]}"; do mv "$dir/.tmp/$n" "$dir/$n"; done
    rmdir "$dir/.tmp"
  fi
  link "$dir" "${names[@]}"
}

build_operator_sdk() {
  # The version variables upstream's Makefile sets: `operator-sdk version`
  # and the builder annotation `generate bundle` writes report them.
  local pkg=github.com/operator-framework/operator-sdk
  local commit=6001c29067051e1a04e829ea033988b904d1845e # tag v1.42.2
  local kube=v1.33.1                                     # K8S_VERSION of upstream's Makefile
  local ld="-X $pkg/internal/version.Version=$OPERATOR_SDK_VERSION -X $pkg/internal/version.GitVersion=$OPERATOR_SDK_VERSION"
  ld+=" -X $pkg/internal/version.GitCommit=$commit -X $pkg/internal/version.KubernetesVersion=$kube"
  ld+=" -X $pkg/internal/version.ImageVersion=$OPERATOR_SDK_VERSION"
  local dir="$CACHE/operator-sdk/$OPERATOR_SDK_VERSION-$(key "$ROOT"/hack/controlplane/operator-sdk/go.{mod,sum} <(echo "$ld"))"
  if ! have "$dir" operator-sdk; then
    log "building operator-sdk $OPERATOR_SDK_VERSION (cold, ~4 min)"
    mkdir -p "$dir"
    (cd "$ROOT/hack/controlplane/operator-sdk" && CGO_ENABLED=0 go build -trimpath -tags containers_image_openpgp -ldflags "-s -w $ld" \
      -o "$dir/operator-sdk.tmp" $pkg/cmd/operator-sdk && mv "$dir/operator-sdk.tmp" "$dir/operator-sdk")
  fi
  link "$dir" operator-sdk
}

# build_olm builds OLM's olm and catalog operators and opm from the wrapper
# module hack/controlplane/olm, and copies OLM's CRDs (deploy/chart/crds of
# the same module version) beside them as olm-crds/. The checksum database
# does not know OLM v0.31.0: GONOSUMDB is scoped to that one module, whose
# hashes the wrapper's go.sum pins; -mod=readonly refuses any other change.
build_olm() {
  local src="$ROOT/hack/controlplane/olm" names=(olm catalog opm)
  local dir="$CACHE/olm/$OLM_VERSION-$(key "$src"/go.{mod,sum})"
  if ! have "$dir" "${names[@]}" || [[ ! -d "$dir/olm-crds" ]]; then
    log "building OLM $OLM_VERSION (olm, catalog) and opm (cold, ~6 min)"
    mkdir -p "$dir/.tmp"
    (cd "$src" && export GONOSUMDB=github.com/operator-framework/operator-lifecycle-manager GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 &&
      go build -trimpath -ldflags "-s -w" -o "$dir/.tmp/" \
        github.com/operator-framework/operator-lifecycle-manager/cmd/olm \
        github.com/operator-framework/operator-lifecycle-manager/cmd/catalog \
        github.com/operator-framework/operator-registry/cmd/opm &&
      rm -rf "$dir/.tmp/olm-crds" && mkdir "$dir/.tmp/olm-crds" &&
      cp "$(go list -m -f '{{.Dir}}' github.com/operator-framework/operator-lifecycle-manager)"/deploy/chart/crds/*.yaml "$dir/.tmp/olm-crds/" &&
      chmod u+w "$dir/.tmp/olm-crds"/*)
    for n in "${names[@]}"; do mv "$dir/.tmp/$n" "$dir/$n"; done
    rm -rf "$dir/olm-crds" && mv "$dir/.tmp/olm-crds" "$dir/olm-crds"
    rmdir "$dir/.tmp"
  fi
  link "$dir" "${names[@]}" olm-crds
}

for t in "$@"; do
  case $t in
    controller-gen) go_install controller-gen "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION" "$CONTROLLER_GEN_VERSION" ;;
    kustomize) go_install kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" "$KUSTOMIZE_VERSION" ;;
    ginkgo) # the CLI must match the library version in go.mod
      v=$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/onsi/ginkgo/v2)
      go_install ginkgo "github.com/onsi/ginkgo/v2/ginkgo@$v" "$v" ;;
    kwok) go_install kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "$KWOK_VERSION" ;;
    etcd) build_etcd ;;
    kube) build_kube ;;
    operator-sdk) build_operator_sdk ;;
    olm) build_olm ;;
    *) echo "tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
