package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
	"github.com/graphops-dev/neo4j-operator/internal/apply"
	"github.com/graphops-dev/neo4j-operator/internal/status"
	"github.com/graphops-dev/neo4j-operator/internal/step"
)

// writeStatus writes the computed status through the status subresource,
// inside RetryOnConflict, and only when it differs semantically from what
// is there. Events fire on condition transitions only.
func (r *Neo4jEnterpriseClusterReconciler) writeStatus(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, obs status.Observed) step.Result {
	var reader client.Reader = r.Client
	var transitions []status.Transition
	var written *v1alpha1.Neo4jEnterpriseCluster
	var newGeneration bool
	err := retry.RetryOnConflict(apply.Backoff, func() error {
		fresh := &v1alpha1.Neo4jEnterpriseCluster{}
		if err := reader.Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil {
			return err
		}
		if fresh.Generation != c.Generation {
			return nil // a newer spec: its own reconcile will report on it
		}
		next := status.Compute(fresh, obs)
		if equality.Semantic.DeepEqual(fresh.Status, next) {
			exportStatus(fresh, next)
			apply.WritesSkipped.WithLabelValues("Neo4jEnterpriseCluster/status").Inc()
			return nil
		}
		old, oldGeneration := fresh.Status.Conditions, fresh.Status.ObservedGeneration
		fresh.Status = next
		if err := r.Status().Update(ctx, fresh); err != nil {
			if apierrors.IsConflict(err) {
				apply.WriteConflicts.WithLabelValues("Neo4jEnterpriseCluster/status").Inc()
				log.FromContext(ctx).V(1).Info("status write conflict, retrying from a fresh read")
				reader = r.APIReader
			}
			return err
		}
		apply.Writes.WithLabelValues("Neo4jEnterpriseCluster", "status").Inc()
		apply.ClusterWrites.WithLabelValues(fresh.Namespace, fresh.Name).Inc()
		exportStatus(fresh, next)
		transitions = status.Transitions(old, next.Conditions)
		newGeneration = oldGeneration != next.ObservedGeneration
		written = fresh
		return nil
	})
	if err != nil {
		return step.Failed(fmt.Errorf("writing status: %w", err))
	}
	for _, t := range transitions {
		r.announce(written, t)
	}
	if newGeneration {
		r.adviseOnSpec(written)
	}
	return step.Result{}
}

// writeRecord writes one of the status records of an operation that spans
// reconciles (status.scaling, status.rollout) with the cached cluster's
// resourceVersion as a lock: a decision made from a stale copy gets a
// conflict and is made again. On success c holds the record and the new
// resourceVersion, and the reconciles that follow wait until the cache
// shows it (Written).
func (r *Neo4jEnterpriseClusterReconciler) writeRecord(ctx context.Context, c *v1alpha1.Neo4jEnterpriseCluster, field string, set func(*v1alpha1.Neo4jEnterpriseClusterStatus)) error {
	next := c.DeepCopy()
	set(&next.Status)
	if err := r.Status().Update(ctx, next); err != nil {
		if apierrors.IsConflict(err) {
			apply.WriteConflicts.WithLabelValues("Neo4jEnterpriseCluster/status").Inc()
		}
		return fmt.Errorf("writing status.%s: %w", field, err)
	}
	apply.Writes.WithLabelValues("Neo4jEnterpriseCluster", "status").Inc()
	apply.ClusterWrites.WithLabelValues(c.Namespace, c.Name).Inc()
	set(&c.Status)
	c.ResourceVersion = next.ResourceVersion
	r.Written.Wrote(client.ObjectKeyFromObject(c), records(c), time.Now())
	return nil
}

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
