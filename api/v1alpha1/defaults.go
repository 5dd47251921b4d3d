package v1alpha1

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Defaults of optional fields. They match the CRD's +kubebuilder:default
// markers; a test against a real API server keeps the two in step. The
// renderer applies them itself so that it never depends on how an object
// reached it.
const (
	DefaultImageRepository = "neo4j"
	DefaultImageTag        = "2025.10.1-enterprise"
	DefaultAuthSecretKey   = "NEO4J_AUTH"
	DefaultClusterDomain   = "cluster.local"
	DefaultDataSize        = "10Gi"
	DefaultGracePeriod     = int64(3600)
	RetentionRetain        = "Retain"
	RetentionDelete        = "Delete"
)

// WithDefaults returns a deep copy of the cluster with every default applied.
func (c *Neo4jEnterpriseCluster) WithDefaults() *Neo4jEnterpriseCluster {
	out := c.DeepCopy()
	s := &out.Spec
	setString(&s.Image.Repository, DefaultImageRepository)
	setString(&s.Image.Tag, DefaultImageTag)
	if s.Image.PullPolicy == "" {
		s.Image.PullPolicy = "IfNotPresent"
	}
	setString(&s.Auth.SecretKey, DefaultAuthSecretKey)
	setString(&s.ClusterDomain, DefaultClusterDomain)
	defaultVolume(&s.Storage.Data)
	if s.Storage.Logs != nil {
		defaultVolume(s.Storage.Logs)
	}
	if s.Storage.Backups != nil {
		defaultVolume(s.Storage.Backups)
	}
	setString(&s.Storage.RetentionPolicy.WhenDeleted, RetentionRetain)
	setString(&s.Storage.RetentionPolicy.WhenScaled, RetentionRetain)
	if s.Service.Type == "" {
		s.Service.Type = "ClusterIP"
	}
	if s.PodDisruptionBudget.Enabled == nil {
		enabled := true
		s.PodDisruptionBudget.Enabled = &enabled
	}
	if s.PodDisruptionBudget.MaxUnavailable == 0 {
		s.PodDisruptionBudget.MaxUnavailable = 1
	}
	if len(s.Resources.Requests) == 0 && len(s.Resources.Limits) == 0 && len(s.Resources.Claims) == 0 {
		s.Resources = DefaultResources()
	}
	if s.JVM.UseDefaultArguments == nil {
		yes := true
		s.JVM.UseDefaultArguments = &yes
	}
	if s.TerminationGracePeriodSeconds == nil {
		g := DefaultGracePeriod
		s.TerminationGracePeriodSeconds = &g
	}
	return out
}

// DefaultResources are 1 CPU and 2Gi, requests equal to limits, as the
// CRD's default says.
func DefaultResources() corev1.ResourceRequirements {
	r := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("2Gi")}
	return corev1.ResourceRequirements{Requests: r, Limits: r.DeepCopy()}
}

// AuthSecretName is the Secret the servers read NEO4J_AUTH from: the
// user's, or the one the operator generates.
func (c *Neo4jEnterpriseCluster) AuthSecretName() string {
	if c.Spec.Auth.SecretName != "" {
		return c.Spec.Auth.SecretName
	}
	return c.Name + "-auth"
}

// GeneratesAuthSecret is true when the operator owns the auth Secret.
func (c *Neo4jEnterpriseCluster) GeneratesAuthSecret() bool {
	return c.Spec.Auth.SecretName == ""
}

// IsPaused is true while the pause annotation holds a true value ("true",
// "1", "T"...), read the way operator-lib's pause predicate reads it, so the
// two never disagree.
func (c *Neo4jEnterpriseCluster) IsPaused() bool {
	paused, err := strconv.ParseBool(c.Annotations[AnnotationPaused])
	return err == nil && paused
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func defaultVolume(v *VolumeSpec) {
	if v.Size == nil {
		q := resource.MustParse(DefaultDataSize)
		v.Size = &q
	}
}
