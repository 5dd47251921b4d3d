package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// The suite's API server has stand-ins for the Prometheus Operator's
// ServiceMonitor and PodMonitor CRDs (test/crds) and no Prometheus
// Operator.
var _ = Describe("Monitoring", func() {
	get := func(gvk schema.GroupVersionKind, c *v1alpha1.Neo4jEnterpriseCluster) (*unstructured.Unstructured, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		return u, env.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Name}, u)
	}
	gone := func(gvk schema.GroupVersionKind, c *v1alpha1.Neo4jEnterpriseCluster) func() bool {
		return func() bool { _, err := get(gvk, c); return apierrors.IsNotFound(err) }
	}

	It("serves every server's metrics, and creates, switches and prunes the monitor asked for", func() {
		c := newCluster(managedNS, "monitored", 3, 1)
		c.Spec.Monitoring.ServiceMonitor = &v1alpha1.PrometheusMonitor{Labels: map[string]string{"release": "prom"}}
		Expect(env.Client.Create(ctx, c)).To(Succeed())

		By("the metrics Service: headless, every server, port 2004")
		svc := &corev1.Service{}
		Eventually(func() error {
			return env.Client.Get(ctx, client.ObjectKey{Namespace: managedNS, Name: "monitored-metrics"}, svc)
		}, timeout, interval).Should(Succeed())
		Expect(svc.Spec.ClusterIP).To(Equal(corev1.ClusterIPNone))
		Expect(svc.Spec.Selector).To(Equal(map[string]string{render.LabelCluster: "monitored"}))
		Expect(svc.Spec.Ports).To(HaveLen(1))
		Expect(svc.Spec.Ports[0].Port).To(Equal(int32(2004)))

		By("the ServiceMonitor, owned, selecting that Service, keeping cluster, role and server")
		var sm *unstructured.Unstructured
		Eventually(func() (err error) { sm, err = get(render.ServiceMonitorGVK, c); return err }, timeout, interval).Should(Succeed())
		Expect(metav1.IsControlledBy(sm, getCluster(c))).To(BeTrue())
		Expect(sm.GetLabels()).To(HaveKeyWithValue("release", "prom"))
		sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
		Expect(sel).To(Equal(map[string]string{render.LabelCluster: "monitored", render.LabelService: "metrics"}))
		eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		Expect(eps).To(HaveLen(1))
		ep := eps[0].(map[string]any)
		Expect(ep["port"]).To(Equal("metrics"))
		Expect(ep["interval"]).To(Equal("30s"))
		Expect(ep["relabelings"]).To(HaveLen(3))

		By("settled: nothing is written")
		waitSettled(c)
		Eventually(func() map[string]string { return resourceVersions(owned(c)) }, timeout, interval).Should(HaveKey("ServiceMonitor/monitored"))
		before, clusterRV := resourceVersions(owned(c)), getCluster(c).ResourceVersion
		Consistently(func() string { return getCluster(c).ResourceVersion }, "2s", "200ms").Should(Equal(clusterRV))
		Expect(resourceVersions(owned(c))).To(Equal(before))

		By("switched to a PodMonitor: the ServiceMonitor is pruned")
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) {
			f.Spec.Monitoring = v1alpha1.MonitoringSpec{PodMonitor: &v1alpha1.PrometheusMonitor{Interval: "15s"}}
		})
		Eventually(gone(render.ServiceMonitorGVK, c), timeout, interval).Should(BeTrue())
		Eventually(func(g Gomega) {
			pm, err := get(render.PodMonitorGVK, c)
			g.Expect(err).NotTo(HaveOccurred())
			eps, _, _ := unstructured.NestedSlice(pm.Object, "spec", "podMetricsEndpoints")
			g.Expect(eps).To(HaveLen(1))
			g.Expect(eps[0].(map[string]any)["interval"]).To(Equal("15s"))
		}, timeout, interval).Should(Succeed())

		By("monitoring removed: the PodMonitor is pruned, the metrics Service stays")
		updateCluster(c, func(f *v1alpha1.Neo4jEnterpriseCluster) { f.Spec.Monitoring = v1alpha1.MonitoringSpec{} })
		Eventually(gone(render.PodMonitorGVK, c), timeout, interval).Should(BeTrue())
		Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: managedNS, Name: "monitored-metrics"}, svc)).To(Succeed())
	})
})
