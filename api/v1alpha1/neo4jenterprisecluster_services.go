package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// How clients reach the cluster (spec.service): the client Service and
// the optional admin Service. The per-server and headless Services the
// servers need are the operator's, with no settings.

// ServiceSpec configures the client Service.
type ServiceSpec struct {
	// Type of the client Service.
	// +optional
	// +kubebuilder:default=ClusterIP
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	Type corev1.ServiceType `json:"type,omitempty"`

	// Annotations of the client Service, for example for a cloud load
	// balancer.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Admin adds <cluster>-admin, a cluster-internal Service over every
	// server (ready or not) with all their client ports: bolt, http or
	// https, and metrics. For operations tooling, like the Helm chart's.
	// +optional
	Admin bool `json:"admin,omitempty"`

	// LoadBalancerSourceRanges restricts a LoadBalancer Service to these
	// CIDRs.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`
}
