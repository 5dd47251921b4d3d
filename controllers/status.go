package controllers

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/status"
)

// announce turns a condition transition into an Event.
func (r *Neo4jEnterpriseClusterReconciler) announce(c *v1alpha1.Neo4jEnterpriseCluster, t status.Transition) {
	cond := t.Condition
	switch {
	case t.Type == v1alpha1.ConditionDegraded && cond.Status == metav1.ConditionTrue:
		r.event(c, corev1.EventTypeWarning, cond.Reason, "Reconcile", "%s", cond.Message)
	case t.Type == v1alpha1.ConditionDegraded && cond.Status == metav1.ConditionFalse && t.From == metav1.ConditionTrue:
		r.event(c, corev1.EventTypeNormal, "Recovered", "Reconcile", "%s", cond.Message)
	case t.Type == v1alpha1.ConditionReady && cond.Status == metav1.ConditionTrue:
		r.event(c, corev1.EventTypeNormal, "Ready", "Reconcile", "%s", cond.Message)
	case t.Type == v1alpha1.ConditionReady && cond.Status == metav1.ConditionFalse:
		r.event(c, corev1.EventTypeWarning, "NotReady", "Reconcile", "%s", cond.Message)
	}
}

// adviseOnSpec gives advice the API cannot enforce, once per spec
// generation: it runs after the status write that moved observedGeneration,
// which only one reconcile can win (a reconcile working from a stale cache
// gets a conflict and then sees the generation already observed).
func (r *Neo4jEnterpriseClusterReconciler) adviseOnSpec(c *v1alpha1.Neo4jEnterpriseCluster) {
	if p := c.Spec.Topology.Primaries; p > 1 && p%2 == 0 {
		r.event(c, corev1.EventTypeWarning, "EvenPrimaries", "Validate",
			"%d primaries tolerate no more failures than %d; use an odd number", p, p-1)
	}
}

func (r *Neo4jEnterpriseClusterReconciler) event(obj runtime.Object, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(obj, nil, eventType, reason, action, note, args...)
	}
}
