# Neo4j Enterprise operator. `make help` lists the targets.

IMG ?= ghcr.io/graphops-dev/neo4j-operator:v$(VERSION)
VERSION ?= 0.1.0

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUSTOMIZE ?= $(LOCALBIN)/kustomize
GINKGO ?= $(LOCALBIN)/ginkgo
KUBECTL ?= kubectl

# envtest assets: etcd and kube-apiserver built from Go modules (no downloads).
ENVTEST_ASSETS ?= $(LOCALBIN)/k8s
export KUBEBUILDER_ASSETS = $(ENVTEST_ASSETS)

GO_BUILD_FLAGS ?= -trimpath -ldflags "-s -w"

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and RBAC from kubebuilder markers (hack/celgen writes the list-derived CEL rules first).
	go run ./hack/celgen
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object paths="./..."

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -l -w $$(git ls-files '*.go' | grep -v '^hack/controlplane/')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: verify
verify: manifests generate ## Fail when generated files or formatting drift from what is committed.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	@git diff --exit-code -- api config || { echo "generated files are out of date: run make manifests generate"; exit 1; }
	@# Test support lives apart (internal/testing, test/): the manager and the kubectl plugin never link it.
	@deps=$$(go list -deps . ./cmd/... | grep -E '/internal/testing/|/neo4j-operator/test/' || true); \
	test -z "$$deps" || { echo "the manager or the plugin depends on test support:"; echo "$$deps"; exit 1; }

.PHONY: test
test: manifests generate vet envtest ## Run unit tests and the Ginkgo envtest suites.
	go test ./... -count=1 -timeout 30m -coverpkg=./api/...,./controllers/...,./internal/... -coverprofile cover.out

.PHONY: test-calm
test-calm: manifests generate envtest ## The calm specs at full size: Neo4j polled every 5 s for 5 minutes, 0 API writes; users and roles rechecked every second for 5 minutes, 0 API and 0 Cypher writes (make test runs 60 polls and 5 rechecks).
	NEO4J_CALM_INTERVAL=5s NEO4J_CALM_DURATION=5m ACCESS_CALM_DURATION=5m go test ./controllers/... -count=1 -timeout 30m -ginkgo.focus="stays? calm"

.PHONY: neo4j-settings
neo4j-settings: ## Refresh the valid setting names from the Operations Manual: make neo4j-settings DOCS_OPERATIONS=<neo4j/docs-operations clone or bare mirror>, then commit.
	@test -n "$(DOCS_OPERATIONS)" || { echo "set DOCS_OPERATIONS to a clone (or bare mirror) of github.com/neo4j/docs-operations; branch 5.x is read for 5.26, dev for CalVer"; exit 1; }
	hack/neo4j-settings.sh "$(DOCS_OPERATIONS)"
	$(MAKE) manifests api-docs

.PHONY: api-docs
api-docs: manifests ## Regenerate docs/api.md (and docs/api-*.md of the other kinds) from the CRDs.
	go run ./hack/apidocs config/crd/bases/neo4j.graphops.dev_neo4jenterpriseclusters.yaml docs/api.md
	go run ./hack/apidocs config/crd/bases/neo4j.graphops.dev_neo4jbackups.yaml docs/api-neo4jbackup.md
	go run ./hack/apidocs config/crd/bases/neo4j.graphops.dev_neo4jbackupschedules.yaml docs/api-neo4jbackupschedule.md
	go run ./hack/apidocs config/crd/bases/neo4j.graphops.dev_neo4jusers.yaml docs/api-neo4juser.md
	go run ./hack/apidocs config/crd/bases/neo4j.graphops.dev_neo4jroles.yaml docs/api-neo4jrole.md

.PHONY: bench
bench: ## Run the Go benchmarks and write bench.txt.
	go test ./internal/... -run '^$$' -bench . -benchmem -count 5 | tee bench.txt

.PHONY: update-golden
update-golden: ## Regenerate golden files of rendered samples.
	go test ./internal/render/... ./internal/backup/ ./internal/helmmigrate/ -run Golden -update

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary.
	CGO_ENABLED=0 go build $(GO_BUILD_FLAGS) -o bin/manager .

.PHONY: run
run: manifests generate fmt vet ## Run the manager against the cluster of the current kubeconfig.
	go run ./main.go

.PHONY: docker-build
docker-build: ## Build the manager image (needs a docker engine).
	docker build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the manager image.
	docker push $(IMG)

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Remove the CRDs (this deletes every Neo4jEnterpriseCluster; PVCs are kept).
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy the operator with kustomize.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply -f -

.PHONY: undeploy
undeploy: kustomize ## Remove the operator AND its CRDs, which deletes every cluster object (PVCs are kept). To keep the CRDs, see docs/install.md.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

##@ Tools (cached by version under $${XDG_CACHE_HOME:-~/.cache}/neo4j-operator, linked into bin/)

.PHONY: controller-gen
controller-gen: ## Install controller-gen.
	@hack/tools.sh controller-gen

.PHONY: kustomize
kustomize: ## Install kustomize.
	@hack/tools.sh kustomize

.PHONY: ginkgo
ginkgo: ## Install the ginkgo CLI.
	@hack/tools.sh ginkgo

.PHONY: controlplane
controlplane: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok.
	@hack/tools.sh etcd kube kwok

.PHONY: envtest
envtest: ## Lay out the KUBEBUILDER_ASSETS folder (etcd, kube-apiserver).
	@hack/tools.sh etcd kube
	@mkdir -p $(ENVTEST_ASSETS)
	@ln -sfn $(LOCALBIN)/etcd $(ENVTEST_ASSETS)/etcd
	@ln -sfn $(LOCALBIN)/kube-apiserver $(ENVTEST_ASSETS)/kube-apiserver

# Packaging targets (bundle, bundle-validate, dist) live in their own file.
-include hack/bundle.mk
# Local cluster, demo and e2e targets live in their own file.
-include hack/e2e.mk
