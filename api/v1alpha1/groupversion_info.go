// Package v1alpha1 contains the v1alpha1 API of the neo4j.graphops.dev group:
// Neo4jEnterpriseCluster, a Neo4j Enterprise cluster of primaries and
// optional secondaries (read replicas).
//
// +kubebuilder:object:generate=true
// +groupName=neo4j.graphops.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "neo4j.graphops.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
