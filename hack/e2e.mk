##@ Local cluster, demo and end-to-end tests

# A real control plane on 127.0.0.1 (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok fake nodes), started by
# test/support/localcluster from the binaries `make controlplane` links into
# $(LOCALBIN). See test/cmd/localcluster/main.go for the flags.
LOCALCLUSTER_ARGS ?= -kubeconfig $(LOCALBIN)/localcluster.kubeconfig
E2E_TIMEOUT ?= 20m
E2E_ARGS ?=
# Extra flags for test/cmd/demo (`bin/demo -h` lists them). DEMO_TIMEOUT is read
# from the environment: `DEMO_TIMEOUT=120 make demo` succeeds as soon as the
# cluster is Ready and fails if it is not Ready in 120 s.
DEMO_ARGS ?=

.PHONY: manager-binary
manager-binary: ## Build bin/manager only (no manifests/generate/fmt/vet, unlike `make build`).
	CGO_ENABLED=0 go build $(GO_BUILD_FLAGS) -o $(LOCALBIN)/manager .

.PHONY: localcluster
localcluster: controlplane ## Run a local cluster until Ctrl-C; its kubeconfig is bin/localcluster.kubeconfig.
	LOCALCLUSTER_BIN_DIR=$(LOCALBIN) go run ./test/cmd/localcluster $(LOCALCLUSTER_ARGS)

# The demo is built, then run, rather than `go run`: on Ctrl-C `go run`
# exits 1 even when the program stopped cleanly, and make would report a
# failed target.
.PHONY: demo
demo: controlplane kustomize manager-binary ## Run the operator on a local cluster with a 3+2 server Neo4j cluster until Ctrl-C (docs/demo.md).
	go build -o $(LOCALBIN)/demo ./test/cmd/demo
	LOCALCLUSTER_BIN_DIR=$(LOCALBIN) $(LOCALBIN)/demo -root $(CURDIR) -bin-dir $(LOCALBIN) $(DEMO_ARGS)

.PHONY: test-e2e
test-e2e: controlplane kustomize manager-binary ## Run the end-to-end suites (test/e2e/...) against local clusters.
	E2E=1 LOCALCLUSTER_BIN_DIR=$(LOCALBIN) go test ./test/e2e/... -count=1 -timeout $(E2E_TIMEOUT) -v $(E2E_ARGS)

# The scale benchmark (test/cmd/benchscale): N clusters of 3+2 servers on a local
# API server, the operator out of process. N=1000 is the full size (about 30
# minutes here); N=100 a quick run; .ci/run runs N=20 with a short steady
# state. Reports: bench/scale-<N>.json and .md.
N ?= 1000
BENCH_SCALE_ARGS ?=

.PHONY: bench-scale
bench-scale: controlplane kustomize manager-binary ## Scale benchmark: make bench-scale [N=1000] [BENCH_SCALE_ARGS="-steady 10m -unrelated 10000 ..."]; writes bench/scale-<N>.{json,md,png}.
	go build -o $(LOCALBIN)/naiveoperator ./test/cmd/naiveoperator
	LOCALCLUSTER_BIN_DIR=$(LOCALBIN) go run ./test/cmd/benchscale -n $(N) $(BENCH_SCALE_ARGS)

.PHONY: bench-scale-smoke
bench-scale-smoke: controlplane kustomize manager-binary ## The benchmark at N=20, 10 s steady states (without and with the Bolt poller) and 100 unrelated objects (CI: proves it runs; reports to bin/bench).
	go build -o $(LOCALBIN)/naiveoperator ./test/cmd/naiveoperator
	LOCALCLUSTER_BIN_DIR=$(LOCALBIN) go run ./test/cmd/benchscale -n 20 -checkpoints 10 -batch 10 -steady 10s -poller-steady 10s -unrelated 100 -out $(LOCALBIN)/bench

.PHONY: olm-tools
olm-tools: ## Build OLM's olm and catalog operators (v0.31.0) and opm (v1.50.0) from hack/controlplane/olm, with OLM's CRDs (bin/olm-crds).
	@hack/tools.sh olm

.PHONY: test-olm
test-olm: controlplane olm-tools operator-sdk manager-binary ## Install the bundle with OLM's own operators on a local cluster: every install mode, an upgrade, an uninstall (test/olm).
	OLM=1 LOCALCLUSTER_BIN_DIR=$(LOCALBIN) go test ./test/olm/ -count=1 -timeout 20m -v -ginkgo.timeout=18m $(OLM_ARGS)
