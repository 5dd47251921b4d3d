package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}()

// loadSample decodes a file of config/samples strictly, so a typo in a
// sample fails here.
func loadSample(t testing.TB, path string) *v1alpha1.Neo4jEnterpriseCluster {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &v1alpha1.Neo4jEnterpriseCluster{}
	if err := yaml.UnmarshalStrict(data, c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c.Namespace = "neo4j"
	return c
}

func samples(t testing.TB) []string {
	paths, err := filepath.Glob("../../config/samples/neo4j_v1alpha1_neo4jenterprisecluster_*.yaml")
	if err != nil || len(paths) < 3 {
		t.Fatalf("want at least 3 samples, found %d (%v)", len(paths), err)
	}
	return paths
}

func mustRender(t testing.TB, c *v1alpha1.Neo4jEnterpriseCluster) *render.Objects {
	t.Helper()
	o, err := render.Render(c)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// toYAML prints every rendered object, with its kind, as one YAML stream.
func toYAML(t testing.TB, o *render.Objects) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, obj := range o.All() {
		gvk, err := apiutil.GVKForObject(obj, scheme)
		if err != nil {
			t.Fatal(err)
		}
		obj = obj.DeepCopyObject().(client.Object)
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		data, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, path := range samples(t) {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "neo4j_v1alpha1_neo4jenterprisecluster_"), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := toYAML(t, mustRender(t, loadSample(t, path)))
			golden := filepath.Join("testdata", "golden", name+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run make update-golden)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("rendered %s differs from %s; if intended, run make update-golden and review the diff", name, golden)
			}
		})
	}
}
