// Package predicates decides which watch events are worth a reconcile. A
// reconcile that has nothing to do writes nothing, but it still costs a
// render and a round of cache reads; more importantly, an operator that
// reacts to its own writes can loop. These predicates let through only real
// changes to what the operator reads.
package predicates

import (
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/graphops-dev/neo4j-operator/internal/apply"
)

// AnnotationsChanged passes updates that change one of the given
// annotations (the operator's own: pause, for instance). Foreign
// annotations and labels are not the operator's business.
func AnnotationsChanged(keys ...string) predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if e.ObjectOld == nil || e.ObjectNew == nil {
				return false
			}
			o, n := e.ObjectOld.GetAnnotations(), e.ObjectNew.GetAnnotations()
			for _, k := range keys {
				if o[k] != n[k] {
					return true
				}
			}
			return false
		},
	}
}

// StatefulSetChanged passes a StatefulSet update when its spec changed
// (generation) or when a status field the cluster's status reports changed.
// The StatefulSet controller rewrites status often (observedGeneration,
// collisionCount, conditions); those alone wake nobody.
func StatefulSetChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(*appsv1.StatefulSet)
			n, ok2 := e.ObjectNew.(*appsv1.StatefulSet)
			if !ok1 || !ok2 {
				return false
			}
			if o.Generation != n.Generation {
				return true
			}
			a, b := o.Status, n.Status
			return a.Replicas != b.Replicas || a.ReadyReplicas != b.ReadyReplicas ||
				a.CurrentReplicas != b.CurrentReplicas || a.UpdatedReplicas != b.UpdatedReplicas ||
				a.AvailableReplicas != b.AvailableReplicas ||
				a.CurrentRevision != b.CurrentRevision || a.UpdateRevision != b.UpdateRevision ||
				(a.ObservedGeneration != b.ObservedGeneration && b.ObservedGeneration == n.Generation)
		},
	}
}

// OwnedContentChanged passes an update of an owned object when its
// generation or the content the operator owns (apply.Kinds) changed, so
// drift is reverted. Kinds without a generation (Services, ConfigMaps,
// RBAC) are compared on that content; metadata-only changes by others pass
// nothing.
func OwnedContentChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			if e.ObjectOld == nil || e.ObjectNew == nil {
				return false
			}
			if e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
				return true
			}
			return apply.ContentChanged(e.ObjectOld, e.ObjectNew)
		},
	}
}
