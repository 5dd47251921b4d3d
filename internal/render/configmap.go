package render

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// configMap holds one neo4j.conf per role. Each role mounts its own key as
// /conf/neo4j.conf, which the Neo4j image copies into its conf folder.
func configMap(c *v1alpha1.Neo4jEnterpriseCluster, confs map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: objectMeta(c, ConfigMapName(c), ClusterLabels(c)),
		Data:       confs,
	}
}
