package render

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/neo4jconf"
)

// podDisruptionBudget keeps voluntary disruptions (node drains) to
// maxUnavailable servers of a role at a time, so primaries keep quorum.
func podDisruptionBudget(c *v1alpha1.Neo4jEnterpriseCluster, r neo4jconf.Role) *policyv1.PodDisruptionBudget {
	maxUnavailable := intstr.FromInt32(c.Spec.PodDisruptionBudget.MaxUnavailable)
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: objectMeta(c, PDBName(c, r), RoleLabels(c, r)),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: &maxUnavailable,
			Selector:       &metav1.LabelSelector{MatchLabels: RoleSelector(c, r)},
		},
	}
}
