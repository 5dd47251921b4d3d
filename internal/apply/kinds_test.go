package apply

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Every object the renderer makes is of a kind in the table, so the write
// path, the watches, the cache and pruning all know it.
func TestEveryRenderedKindIsInTheTable(t *testing.T) {
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Name: "g", Namespace: "ns"}}
	c.Spec.AcceptLicenseAgreement = "eval"
	c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 1}
	objs, err := render.Render(c)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range objs.All() {
		k, err := KindOf(o)
		if err != nil {
			t.Fatal(err)
		}
		seen[k.Name] = true
	}
	if len(seen) != len(Kinds) {
		t.Errorf("rendered kinds %v, table has %d", seen, len(Kinds))
	}
	if _, err := KindOf(&corev1.Secret{}); err == nil {
		t.Error("Secrets are not owned (the auth Secret carries no owner reference)")
	}
}

func TestContentChanged(t *testing.T) {
	a := &corev1.ConfigMap{Data: map[string]string{"k": "1"}}
	b := a.DeepCopy()
	b.Labels = map[string]string{"foreign": "x"}
	if ContentChanged(a, b) {
		t.Error("a label is not content the operator owns")
	}
	b.Data["k"] = "2"
	if !ContentChanged(a, b) {
		t.Error("data is")
	}
}
