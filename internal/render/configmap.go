package render

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// configMap holds what one role's servers read from /conf, named by the
// hash of what a running server depends on: a change that needs a restart
// is a new ConfigMap, so a pod of the old revision that restarts in the
// middle of a roll still reads its own configuration. The old one is
// pruned once no pod mounts it. Formation-only settings are not in the
// hash: they change in place, and never roll a pod.
func configMap(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role, hash string, files map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: objectMeta(c, ConfigMapName(c, r, hash), RoleLabels(c, r)),
		Data:       files,
	}
}

// FileAdminConf is the backup client's configuration, which neo4j-admin
// reads with --additional-config.
const FileAdminConf = "neo4j-admin.conf"

// BackupClientConfigMapName holds the backup scope's client policy.
func BackupClientConfigMapName(c *v1alpha1.Neo4jEnterpriseCluster) string {
	return c.Name + "-backup-client"
}

// backupClientConfigMap is the SSL policy a backup Job's neo4j-admin needs
// to reach servers whose backup port speaks TLS (spec.tls.backup); nil
// without it. A fixed name: a Job created once mounts it for its whole
// life, and the policy's paths never change.
func backupClientConfigMap(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.ConfigMap {
	policy := neo4jconf.BackupClientPolicy(c)
	if len(policy) == 0 {
		return nil
	}
	return &corev1.ConfigMap{
		ObjectMeta: objectMeta(c, BackupClientConfigMapName(c), ClusterLabels(c)),
		Data:       map[string]string{FileAdminConf: policy.Text()},
	}
}
