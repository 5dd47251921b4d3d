##@ Local cluster and end-to-end tests

# A real control plane on 127.0.0.1 (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok fake nodes), started by
# internal/localcluster from the binaries `make controlplane` links into
# $(LOCALBIN). See hack/localcluster/main.go for the flags.
LOCALCLUSTER_ARGS ?= -kubeconfig $(LOCALBIN)/localcluster.kubeconfig
E2E_TIMEOUT ?= 20m
E2E_ARGS ?=

.PHONY: localcluster
localcluster: controlplane ## Run a local cluster until Ctrl-C; its kubeconfig is bin/localcluster.kubeconfig.
	LOCALCLUSTER_BIN_DIR=$(LOCALBIN) go run ./hack/localcluster $(LOCALCLUSTER_ARGS)

.PHONY: test-e2e
test-e2e: controlplane ## Run the end-to-end suites (test/e2e/...) against local clusters.
	E2E=1 LOCALCLUSTER_BIN_DIR=$(LOCALBIN) go test ./test/e2e/... -count=1 -timeout $(E2E_TIMEOUT) -v $(E2E_ARGS)
