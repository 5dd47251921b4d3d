package render

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// Secret keys of a TLS Secret, as kubernetes.io/tls Secrets and
// cert-manager name them.
const (
	SecretKeyCert = "tls.crt"
	SecretKeyKey  = "tls.key"
	SecretKeyCA   = "ca.crt"
)

const volumeTLSRevoked = "tls-revoked"

func tlsVolumeName(channel string) string { return "tls-" + channel }

// ClusterTLS says whether a pod (or a pod template) runs the cluster
// channel's SSL policy: the operator mounts that channel's Secret exactly
// when it renders the policy. Neo4j needs the same policy on every server
// (Operations Manual 5.x, clustering/setup/encryption.adoc: "The policy
// must be configured on every server with the same settings"), so pods
// that differ here cannot run side by side.
func ClusterTLS(spec *corev1.PodSpec) bool {
	for _, v := range spec.Volumes {
		if v.Name == tlsVolumeName(v1alpha1.ChannelCluster) {
			return true
		}
	}
	return false
}

// tlsVolumes project each channel's Secret into the layout of a Neo4j SSL
// policy folder: public.crt, private.key and trusted/. A whole-folder
// volume, not subPath mounts: the kubelet updates a projected volume in
// place when the Secret changes (a subPath mount never is), which is what
// lets a rotated certificate be reloaded without a restart. Only the
// Secret's name is in the pod template, never its content: a rotation
// makes no new revision.
func tlsVolumes(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.Volume {
	channels := c.TLSChannels()
	if len(channels) == 0 {
		return nil
	}
	mode := keyMode(c)
	var out []corev1.Volume
	for _, ch := range channels {
		items := []corev1.KeyToPath{
			{Key: SecretKeyCert, Path: neo4jconf.FilePublicCertificate},
			{Key: SecretKeyKey, Path: neo4jconf.FilePrivateKey},
		}
		sources := []corev1.VolumeProjection{}
		if neo4jconf.TrustsLeaf(ch) {
			// The same key twice: a second source, since a key maps to one
			// path per source.
			sources = append(sources, secretProjection(c, ch, corev1.KeyToPath{Key: SecretKeyCert, Path: neo4jconf.TrustedDir + "/" + neo4jconf.FilePublicCertificate}))
		}
		if neo4jconf.TrustsCA(ch) {
			items = append(items, corev1.KeyToPath{Key: SecretKeyCA, Path: neo4jconf.TrustedDir + "/" + neo4jconf.FileTrustedCA})
		}
		sources = append([]corev1.VolumeProjection{secretProjection(c, ch, items...)}, sources...)
		out = append(out, corev1.Volume{Name: tlsVolumeName(ch.Name), VolumeSource: corev1.VolumeSource{
			Projected: &corev1.ProjectedVolumeSource{Sources: sources, DefaultMode: &mode},
		}})
	}
	return append(out, corev1.Volume{Name: volumeTLSRevoked, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
}

func secretProjection(c *v1alpha1.Neo4jEnterpriseCluster, ch v1alpha1.TLSChannel, items ...corev1.KeyToPath) corev1.VolumeProjection {
	return corev1.VolumeProjection{Secret: &corev1.SecretProjection{
		LocalObjectReference: corev1.LocalObjectReference{Name: c.TLSSecretName(ch)},
		Items:                items,
	}}
}

// keyMode lets only the neo4j user's group read the private key (the
// manual: only the Neo4j user should read it), which the default pod
// security context's fsGroup makes the files' group. A user's pod security
// context without an fsGroup would leave the files root's: then they are
// readable by all, or Neo4j could not start.
func keyMode(c *v1alpha1.Neo4jEnterpriseCluster) int32 {
	if psc := podSecurityContext(c); psc != nil && psc.FSGroup != nil {
		return 0o440
	}
	return 0o444
}

func tlsMounts(c *v1alpha1.Neo4jEnterpriseCluster) []corev1.VolumeMount {
	channels := c.TLSChannels()
	if len(channels) == 0 {
		return nil
	}
	var out []corev1.VolumeMount
	for _, ch := range channels {
		out = append(out, corev1.VolumeMount{Name: tlsVolumeName(ch.Name), MountPath: neo4jconf.ChannelDir(ch.Name), ReadOnly: true})
	}
	return append(out, corev1.VolumeMount{Name: volumeTLSRevoked, MountPath: neo4jconf.RevokedDir, ReadOnly: true})
}

// BackupClientTLS are the volumes and mounts a backup Job needs to speak
// TLS to the backup port: the backup channel's folder, the empty revoked
// folder and the client policy; none without spec.tls.backup.
func BackupClientTLS(c *v1alpha1.Neo4jEnterpriseCluster, confDir string) ([]corev1.Volume, []corev1.VolumeMount) {
	if backupClientConfigMap(c) == nil {
		return nil, nil
	}
	keep := map[string]bool{tlsVolumeName(v1alpha1.ChannelBackup): true, volumeTLSRevoked: true}
	var vols []corev1.Volume
	for _, v := range tlsVolumes(c) {
		if keep[v.Name] {
			vols = append(vols, v)
		}
	}
	var mounts []corev1.VolumeMount
	for _, m := range tlsMounts(c) {
		if keep[m.Name] {
			mounts = append(mounts, m)
		}
	}
	vols = append(vols, corev1.Volume{Name: "backup-client", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: BackupClientConfigMapName(c)},
		Items:                []corev1.KeyToPath{{Key: FileAdminConf, Path: FileAdminConf}},
	}}})
	mounts = append(mounts, corev1.VolumeMount{Name: "backup-client", MountPath: confDir, ReadOnly: true})
	return vols, mounts
}
