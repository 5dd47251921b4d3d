package render

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// What a user adds to the pod (the Helm chart's remaining knobs), with
// the defaults the API server would apply filled in, so the live
// StatefulSet equals the rendered one and no reconcile sees a difference
// that is not there (the round-trip test on a real API server holds this
// to account for every sample).

const (
	volumeLDAP = "ldap-password"
	// LDAPDir holds the LDAP system password file.
	LDAPDir  = "/ldap"
	LDAPFile = "system_password"
)

// ldapEnv points the image's entrypoint at the password file: it reads
// every NEO4J_*_FILE variable's file and sets the variable without the
// suffix, which becomes the setting (docker-neo4j, docker-entrypoint.sh).
// The password is in no ConfigMap and no pod spec; it is in the
// container's own neo4j.conf, as any setting.
func ldapEnv(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.EnvVar {
	if c.Spec.LDAP.SystemPasswordSecret == nil {
		return nil
	}
	return []corev1.EnvVar{{Name: v1alpha1.EnvName("dbms.security.ldap.authorization.system_password") + "_FILE", Value: LDAPDir + "/" + LDAPFile}}
}

func ldapVolumes(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.Volume {
	ref := c.Spec.LDAP.SystemPasswordSecret
	if ref == nil {
		return nil
	}
	mode := keyMode(c)
	return []corev1.Volume{{Name: volumeLDAP, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: ref.Name, Items: []corev1.KeyToPath{{Key: ref.Key, Path: LDAPFile}}, DefaultMode: &mode}}}}
}

func ldapMounts(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.VolumeMount {
	if c.Spec.LDAP.SystemPasswordSecret == nil {
		return nil
	}
	return []corev1.VolumeMount{{Name: volumeLDAP, MountPath: LDAPDir, ReadOnly: true}}
}

// adminService reaches every server, ready or not, on all its client
// ports, from inside the cluster: for operations tooling, as the Helm
// chart's admin Service.
func adminService(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.Service {
	labels := ClusterLabels(c)
	labels[LabelService] = "admin"
	s := serverService(c, c.Name+"-admin", labels, map[string]string{LabelCluster: c.Name})
	s.Spec.Ports = append(webPorts(c), servicePort(ServiceMetrics, neo4jconf.PortMetrics))
	return s
}

// defaultedContainers fills in what the API server defaults in a
// container (SetDefaults_Container, _ContainerPort, _Probe, _HTTPGetAction
// of k8s.io/kubernetes/pkg/apis/core/v1).
func defaultedContainers(in []corev1.Container) []corev1.Container {
	out := make([]corev1.Container, len(in))
	for i, c := range in {
		c = *c.DeepCopy()
		if c.TerminationMessagePath == "" {
			c.TerminationMessagePath = corev1.TerminationMessagePathDefault
		}
		if c.TerminationMessagePolicy == "" {
			c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
		}
		if c.ImagePullPolicy == "" {
			c.ImagePullPolicy = corev1.PullIfNotPresent
			if tag := imageTag(c.Image); tag == "" || tag == "latest" {
				c.ImagePullPolicy = corev1.PullAlways
			}
		}
		for j := range c.Ports {
			if c.Ports[j].Protocol == "" {
				c.Ports[j].Protocol = corev1.ProtocolTCP
			}
		}
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			defaultProbe(p)
		}
		if l := c.Lifecycle; l != nil {
			for _, h := range []*corev1.LifecycleHandler{l.PostStart, l.PreStop} {
				if h != nil {
					defaultHTTPGet(h.HTTPGet)
				}
			}
		}
		c.Env = defaultedEnv(c.Env)
		out[i] = c
	}
	return out
}

// imageTag is the tag of an image reference ("" for none; a digest counts
// as a tag, as the API server's defaulting reads it).
func imageTag(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[i+1:]
	}
	return ""
}

func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	defaultHTTPGet(p.HTTPGet)
	if g := p.GRPC; g != nil && g.Service == nil {
		empty := ""
		g.Service = &empty
	}
}

func defaultHTTPGet(h *corev1.HTTPGetAction) {
	if h == nil {
		return
	}
	if h.Path == "" {
		h.Path = "/"
	}
	if h.Scheme == "" {
		h.Scheme = corev1.URISchemeHTTP
	}
}

// defaultedVolumes fills in the file modes the API server defaults
// (SetDefaults_SecretVolumeSource and its ConfigMap, Projected and
// DownwardAPI kin: 0644) and a HostPath's type.
func defaultedVolumes(in []corev1.Volume) []corev1.Volume {
	out := make([]corev1.Volume, len(in))
	for i, v := range in {
		v = *v.DeepCopy()
		mode := corev1.SecretVolumeSourceDefaultMode
		switch {
		case v.Secret != nil && v.Secret.DefaultMode == nil:
			v.Secret.DefaultMode = &mode
		case v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil:
			v.ConfigMap.DefaultMode = &mode
		case v.Projected != nil && v.Projected.DefaultMode == nil:
			v.Projected.DefaultMode = &mode
		case v.DownwardAPI != nil && v.DownwardAPI.DefaultMode == nil:
			v.DownwardAPI.DefaultMode = &mode
		case v.HostPath != nil && v.HostPath.Type == nil:
			t := corev1.HostPathUnset
			v.HostPath.Type = &t
		}
		if v.DownwardAPI != nil {
			defaultFieldRefs(v.DownwardAPI.Items)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if t := src.ServiceAccountToken; t != nil && t.ExpirationSeconds == nil {
					hour := int64(3600)
					t.ExpirationSeconds = &hour
				}
				if d := src.DownwardAPI; d != nil {
					defaultFieldRefs(d.Items)
				}
			}
		}
		if e := v.Ephemeral; e != nil && e.VolumeClaimTemplate != nil && e.VolumeClaimTemplate.Spec.VolumeMode == nil {
			fs := corev1.PersistentVolumeFilesystem
			e.VolumeClaimTemplate.Spec.VolumeMode = &fs
		}
		if im := v.Image; im != nil && im.PullPolicy == "" {
			im.PullPolicy = corev1.PullIfNotPresent
			if tag := imageTag(im.Reference); tag == "" || tag == "latest" {
				im.PullPolicy = corev1.PullAlways
			}
		}
		if v.VolumeSource == (corev1.VolumeSource{}) {
			v.EmptyDir = &corev1.EmptyDirVolumeSource{} // a volume without a source is an emptyDir
		}
		out[i] = v
	}
	return out
}

func defaultFieldRefs(items []corev1.DownwardAPIVolumeFile) {
	for j := range items {
		if f := items[j].FieldRef; f != nil && f.APIVersion == "" {
			f.APIVersion = "v1"
		}
	}
}
