package render

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

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
			// A pod that is not Ready serves nothing: it may always be
			// evicted, whatever the budget. The default (IfHealthyBudget)
			// would refuse it while the budget holds disruptions at 0, and
			// the roll replacing a down pod, or a drain, would wait for ever.
			UnhealthyPodEvictionPolicy: ptr.To(policyv1.AlwaysAllow),
		},
	}
}

// HoldDisruptions sets every budget to no voluntary disruption at all:
// while Neo4j is not healthy by the roll's own gate, a node drain or a
// cluster autoscaler must not take a server the cluster still needs (a
// primary while another catches up). The operator's own roll evicts
// through the same API, and waits on the same verdict.
func HoldDisruptions(pdbs []*policyv1.PodDisruptionBudget) {
	none := intstr.FromInt32(0)
	for _, p := range pdbs {
		p.Spec.MaxUnavailable = &none
	}
}
