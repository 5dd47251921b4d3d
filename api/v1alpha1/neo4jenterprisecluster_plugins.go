package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// The plugins the servers load (spec.plugins), how a plugin image reaches
// them, and the procedure settings beyond the plugins' own
// (spec.procedures).

// PluginSpec is one plugin.
type PluginSpec struct {
	// Name as the Neo4j image knows it (its neo4j-plugins.json). n10s is
	// known to 5.x images only; fleet-management is built into Neo4j from
	// 2026.03.
	// +kubebuilder:validation:Enum=apoc;apoc-extended;bloom;graph-data-science;genai;n10s;fleet-management
	Name string `json:"name"`

	// Image delivers the plugin from an OCI image instead of the Neo4j
	// image's installer: nothing is downloaded at startup.
	// +optional
	Image *PluginImage `json:"image,omitempty"`

	// LicenseSecret holds the plugin's licence file (Bloom and the Graph
	// Data Science Enterprise Edition need one). It is mounted at
	// /licenses/<name>.license and the plugin's licence setting points
	// there.
	// +optional
	LicenseSecret *SecretKeyRef `json:"licenseSecret,omitempty"`
}

// PluginImage is an OCI image holding a plugin's jar.
type PluginImage struct {
	// Reference of the image, for example
	// registry.example.com/neo4j-plugins/apoc:2025.10.0.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Reference string `json:"reference"`

	// Jar is the path of the plugin's jar inside the image.
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^/.*\.jar$`
	Jar string `json:"jar"`

	// Delivery is how the jar reaches the server: ImageVolume mounts it
	// from a Kubernetes image volume (beta, on by default since 1.33; the
	// image needs nothing), InitContainer copies it with an init container
	// that runs the image's cp (the image needs a shell's cp, as busybox
	// has).
	// +optional
	// +kubebuilder:default=ImageVolume
	// +kubebuilder:validation:Enum=ImageVolume;InitContainer
	Delivery string `json:"delivery,omitempty"`

	// PullPolicy of the image.
	// +optional
	// +kubebuilder:default=IfNotPresent
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	PullPolicy corev1.PullPolicy `json:"pullPolicy,omitempty"`
}

// How a plugin image reaches the server.
const (
	PluginImageVolume   = "ImageVolume"
	PluginInitContainer = "InitContainer"
)

// ProceduresSpec extends the procedure settings.
type ProceduresSpec struct {
	// Unrestricted are more dbms.security.procedures.unrestricted
	// patterns, after the plugins' own.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9_.*]+$`
	Unrestricted []string `json:"unrestricted,omitempty"`

	// Allowlist, when set, renders dbms.security.procedures.allowlist: only
	// these procedures and the plugins' own load.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9_.*]+$`
	Allowlist []string `json:"allowlist,omitempty"`
}
