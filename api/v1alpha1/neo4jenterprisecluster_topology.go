package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// The cluster's shape: how many servers of each role (spec.topology), and
// the settings a role can override on top of the cluster-wide ones
// (spec.primary, spec.secondary).

// Topology is how many servers of each role the cluster has. Any change
// is allowed: servers are added by raising the StatefulSet and enabling
// them in Neo4j, and removed one at a time, each drained first (cordon,
// deallocate, shrink, drop; see status.scaling).
type Topology struct {
	// Primaries host the system database and take part in Raft. Use 3 or
	// more (an odd number) for fault tolerance. At most 11: each primary
	// server hosts system as a primary, and a database has at most 11
	// primaries (Operations Manual, clustering/introduction.adoc); add
	// secondaries beyond that, whose copy of system is a secondary one.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=11
	Primaries int32 `json:"primaries"`

	// Secondaries are read replicas. They scale on their own and never
	// change the primaries.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Secondaries int32 `json:"secondaries,omitempty"`
}

// RoleSpec holds settings for one role (primaries or secondaries).
type RoleSpec struct {
	// Resources replace the cluster-wide resources for this role.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// Memory replaces the cluster-wide heap or page cache size for this
	// role, field by field.
	// +optional
	Memory MemorySpec `json:"memory,omitempty"`

	// Config is merged over the cluster-wide config for this role.
	// +optional
	Config Neo4jConfig `json:"config,omitempty"`
}
