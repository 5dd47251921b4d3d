// Package testenv starts a real etcd and kube-apiserver (controller-runtime's
// envtest) with the operator's CRDs, for the Ginkgo suites. The binaries
// come from KUBEBUILDER_ASSETS, which `make envtest` lays out from the
// project's own builds; nothing is downloaded.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	apiruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Scheme knows the built-in kinds and the operator's.
var Scheme = func() *apiruntime.Scheme {
	s := apiruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// Env is a running API server.
type Env struct {
	env    *envtest.Environment
	Config *rest.Config
	Client client.Client
}

// TestCRDs is the folder of other projects' CRDs written for the tests.
func TestCRDs() string { return filepath.Join(RepoRoot(), "test", "crds") }

// BinDir is the folder of the local control plane's binaries and the
// manager: $LOCALCLUSTER_BIN_DIR, else the repository's bin/ (what the
// Makefile's LOCALBIN is).
func BinDir() string {
	if d := os.Getenv("LOCALCLUSTER_BIN_DIR"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "bin")
}

// RepoRoot is the project's root folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..") // internal/testing/testenv
}

// Start boots etcd and kube-apiserver with the CRDs of config/crd/bases
// and those of the extra folders (test/crds: other projects' CRDs, for
// the optional kinds).
func Start(extraCRDDirs ...string) (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run the tests with `make test`, which builds etcd and kube-apiserver and sets it")
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     append([]string{filepath.Join(RepoRoot(), "config", "crd", "bases")}, extraCRDDirs...),
		ErrorIfCRDPathMissing: true,
	}
	// Every server has an internals Service with a cluster IP: envtest's
	// default /24 holds 254, fewer than the suites create.
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.0.0.0/16")
	cfg, err := env.Start()
	if err != nil {
		// envtest may have started etcd and kube-apiserver before failing
		// (a CRD the server refuses, say): do not leave them running.
		_ = env.Stop()
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: Scheme})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("creating a client: %w", err)
	}
	return &Env{env: env, Config: cfg, Client: c}, nil
}

// Stop shuts the API server and etcd down.
func (e *Env) Stop() error { return e.env.Stop() }

// KubeConfig is a kubeconfig file's content for the API server, as an
// admin.
func (e *Env) KubeConfig() []byte { return e.env.KubeConfig }
