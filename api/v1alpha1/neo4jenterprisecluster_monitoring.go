package v1alpha1

// Prometheus Operator objects for the servers' metrics
// (spec.monitoring).

// MonitoringSpec asks for Prometheus Operator objects (monitoring.coreos.com/v1).
// They are created only where the API server serves them; a spec that
// asks for one elsewhere is reported in Degraded.
// +kubebuilder:validation:XValidation:rule="!(has(self.serviceMonitor) && has(self.podMonitor))",message="set serviceMonitor or podMonitor, not both: Prometheus would scrape every server twice"
type MonitoringSpec struct {
	// ServiceMonitor scrapes the servers through the <cluster>-metrics
	// Service.
	// +optional
	ServiceMonitor *PrometheusMonitor `json:"serviceMonitor,omitempty"`

	// PodMonitor scrapes the server pods directly.
	// +optional
	PodMonitor *PrometheusMonitor `json:"podMonitor,omitempty"`
}

// PrometheusMonitor is a ServiceMonitor or PodMonitor. The operator adds
// relabelings that keep the cluster, the role and the server as the
// labels neo4j_cluster, neo4j_role and neo4j_server.
type PrometheusMonitor struct {
	// Interval between scrapes.
	// +optional
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Pattern=`^([0-9]+(ms|s|m|h))+$`
	Interval string `json:"interval,omitempty"`

	// Labels of the monitor object, for the Prometheus that selects
	// monitors by label (for example release: kube-prometheus-stack).
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}
