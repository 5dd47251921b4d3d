// Package operatorproc installs the operator into a local cluster the way it
// is deployed (CRDs, namespace, ServiceAccount and RBAC from
// `kustomize build config/default`) and runs the manager binary as its own
// process, under the ServiceAccount's identity, so the API server's audit
// log and RBAC see exactly what a deployed operator would do. It is shared
// by `make demo` and the e2e suites.
package operatorproc
