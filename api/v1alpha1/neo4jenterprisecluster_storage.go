package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
)

// The servers' volumes (spec.storage): data, and optional logs, backups
// and import volumes, one claim per server, and what happens to them when
// the cluster is deleted or scaled in.

// StorageSpec is the storage of every server.
type StorageSpec struct {
	// Data is the volume holding the databases and transaction logs.
	// +optional
	Data VolumeSpec `json:"data,omitempty"`

	// Logs, when set, keeps server logs on a volume of their own.
	// +optional
	Logs *VolumeSpec `json:"logs,omitempty"`

	// Backups, when set, adds a volume for neo4j-admin backups.
	// +optional
	Backups *VolumeSpec `json:"backups,omitempty"`

	// Import, when set, adds a volume at /import, which the image makes
	// server.directories.import: the root of LOAD CSV file URLs.
	// +optional
	Import *VolumeSpec `json:"import,omitempty"`

	// RetentionPolicy says what happens to the volumes when the cluster is
	// deleted or scaled down. The default keeps them in both cases.
	// +optional
	RetentionPolicy RetentionPolicy `json:"retentionPolicy,omitempty"`
}

// VolumeSpec is a persistent volume claim per server.
// +kubebuilder:validation:XValidation:rule="quantity(string(self.size)).isGreaterThan(quantity('0'))",message="storage size must be greater than zero"
// +kubebuilder:validation:XValidation:rule="has(self.subPath) == has(oldSelf.subPath) && (!has(self.subPath) || self.subPath == oldSelf.subPath)",message="subPath cannot be changed: the servers would start on another folder of the volume"
type VolumeSpec struct {
	// Size of the volume. Volume claim templates are immutable in a
	// StatefulSet: a change is reported in a condition, not applied.
	// +optional
	// +kubebuilder:default="10Gi"
	Size *resource.Quantity `json:"size,omitempty"`

	// StorageClassName of the claim; empty uses the cluster's default class.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`

	// SubPath is the folder of the volume that is mounted; empty mounts the
	// volume's root. A data volume moved from the Neo4j Helm chart holds
	// the store in the folder "data" (kubectl neo4j migrate-from-helm sets
	// it). It cannot be changed: the servers would start on another folder.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.split('/').exists(p, p == '..')",message="subPath must be a relative path without .."
	SubPath string `json:"subPath,omitempty"`
}

// RetentionPolicy mirrors the StatefulSet PVC retention policy.
type RetentionPolicy struct {
	// WhenDeleted applies when the cluster is deleted.
	// +optional
	// +kubebuilder:default=Retain
	// +kubebuilder:validation:Enum=Retain;Delete
	WhenDeleted string `json:"whenDeleted,omitempty"`

	// WhenScaled applies to the volumes of servers removed by scaling down.
	// +optional
	// +kubebuilder:default=Retain
	// +kubebuilder:validation:Enum=Retain;Delete
	WhenScaled string `json:"whenScaled,omitempty"`
}
