package apply

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// Every write through the counted client is counted once, by kind and
// verb, and per cluster when asked; a refused write and a read are not.
func TestCountedCountsEveryWriteOnce(t *testing.T) {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	cl := &v1alpha1.Neo4jEnterpriseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "counted", Name: "g"}}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "counted", Name: "g-conf", Labels: map[string]string{render.LabelCluster: "g"}}}
	foreign := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "counted", Name: "other"}}
	raw := fake.NewClientBuilder().WithScheme(s).WithObjects(cl).WithStatusSubresource(cl).Build()
	c := Counted(raw, true)
	if Counted(c, true) != c {
		t.Error("a counted client was wrapped twice: every write would count twice")
	}
	ctx := context.Background()
	write := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	before := func(kind, verb string) float64 { return testutil.ToFloat64(Writes.WithLabelValues(kind, verb)) }
	cmCreate, cmUpdate, cmDelete := before("ConfigMap", "create"), before("ConfigMap", "update"), before("ConfigMap", "delete")
	status, perCluster := before("Neo4jEnterpriseCluster", "status"), testutil.ToFloat64(ClusterWrites.WithLabelValues("counted", "g"))
	write(c.Create(ctx, cm))
	write(c.Create(ctx, foreign))
	if err := c.Create(ctx, cm.DeepCopy()); err == nil {
		t.Fatal("a second create of the same ConfigMap succeeded")
	}
	cm.Data = map[string]string{"k": "v"}
	write(c.Update(ctx, cm))
	write(c.Get(ctx, client.ObjectKeyFromObject(cl), cl))
	cl.Status.Phase = v1alpha1.PhaseReady
	write(c.Status().Update(ctx, cl))
	write(c.Delete(ctx, cm))
	for _, tc := range []struct {
		kind, verb string
		was, want  float64
	}{
		{"ConfigMap", "create", cmCreate, 2}, {"ConfigMap", "update", cmUpdate, 1}, {"ConfigMap", "delete", cmDelete, 1},
		{"Neo4jEnterpriseCluster", "status", status, 1},
	} {
		if got := before(tc.kind, tc.verb) - tc.was; got != tc.want {
			t.Errorf("%s %s: %v writes counted, want %v", tc.kind, tc.verb, got, tc.want)
		}
	}
	// The cluster's ConfigMap (create, update, delete) and its status; not
	// the foreign ConfigMap, nor the refused create.
	if got := testutil.ToFloat64(ClusterWrites.WithLabelValues("counted", "g")) - perCluster; got != 4 {
		t.Errorf("%v writes counted for the cluster, want 4", got)
	}
}
