package localcluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// What Options.OLM sets up. The facts come from OLM v0.31.0's code (notes
// in docs/install.md, "What `make test-olm` proved, and what needs a real
// cluster"):
//   - the catalog operator serves a CatalogSource with spec.address by
//     dialling it: no registry pod, no Service;
//   - a bundle whose objects are embedded in the catalog (olm.bundle.object
//     properties, and no image) is installed without an unpack Job;
//   - neither operator needs the packageserver, webhooks or leader election;
//   - both wrap their clients in a check that panics on unlabelled creates
//     when CI is set in their environment (validatingroundtripper), so it is
//     removed from theirs;
//   - olm reads its kubeconfig from KUBECONFIG only (no flag);
//   - both bind :8080 for their metrics, with no flag; the second one logs
//     the failure and carries on.
const (
	// OLMNamespace is the catalog operator's global namespace: a
	// CatalogSource there is visible to Subscriptions in every namespace.
	OLMNamespace = "olm"
	// OperatorsNamespace holds the global OperatorGroup (AllNamespaces).
	OperatorsNamespace = "operators"
	// GlobalOperatorGroup is the OperatorGroup of OperatorsNamespace.
	GlobalOperatorGroup = "global-operators"
)

// olmComponents are the binaries Options.OLM needs, by file name.
var olmComponents = []string{"olm", "catalog", "opm", "olm-crds"}

// startOLM creates OLM's CRDs and base objects and starts its operators.
func (c *Cluster) startOLM(ctx context.Context) error {
	crds, err := c.createOLMCRDs(ctx)
	if err != nil {
		return err
	}
	if err := c.waitFor(ctx, func(ctx context.Context) (bool, error) { return Established(ctx, c.Client, crds...) }); err != nil {
		return fmt.Errorf("OLM's CRDs established: %w", err)
	}
	for _, ns := range []string{OLMNamespace, OperatorsNamespace} {
		if err := c.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	og := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup",
		"metadata": map[string]any{"namespace": OperatorsNamespace, "name": GlobalOperatorGroup},
		"spec":     map[string]any{},
	}}
	if err := c.Client.Create(ctx, og); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	env := append(withoutEnv(os.Environ(), "CI"), "KUBECONFIG="+c.Kubeconfig)
	if err := c.startWithEnv("olm", []string{"--namespace=" + OLMNamespace}, env); err != nil {
		return err
	}
	return c.startWithEnv("catalog", []string{"--namespace=" + OLMNamespace, "--kubeconfig=" + c.Kubeconfig}, env)
}

// createOLMCRDs creates every CRD in BinDir/olm-crds and returns their
// names. Create, not client-side apply: the CSV CRD (773 kB) would not fit
// the last-applied annotation.
func (c *Cluster) createOLMCRDs(ctx context.Context) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(c.opts.BinDir, "olm-crds", "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no CRDs in %s: %v", filepath.Join(c.opts.BinDir, "olm-crds"), err)
	}
	var names []string
	for _, f := range files {
		objs, err := decodeFile(f)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if err := c.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
			names = append(names, o.GetName())
		}
	}
	return names, nil
}

// decodeFile reads the objects of a YAML or JSON file.
func decodeFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// withoutEnv drops the named variables from an environment.
func withoutEnv(env []string, names ...string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, name)
	})
}

// Catalog is a file-based catalog served by `opm serve`, for a
// CatalogSource's spec.address (127.0.0.1:<port>; opm listens on every
// interface).
type Catalog struct {
	// Addr is host:port, for spec.address.
	Addr string
	dir  string
	c    *Cluster
	p    *process
}

// ServeCatalog serves the file-based catalog in dir (opm serve) on a free
// port and returns once it accepts connections on loopback. It stops with the
// cluster. The bundles must embed their objects and name no image, or OLM
// would unpack them with a Job, which needs a container.
func (c *Cluster) ServeCatalog(ctx context.Context, dir string) (*Catalog, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	cat := &Catalog{Addr: "127.0.0.1:" + strconv.Itoa(ports[0]), dir: dir, c: c}
	return cat, cat.start(ctx)
}

// Reload serves the catalog's folder again, on the same address: opm
// reads a catalog once, at start. The catalog operator reconnects by
// itself.
func (cat *Catalog) Reload(ctx context.Context) error {
	cat.p.stop(5 * time.Second)
	// An exited component fails every wait: this one exited on purpose.
	cat.c.procs = slices.DeleteFunc(cat.c.procs, func(p *process) bool { return p == cat.p })
	return cat.start(ctx)
}

func (cat *Catalog) start(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(cat.Addr)
	// --pprof-addr "": its default (localhost:6060) is fatal when taken;
	// -t: the termination log's default is /dev/termination-log. No
	// --cache-dir: with one, opm refuses a cache the catalog's new content
	// invalidated (Reload); without, its temporary cache goes when it exits.
	args := []string{"serve", cat.dir, "-p", port, "--pprof-addr=", "-t", os.DevNull}
	p, err := startProcess("opm", filepath.Join(cat.c.opts.BinDir, "opm"), args, cat.c.Dir, nil)
	if err != nil {
		return err
	}
	cat.p = p
	cat.c.procs = append(cat.c.procs, p)
	ctx, cancel := context.WithTimeout(ctx, cat.c.opts.StartTimeout)
	defer cancel()
	return cat.c.waitFor(ctx, func(ctx context.Context) (bool, error) {
		if p.exited() {
			return false, p.exitError()
		}
		conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", cat.Addr)
		if err != nil {
			return false, nil
		}
		_ = conn.Close()
		return true, nil
	})
}
