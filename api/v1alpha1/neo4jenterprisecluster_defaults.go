package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The defaults of optional fields, and WithDefaults, which applies them to
// a copy of a cluster.

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
	if s.Storage.Import != nil {
		defaultVolume(s.Storage.Import)
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
	defaultTLS(&s.TLS)
	for i := range s.Plugins {
		if im := s.Plugins[i].Image; im != nil {
			setString(&im.Delivery, PluginImageVolume)
			if im.PullPolicy == "" {
				im.PullPolicy = "IfNotPresent"
			}
		}
	}
	for _, m := range []*PrometheusMonitor{s.Monitoring.ServiceMonitor, s.Monitoring.PodMonitor} {
		if m != nil {
			setString(&m.Interval, "30s")
		}
	}
	return out
}

// DefaultResources are 1 CPU and 2Gi, requests equal to limits, as the
// CRD's default says.
func DefaultResources() corev1.ResourceRequirements {
	r := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("2Gi")}
	return corev1.ResourceRequirements{Requests: r, Limits: r.DeepCopy()}
}

func defaultTLS(t *TLSSpec) {
	if t.Bolt != nil {
		defaultCertificate(&t.Bolt.TLSCertificate, "NONE")
		setString(&t.Bolt.Level, "REQUIRED")
	}
	if t.HTTPS != nil {
		defaultCertificate(&t.HTTPS.TLSCertificate, "NONE")
	}
	if t.Cluster != nil {
		defaultCertificate(t.Cluster, "REQUIRE")
	}
	if t.Backup != nil {
		// Neo4j's default for the backup scope (SSL framework).
		defaultCertificate(t.Backup, "REQUIRE")
	}
}

func defaultCertificate(c *TLSCertificate, clientAuth string) {
	setString(&c.ClientAuth, clientAuth)
	if c.IssuerRef != nil {
		setString(&c.IssuerRef.Kind, "Issuer")
		setString(&c.IssuerRef.Group, "cert-manager.io")
	}
}

func defaultVolume(v *VolumeSpec) {
	if v.Size == nil {
		q := resource.MustParse(DefaultDataSize)
		v.Size = &q
	}
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}
