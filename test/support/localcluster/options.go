package localcluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// Options shape a cluster. The zero value is a usable default: three nodes,
// ten volumes each for claims without a class and for class "standard".
type Options struct {
	// Nodes is the number of fake kwok nodes; default 3 (one per replica of
	// a three-member cluster, so hostname anti-affinity can be satisfied).
	Nodes int

	// StorageClasses are the storageClassName values that pre-created
	// PersistentVolumes carry; default "" and "standard". "" serves claims
	// that name no class: there is deliberately no default StorageClass, so
	// such claims keep storageClassName unset and the binder matches them
	// with volumes of class "". A non-default StorageClass object (no
	// provisioner, immediate binding) is created for each non-empty name.
	StorageClasses []string
	// PersistentVolumes is how many volumes to create per class; default 10.
	// Nothing provisions volumes here, so a claim binds only to one of these
	// (see Cluster.AddPersistentVolumes for more).
	PersistentVolumes int
	// PersistentVolumeSize is each volume's capacity; default "100Gi". A
	// claim binds to a volume at least as large as its request.
	PersistentVolumeSize string

	// BinDir holds etcd, kube-apiserver, kube-controller-manager,
	// kube-scheduler and kwok. Default: $LOCALCLUSTER_BIN_DIR, else bin/ of
	// the nearest enclosing folder that has a go.mod (the project's LOCALBIN,
	// filled by `make controlplane`).
	BinDir string
	// TempDir is where the cluster's own folder is created; default
	// os.TempDir().
	TempDir string
	// Keep leaves the cluster's folder after Stop even when the run
	// succeeded. A failed run (Start failed, or MarkFailed was called) always
	// keeps it. LOCALCLUSTER_KEEP=1 in the environment has the same effect.
	Keep bool

	// Scheme is used by Cluster.Client; default client-go's scheme.
	Scheme *runtime.Scheme
	// Log receives one line per start-up step with its duration; default
	// none.
	Log io.Writer
	// APIServerOnly starts etcd and kube-apiserver only: no controller
	// manager, scheduler, kwok, nodes or volumes. StatefulSets then get no
	// pods; an operator's own writes and reads are all there is, as a scale
	// benchmark of the operator wants.
	APIServerOnly bool
	// AuditReads logs get, list and watch requests too (at Metadata level,
	// like writes), for counting an operator's reads.
	AuditReads bool

	// OLM also starts OLM's olm and catalog operators (BinDir/olm and
	// BinDir/catalog, with the CRDs of BinDir/olm-crds; make olm-tools
	// builds them), out of process as the admin, with namespaces olm and
	// operators and the global OperatorGroup operators/global-operators.
	// Catalogs are served with ServeCatalog (BinDir/opm). Nothing here
	// runs a container: a CatalogSource must point at a served catalog by
	// spec.address, and its bundles must embed their objects.
	OLM bool

	// StartTimeout bounds the whole start-up; default 90s. A start takes
	// 4-5 s on a 2-core machine; the margin is for a machine busy compiling.
	StartTimeout time.Duration
}

// components are the binaries a cluster needs, by file name.
var components = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

func (o Options) withDefaults() (Options, error) {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.StorageClasses == nil {
		o.StorageClasses = []string{"", "standard"}
	}
	if o.PersistentVolumes == 0 {
		o.PersistentVolumes = 10
	}
	if o.PersistentVolumeSize == "" {
		o.PersistentVolumeSize = "100Gi"
	}
	if o.Scheme == nil {
		o.Scheme = clientgoscheme.Scheme
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 90 * time.Second
	}
	if os.Getenv("LOCALCLUSTER_KEEP") == "1" {
		o.Keep = true
	}
	if o.BinDir == "" {
		o.BinDir = os.Getenv("LOCALCLUSTER_BIN_DIR")
	}
	if o.BinDir == "" {
		dir, err := moduleBinDir()
		if err != nil {
			return o, err
		}
		o.BinDir = dir
	}
	for _, c := range components {
		if _, err := os.Stat(filepath.Join(o.BinDir, c)); err != nil {
			return o, fmt.Errorf("%s not found in %s (run `make controlplane`, or set LOCALCLUSTER_BIN_DIR): %w", c, o.BinDir, err)
		}
	}
	if o.OLM {
		for _, c := range olmComponents {
			if _, err := os.Stat(filepath.Join(o.BinDir, c)); err != nil {
				return o, fmt.Errorf("%s not found in %s (run `make olm-tools`): %w", c, o.BinDir, err)
			}
		}
	}
	return o, nil
}

// moduleBinDir finds bin/ of the nearest go.mod above the working directory,
// so `go test` of a package deep in the tree finds the project's binaries.
func moduleBinDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "bin"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; set Options.BinDir or LOCALCLUSTER_BIN_DIR")
		}
		dir = parent
	}
}
