package render

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// The servers' identity. Neo4j's K8S discovery resolver lists and watches
// the internals Services, so the servers need exactly that and no more.

func serviceAccount(c *v1alpha1.Neo4jEnterpriseCluster) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: objectMeta(c, ServiceAccountName(c), ClusterLabels(c))}
}

func discoveryRole(c *v1alpha1.Neo4jEnterpriseCluster) *rbacv1.Role {
	return &rbacv1.Role{
		ObjectMeta: objectMeta(c, DiscoveryRoleName(c), ClusterLabels(c)),
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""},
			Resources: []string{"services"},
			Verbs:     []string{"get", "list", "watch"},
		}},
	}
}

func discoveryRoleBinding(c *v1alpha1.Neo4jEnterpriseCluster) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: objectMeta(c, DiscoveryRoleName(c), ClusterLabels(c)),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: DiscoveryRoleName(c)},
		Subjects: []rbacv1.Subject{{
			Kind:      rbacv1.ServiceAccountKind,
			Name:      ServiceAccountName(c),
			Namespace: c.Namespace,
		}},
	}
}
