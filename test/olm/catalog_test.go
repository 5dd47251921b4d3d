package olm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
	"github.com/graphops-dev/neo4j-operator/test/support/localcluster"
)

const (
	packageName = "neo4j-operator"
	channel     = "alpha"
	sourceName  = "neo4j-local"
	// previous is a copy of bundle/ under an older version, built by the
	// test; current is bundle/ itself, which replaces it.
	previous = "neo4j-operator.v0.0.9"
	current  = "neo4j-operator.v0.1.0"
)

// catalogFiles is a file-based catalog being served: the package, its
// channel and each bundle's olm.bundle blob (opm render of a bundle
// folder: the objects embedded as olm.bundle.object properties, and no
// image, so OLM installs without an unpack Job).
type catalogFiles struct {
	dir   string
	blobs map[string][]byte // by CSV name
}

// renderBundles renders bundle/ as current (replacing previous) and a copy
// of it as previous. Both run the same manager with the same Deployment: an
// upgrade that renders identical objects.
func renderBundles(ctx context.Context, tmp string) (*catalogFiles, error) {
	cf := &catalogFiles{dir: filepath.Join(tmp, "catalog"), blobs: map[string][]byte{}}
	for _, v := range []struct{ name, version, replaces string }{
		{previous, "0.0.9", ""},
		{current, "0.1.0", previous},
	} {
		folder := filepath.Join(tmp, v.name)
		if err := copyBundle(filepath.Join(testenv.RepoRoot(), "bundle"), folder); err != nil {
			return nil, err
		}
		if err := editCSV(folder, v.name, v.version, v.replaces); err != nil {
			return nil, err
		}
		out, err := exec.CommandContext(ctx, filepath.Join(testenv.BinDir(), "opm"), "render", folder, "-o", "json").Output()
		if err != nil {
			return nil, fmt.Errorf("opm render %s: %w", folder, err)
		}
		cf.blobs[v.name] = out
	}
	return cf, os.MkdirAll(filepath.Join(cf.dir, packageName), 0o755)
}

// copyBundle copies a bundle folder (manifests/ and metadata/).
func copyBundle(from, to string) error {
	return os.CopyFS(to, os.DirFS(from))
}

// editCSV renames the bundle's CSV and sets its version and replaces.
func editCSV(folder, name, version, replaces string) error {
	path := filepath.Join(folder, "manifests", "neo4j-operator.clusterserviceversion.yaml")
	if err := os.Chmod(path, 0o644); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	csv := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &csv.Object); err != nil {
		return err
	}
	csv.SetName(name)
	if err := unstructured.SetNestedField(csv.Object, version, "spec", "version"); err != nil {
		return err
	}
	if replaces != "" {
		if err := unstructured.SetNestedField(csv.Object, replaces, "spec", "replaces"); err != nil {
			return err
		}
	}
	out, err := yaml.Marshal(csv.Object)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// publish writes the catalog with the named bundles, in upgrade order, in
// the channel; each one replaces the one before.
func (cf *catalogFiles) publish(names ...string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(map[string]any{"schema": "olm.package", "name": packageName, "defaultChannel": channel}); err != nil {
		return err
	}
	var entries []map[string]string
	for i, n := range names {
		e := map[string]string{"name": n}
		if i > 0 {
			e["replaces"] = names[i-1]
		}
		entries = append(entries, e)
	}
	if err := enc.Encode(map[string]any{"schema": "olm.channel", "package": packageName, "name": channel, "entries": entries}); err != nil {
		return err
	}
	for _, n := range names {
		b.Write(cf.blobs[n])
		b.WriteString("\n")
	}
	return os.WriteFile(filepath.Join(cf.dir, packageName, "catalog.json"), b.Bytes(), 0o644)
}

// createCatalogSource points a CatalogSource in OLM's global namespace at
// the served catalog.
func createCatalogSource(addr string) error {
	cs := obj("operators.coreos.com/v1alpha1", "CatalogSource", localcluster.OLMNamespace, sourceName)
	cs.Object["spec"] = map[string]any{"sourceType": "grpc", "address": addr, "displayName": "neo4j-operator (loopback)"}
	return admin.Create(ctx, cs)
}

// obj is an empty object of a kind, for OLM's kinds (not in the scheme).
func obj(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}
