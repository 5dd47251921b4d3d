package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// Knobs of the server pods that have a type of their own: placement
// (spec.scheduling) and the disruption budget (spec.podDisruptionBudget).
// The others (labels, annotations, security contexts, volumes, init
// containers, sidecars, the grace period) are spec fields of Kubernetes
// types, in neo4jenterprisecluster_types.go.

// SchedulingSpec places the server pods.
type SchedulingSpec struct {
	// NodeSelector restricts servers to matching nodes.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the server pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity replaces the default soft anti-affinity across nodes.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the server pods.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// PriorityClassName of the server pods.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
}

// PodDisruptionBudgetSpec configures one PodDisruptionBudget per role.
type PodDisruptionBudgetSpec struct {
	// Enabled creates the budgets.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// MaxUnavailable servers of a role during voluntary disruptions.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	MaxUnavailable int32 `json:"maxUnavailable,omitempty"`
}
