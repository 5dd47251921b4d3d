package render

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// The Prometheus Operator's kinds, built as unstructured objects: the
// operator does not depend on its Go module and runs without it.
var (
	ServiceMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}
	PodMonitorGVK     = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PodMonitor"}
)

// ServiceMetrics marks the metrics Service.
const ServiceMetrics = "metrics"

// MetricsServiceName is the Service in front of every server's metrics.
func MetricsServiceName(c *v1alpha1.Neo4jEnterpriseCluster) string { return c.Name + "-metrics" }

// metricsService is headless: a scraper reaches every server by its
// endpoint, never one server through a virtual IP. Only ready servers are
// listed, as Prometheus would scrape them.
func metricsService(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.Service {
	labels := ClusterLabels(c)
	labels[LabelService] = ServiceMetrics
	single := corev1.IPFamilyPolicySingleStack
	cluster := corev1.ServiceInternalTrafficPolicyCluster
	return &corev1.Service{
		ObjectMeta: objectMeta(c, MetricsServiceName(c), labels),
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			ClusterIP:             corev1.ClusterIPNone,
			ClusterIPs:            []string{corev1.ClusterIPNone},
			Selector:              map[string]string{LabelCluster: c.Name},
			Ports:                 []corev1.ServicePort{servicePort(ServiceMetrics, neo4jconf.PortMetrics)},
			SessionAffinity:       corev1.ServiceAffinityNone,
			IPFamilyPolicy:        &single,
			InternalTrafficPolicy: &cluster,
		},
	}
}

// monitors are the ServiceMonitor or PodMonitor the spec asks for.
func monitors(c *v1alpha1.Neo4jEnterpriseCluster) []*unstructured.Unstructured {
	m := c.Spec.Monitoring
	endpoint := func(p *v1alpha1.PrometheusMonitor) map[string]any {
		return map[string]any{"port": ServiceMetrics, "path": "/metrics", "interval": p.Interval, "relabelings": relabelings()}
	}
	var out []*unstructured.Unstructured
	if p := m.ServiceMonitor; p != nil {
		out = append(out, monitor(c, ServiceMonitorGVK, p, map[string]any{
			"selector":          map[string]any{"matchLabels": map[string]any{LabelCluster: c.Name, LabelService: ServiceMetrics}},
			"namespaceSelector": map[string]any{"matchNames": []any{c.Namespace}},
			"endpoints":         []any{endpoint(p)},
		}))
	}
	if p := m.PodMonitor; p != nil {
		out = append(out, monitor(c, PodMonitorGVK, p, map[string]any{
			"selector":            map[string]any{"matchLabels": map[string]any{LabelCluster: c.Name}},
			"namespaceSelector":   map[string]any{"matchNames": []any{c.Namespace}},
			"podMetricsEndpoints": []any{endpoint(p)},
		}))
	}
	return out
}

func monitor(c *v1alpha1.Neo4jEnterpriseCluster, gvk schema.GroupVersionKind, p *v1alpha1.PrometheusMonitor, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(gvk)
	u.SetName(c.Name)
	u.SetNamespace(c.Namespace)
	u.SetLabels(merge(p.Labels, ClusterLabels(c)))
	return u
}

// relabelings keep which cluster, role and server a series comes from,
// from the pod's labels and name (Prometheus turns the label keys'
// dots and slashes into underscores in __meta_kubernetes_pod_label_*).
func relabelings() []any {
	keep := func(source, target string) map[string]any {
		return map[string]any{"sourceLabels": []any{source}, "targetLabel": target, "action": "replace"}
	}
	return []any{
		keep("__meta_kubernetes_pod_label_neo4j_graphops_dev_cluster", "neo4j_cluster"),
		keep("__meta_kubernetes_pod_label_neo4j_graphops_dev_role", "neo4j_role"),
		keep("__meta_kubernetes_pod_name", "neo4j_server"),
	}
}
