package access

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/graphops-dev/neo4j-operator/api/v1alpha1"
)

// Field indexes: users and roles by cluster, users by password Secret.
const (
	ClusterIndex = "spec.clusterRef.name"
	SecretIndex  = "spec.passwordSecretRef.name"
)

// SetupWithManager wires the watches: a user's or role's spec (or its
// deletion), the cluster's transitions that open or close the door to
// commands (Ready, a roll, a scaling step), and, when Secrets are watched
// (their metadata only), the password Secrets.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, watchSecrets bool, maxConcurrent int) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &v1alpha1.Neo4jUser{}, ClusterIndex, func(o client.Object) []string {
		return []string{o.(*v1alpha1.Neo4jUser).Spec.ClusterRef.Name}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &v1alpha1.Neo4jRole{}, ClusterIndex, func(o client.Object) []string {
		return []string{o.(*v1alpha1.Neo4jRole).Spec.ClusterRef.Name}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &v1alpha1.Neo4jUser{}, SecretIndex, func(o client.Object) []string {
		if ref := o.(*v1alpha1.Neo4jUser).Spec.PasswordSecretRef; ref != nil {
			return []string{ref.Name}
		}
		return nil
	}); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("neo4jaccess").
		For(&v1alpha1.Neo4jEnterpriseCluster{}, builder.WithPredicates(DoorChanged())).
		Watches(&v1alpha1.Neo4jUser{}, handler.EnqueueRequestsFromMapFunc(clusterOfUser), builder.WithPredicates(specOrDeletion())).
		Watches(&v1alpha1.Neo4jRole{}, handler.EnqueueRequestsFromMapFunc(clusterOfRole), builder.WithPredicates(specOrDeletion())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, maxConcurrent)})
	if watchSecrets {
		b = b.Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfSecret), builder.OnlyMetadata)
	}
	return b.Complete(r)
}

// DoorChanged lets through a cluster's creation and the updates that
// change whether commands may be sent: Ready, a roll, a scaling step.
func DoorChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld.(*v1alpha1.Neo4jEnterpriseCluster), e.ObjectNew.(*v1alpha1.Neo4jEnterpriseCluster)
			return door(o) != door(n)
		},
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// specOrDeletion lets through spec changes and the start of a deletion
// (a finalizer waits on it), never status writes.
func specOrDeletion() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return false },
		DeleteFunc: func(event.DeleteEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return (e.ObjectOld.GetDeletionTimestamp() == nil) != (e.ObjectNew.GetDeletionTimestamp() == nil)
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	})
}

func door(c *v1alpha1.Neo4jEnterpriseCluster) [3]bool {
	return [3]bool{meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady), c.Status.Rollout != nil, c.Status.Scaling != nil}
}

func clusterOfUser(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: o.(*v1alpha1.Neo4jUser).Spec.ClusterRef.Name}}}
}

func clusterOfRole(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: o.(*v1alpha1.Neo4jRole).Spec.ClusterRef.Name}}}
}

// clustersOfSecret maps a password Secret to the clusters of the users
// that read it.
func (r *Reconciler) clustersOfSecret(ctx context.Context, s client.Object) []reconcile.Request {
	users := &v1alpha1.Neo4jUserList{}
	if err := r.List(ctx, users, client.InNamespace(s.GetNamespace()), client.MatchingFields{SecretIndex: s.GetName()}); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, u := range users.Items {
		req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: u.Namespace, Name: u.Spec.ClusterRef.Name}}
		if !slices.Contains(out, req) {
			out = append(out, req)
		}
	}
	return out
}
