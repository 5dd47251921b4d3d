package controllers_test

import (
	"encoding/json"
	"fmt"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/controllers"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/render"
	"github.com/graphops-dev/neo4j-operator/internal/testing/testenv"
)

const (
	timeout  = 20 * time.Second
	interval = 50 * time.Millisecond
)

func newCluster(ns, name string, primaries, secondaries int32) *v1alpha1.Neo4jEnterpriseCluster {
	return &v1alpha1.Neo4jEnterpriseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.Neo4jEnterpriseClusterSpec{
			AcceptLicenseAgreement: "eval",
			Topology:               v1alpha1.Topology{Primaries: primaries, Secondaries: secondaries},
		},
	}
}

func key(o client.Object) types.NamespacedName { return client.ObjectKeyFromObject(o) }

func getCluster(c *v1alpha1.Neo4jEnterpriseCluster) *v1alpha1.Neo4jEnterpriseCluster {
	out := &v1alpha1.Neo4jEnterpriseCluster{}
	ExpectWithOffset(1, env.Client.Get(ctx, key(c), out)).To(Succeed())
	return out
}

// updateCluster changes the spec the way a user does: fresh read, edit,
// update, retried on conflict.
func updateCluster(c *v1alpha1.Neo4jEnterpriseCluster, edit func(*v1alpha1.Neo4jEnterpriseCluster)) {
	EventuallyWithOffset(1, func() error {
		fresh := getCluster(c)
		edit(fresh)
		return env.Client.Update(ctx, fresh)
	}, timeout, interval).Should(Succeed())
}

func sts(c *v1alpha1.Neo4jEnterpriseCluster, role string) *appsv1.StatefulSet {
	out := &appsv1.StatefulSet{}
	ExpectWithOffset(1, env.Client.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Name + "-" + role}, out)).To(Succeed())
	return out
}

// owned lists every object the cluster controls, by kind/name, from the API
// server (not a cache).
func owned(c *v1alpha1.Neo4jEnterpriseCluster) map[string]client.Object {
	out := map[string]client.Object{}
	lists := []client.ObjectList{&appsv1.StatefulSetList{}, &corev1.ServiceList{}, &corev1.ConfigMapList{},
		&corev1.ServiceAccountList{}, &rbacv1.RoleList{}, &rbacv1.RoleBindingList{}, &policyv1.PodDisruptionBudgetList{}}
	for _, gvk := range []schema.GroupVersionKind{render.CertificateGVK, render.ServiceMonitorGVK, render.PodMonitorGVK} {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		lists = append(lists, l)
	}
	fresh := getCluster(c)
	for _, l := range lists {
		ExpectWithOffset(1, env.Client.List(ctx, l, client.InNamespace(c.Namespace))).To(Succeed())
		items, err := meta.ExtractList(l)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		for _, it := range items {
			o := it.(client.Object)
			if metav1.IsControlledBy(o, fresh) {
				gvk, _ := apiutil.GVKForObject(o, testenv.Scheme)
				out[gvk.Kind+"/"+o.GetName()] = o
			}
		}
	}
	return out
}

func resourceVersions(objs map[string]client.Object) map[string]string {
	out := map[string]string{}
	for k, o := range objs {
		out[k] = o.GetResourceVersion()
	}
	return out
}

// sum adds up every series of a counter vector whose labels match.
func sum(vec *prometheus.CounterVec, match func(labels map[string]string) bool) float64 {
	ch := make(chan prometheus.Metric, 256)
	go func() { vec.Collect(ch); close(ch) }()
	total := 0.0
	for m := range ch {
		var d dto.Metric
		_ = m.Write(&d)
		labels := map[string]string{}
		for _, l := range d.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if match(labels) {
			total += d.GetCounter().GetValue()
		}
	}
	return total
}

func all(map[string]string) bool { return true }

// specWrites counts creates, updates and deletes of owned objects (not
// status writes).
func specWrites() float64 {
	return sum(apply.Writes, func(l map[string]string) bool { return l["verb"] != "status" })
}

func allWrites() float64 { return sum(apply.Writes, all) }

// clusterWrites are the writes of one cluster's objects and status: other
// clusters of the suite may be reconciled meanwhile (one whose Service
// account another object squats retries every 30 s).
func clusterWrites(c *v1alpha1.Neo4jEnterpriseCluster) float64 {
	return sum(apply.ClusterWrites, func(l map[string]string) bool { return l["namespace"] == c.Namespace && l["name"] == c.Name })
}

func writesOf(kind, verb string) float64 {
	return sum(apply.Writes, func(l map[string]string) bool { return l["kind"] == kind && l["verb"] == verb })
}

func conflictsOf(kind string) float64 {
	return sum(apply.WriteConflicts, func(l map[string]string) bool { return l["kind"] == kind })
}

// reconcileCount is how many times the cluster was reconciled, by the
// manager or by hand. Per cluster: other specs' clusters may be woken by
// their own timers at any moment.
func reconcileCount(c *v1alpha1.Neo4jEnterpriseCluster) float64 {
	return sum(controllers.ClusterReconciles, func(l map[string]string) bool { return l["namespace"] == c.Namespace && l["name"] == c.Name })
}

// directReconciler drives Reconcile by hand, through the given client.
func directReconciler(c client.Client) *controllers.Neo4jEnterpriseClusterReconciler {
	return &controllers.Neo4jEnterpriseClusterReconciler{Client: apply.Counted(c, true), APIReader: c, Scheme: testenv.Scheme}
}

func reconcileNow(r reconcile.Reconciler, c *v1alpha1.Neo4jEnterpriseCluster) {
	_, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: key(c)})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
}

// events lists the Events about a cluster, as "Type/Reason: note"; an
// event the recorder folded into a series appears once per occurrence.
func events(c *v1alpha1.Neo4jEnterpriseCluster) []string {
	list := &eventsv1.EventList{}
	ExpectWithOffset(1, env.Client.List(ctx, list, client.InNamespace(c.Namespace))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Name == c.Name && e.Regarding.Kind == "Neo4jEnterpriseCluster" {
			n := 1
			if e.Series != nil {
				n = int(e.Series.Count) // counts the first occurrence too
			}
			for range n {
				out = append(out, fmt.Sprintf("%s/%s: %s", e.Type, e.Reason, e.Note))
			}
		}
	}
	return out
}

// waitSettled waits until the cluster's objects exist and its status
// describes the current generation.
func waitSettled(c *v1alpha1.Neo4jEnterpriseCluster) {
	EventuallyWithOffset(1, func(g Gomega) {
		fresh := getCluster(c)
		g.Expect(fresh.Status.ObservedGeneration).To(Equal(fresh.Generation))
		g.Expect(meta.FindStatusCondition(fresh.Status.Conditions, v1alpha1.ConditionReady)).NotTo(BeNil())
	}, timeout, interval).Should(Succeed())
}

func desiredNames(c *v1alpha1.Neo4jEnterpriseCluster) []string {
	objs, err := render.Render(getCluster(c))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	var out []string
	for _, o := range objs.All() {
		gvk, _ := apiutil.GVKForObject(o, testenv.Scheme)
		out = append(out, gvk.Kind+"/"+o.GetName())
	}
	return out
}

func toJSON(o client.Object) string {
	data, err := json.Marshal(o)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return string(data)
}

func reconcileRequest(o client.Object) reconcile.Request {
	return reconcile.Request{NamespacedName: key(o)}
}
