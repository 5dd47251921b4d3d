package apply

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Every object the renderer makes is of a kind in the table, so the write
// path, the watches, the cache and pruning all know it.
func TestEveryRenderedKindIsInTheTable(t *testing.T) {
	c := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Name: "g", Namespace: "ns"}}
	c.Spec.AcceptLicenseAgreement = "eval"
	c.Spec.Topology = v1alpha1.Topology{Primaries: 3, Secondaries: 1}
	c.Spec.TLS.Bolt = &v1alpha1.BoltTLS{TLSCertificate: v1alpha1.TLSCertificate{IssuerRef: &v1alpha1.IssuerRef{Name: "ca"}}}
	// Both monitors, which admission refuses together: every kind renders.
	c.Spec.Monitoring = v1alpha1.MonitoringSpec{ServiceMonitor: &v1alpha1.PrometheusMonitor{}, PodMonitor: &v1alpha1.PrometheusMonitor{}}
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

func TestInstalledKinds(t *testing.T) {
	without := Required()
	if Has(without, "Certificate") || Has(without, "ServiceMonitor") || len(without) != len(Kinds)-3 {
		t.Errorf("without cert-manager and the Prometheus Operator: %d kinds", len(without))
	}
	with, err := Installed(func(gvk schema.GroupVersionKind) (bool, error) { return gvk == render.CertificateGVK, nil })
	if err != nil || !Has(with, "Certificate") || Has(with, "PodMonitor") || len(with) != len(Kinds)-2 {
		t.Errorf("with cert-manager only: %d kinds, %v", len(with), err)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(render.CertificateGVK)
	if k, err := KindOf(u); err != nil || k.Name != "Certificate" {
		t.Errorf("KindOf(Certificate) = %v, %v", k.Name, err)
	}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"})
	if _, err := KindOf(u); err == nil {
		t.Error("an unstructured object of another kind is not owned")
	}
}

// Fields another controller set in a Certificate's spec stay; the
// operator's own are set.
func TestMutateSpecFieldsKeepsOthers(t *testing.T) {
	live := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"secretName": "old", "revisionHistoryLimit": int64(3)}}}
	desired := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"secretName": "new", "dnsNames": []any{"a"}}}}
	mutateSpecFields(live, desired, nil)
	want := map[string]any{"secretName": "new", "dnsNames": []any{"a"}, "revisionHistoryLimit": int64(3)}
	if !reflect.DeepEqual(live.Object["spec"], want) {
		t.Errorf("spec = %v, want %v", live.Object["spec"], want)
	}
}
